#include "server/request.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

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
