#include "server/request.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace trustcoach::server {
namespace {

TEST_CASE("Message bodies are validated before the engine sees them",
          "[server][request]") {
  auto [body, error] = GENERATE(table<std::string, std::string>({
      {R"({"text": "hello"})", ""},
      {R"({"text": "", "region": "en-GB", "other": 1})", ""},
      {R"({"text": "hi", "region": null})", ""},
      {"", "the body must be a JSON object with a \"text\" string"},
      {"{", "the body is not valid JSON"},
      {"\"text\"", "the body must be a JSON object"},
      {R"({"text": 1})", "\"text\" must be a string"},
      {R"({"text": null})", "\"text\" must be a string"},
      {R"({"text": "hi", "region": "a/b"})",
       "\"region\" must be a locale or region code such as \"en-GB\""},
      {R"({"text": "hi", "region": 5})",
       "\"region\" must be a locale or region code such as \"en-GB\""},
      {std::string(33, '[') + std::string(33, ']'),
       "the JSON body is nested too deeply"},
      {R"({"text": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", ""},
  }));
  CAPTURE(body);
  MessageRequest request;
  Status status = ParseMessageRequest(body, &request);
  CHECK(status.message() == error);
  CHECK(status.ok() == error.empty());
}

TEST_CASE("A plain {\"text\": ...} body reads as a JSON parser reads it",
          "[server][request]") {
  // The fast path takes bodies of exactly this shape with nothing to
  // unescape; every other body goes through nlohmann. Both must agree.
  auto body =
      GENERATE(as<std::string>{}, R"({"text":"hello"})", R"({"text":""})",
               R"({"text":"it's \"fine\""})", R"({"text":"a\nb"})",
               R"({"text":"\u00e9t\u00e9"})",
               "{\"text\":\"caf\xC3\xA9 \xF0\x9F\x92\x94\"}",
               "{\"text\":\"\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\"}",
               "{\"text\":\"\xE2\x80\x99 smart quote\"}",
               "{\"text\":\"bad \xC3\"}", "{\"text\":\"\xED\xA0\x80\"}",
               "{\"text\":\"\xC0\xAF\"}", "{\"text\":\"\xF4\x90\x80\x80\"}",
               "{\"text\":\"tab\there\"}", "{\"text\":\"a\"}\"}",
               R"({"text":"x"} )", " { \"text\" :\t\"spaced\"\n}\r\n",
               R"({"text": "hi"})", R"({ "text" : "a" , "text": "b"})",
               R"({"Text":"x"})", R"({"text":"x","region":"en-GB"})",
               R"({"text":"x"}})", R"({"text":"\"})", R"({"text":")");
  CAPTURE(body);
  MessageRequest request;
  request.region = "stale";
  const Status status = ParseMessageRequest(body, &request);
  const auto parsed =
      nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  const bool valid = parsed.is_object() && parsed.contains("text") &&
                     parsed["text"].is_string();
  REQUIRE(status.ok() == valid);
  if (!valid) return;
  CHECK(request.text == parsed["text"].get<std::string>());
  CHECK(request.region.has_value() == parsed.contains("region"));
}

TEST_CASE("Headers are read strictly", "[server][request]") {
  CHECK(BearerToken("Bearer abc") == "abc");
  CHECK(BearerToken("bearer   abc") == "abc");
  CHECK(BearerToken("Bearer ").empty());
  CHECK(BearerToken("Basic dXNlcjpwYXNz").empty());
  CHECK(BearerToken("").empty());

  CHECK(IsJsonContentType("application/json"));
  CHECK(IsJsonContentType("Application/JSON; charset=utf-8"));
  CHECK_FALSE(IsJsonContentType("text/plain"));
  CHECK_FALSE(IsJsonContentType("application/jsonp"));
  CHECK_FALSE(IsJsonContentType(""));
  CHECK(IsJsonContentType(" application/ json ;"));
  CHECK_FALSE(IsJsonContentType("application/js"));
  CHECK_FALSE(IsJsonContentType("; application/json"));

  CHECK(RegionFromAcceptLanguage("en-GB,en;q=0.9") == "en-GB");
  CHECK(RegionFromAcceptLanguage(" fr-CA ; q=1") == "fr-CA");
  CHECK(RegionFromAcceptLanguage("*").empty());
  CHECK(RegionFromAcceptLanguage("../etc").empty());

  CHECK(DeclaredTooLarge("16385", 16384));
  CHECK_FALSE(DeclaredTooLarge("16384", 16384));
  CHECK(DeclaredTooLarge("99999999999999999999999", 16384));
  CHECK_FALSE(DeclaredTooLarge("-1", 16384));
  CHECK_FALSE(DeclaredTooLarge("", 16384));

  CHECK(ValidConversationId(std::string(32, 'a')));
  CHECK_FALSE(ValidConversationId(std::string(32, 'A')));
  CHECK_FALSE(ValidConversationId(std::string(31, 'a')));
}

TEST_CASE("X-Forwarded-For counts only behind a trusted proxy",
          "[server][request]") {
  const std::vector<std::string> proxies = {"10.0.0.2", "10.0.0.3"};
  auto [remote, forwarded, client] =
      GENERATE(table<std::string, std::string, std::string>({
          {"203.0.113.9", "198.51.100.1", "203.0.113.9"},
          {"10.0.0.2", "198.51.100.1", "198.51.100.1"},
          {"10.0.0.2", "6.6.6.6, 198.51.100.1", "198.51.100.1"},
          {"10.0.0.2", "198.51.100.1, 10.0.0.3", "198.51.100.1"},
          {"10.0.0.2", "", "10.0.0.2"},
          {"10.0.0.2", "not an address", "10.0.0.2"},
          {"10.0.0.2", "2001:db8::1", "2001:db8::1"},
      }));
  CAPTURE(remote, forwarded);
  CHECK(ClientAddress(remote, forwarded, proxies) == client);
}

}  // namespace
}  // namespace trustcoach::server
