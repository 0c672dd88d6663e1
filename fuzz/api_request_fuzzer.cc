// libFuzzer target: the API's request validation (server/request.h), as the
// handlers call it. Byte 0 picks ParseMessageRequest(), ParseCreateRequest(),
// the routing helpers (RouteTemplate(), AllowedMethods()), the header parsers
// (content type, length, Accept-Language, bearer token) or the id check; the
// rest is the body, path or header value. Checks that a rejected body is a
// 400 with a message, that an accepted one round-trips (its fields,
// re-encoded, parse to the same request), and what each header parser
// promises about its result.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz/fuzz_util.h"
#include "server/api.h"

namespace {

using trustcoach::Status;
using trustcoach::server::HttpStatusFor;

void CheckRejection(const Status& status) {
  FUZZ_CHECK(status.IsInvalidArgument());
  FUZZ_CHECK(HttpStatusFor(status) == 400);
  FUZZ_CHECK(!status.message().empty());
}

void FuzzMessage(std::string_view body) {
  trustcoach::server::MessageRequest request;
  const Status status = trustcoach::server::ParseMessageRequest(body, &request);
  if (!status.ok()) return CheckRejection(status);
  // Accepted: the text is what a JSON parser reads (the fast path for plain
  // {"text":"..."} bodies included).
  const nlohmann::json parsed =
      nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  FUZZ_CHECK(parsed.is_object() && parsed.contains("text"));
  FUZZ_CHECK(parsed["text"].get_ref<const std::string&>() == request.text);
  // The same fields, encoded again, are accepted again.
  nlohmann::json again = {{"text", request.text}};
  if (request.region) again["region"] = *request.region;
  const std::string encoded =
      again.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  trustcoach::server::MessageRequest reparsed;
  FUZZ_CHECK(trustcoach::server::ParseMessageRequest(encoded, &reparsed).ok());
  FUZZ_CHECK(reparsed.region == request.region);
}

void FuzzCreate(std::string_view body) {
  trustcoach::server::CreateRequest request;
  const Status status = trustcoach::server::ParseCreateRequest(body, &request);
  if (!status.ok()) return CheckRejection(status);
  const std::string encoded = nlohmann::json{{"region", request.region}}.dump();
  trustcoach::server::CreateRequest reparsed;
  FUZZ_CHECK(trustcoach::server::ParseCreateRequest(encoded, &reparsed).ok());
  FUZZ_CHECK(reparsed.region == request.region);
}

void FuzzRoute(std::string_view path) {
  const std::string_view route = trustcoach::server::RouteTemplate(path);
  const std::string allowed = trustcoach::server::AllowedMethods(route);
  if (route == "other" || route == "static") {
    FUZZ_CHECK(allowed.empty());
    return;
  }
  // A known route: the path starts with "/" and the route accepts OPTIONS.
  FUZZ_CHECK(!path.empty() && path.front() == '/');
  FUZZ_CHECK(allowed.size() >= 7 &&
             allowed.compare(allowed.size() - 7, 7, "OPTIONS") == 0);
}

void FuzzHeaders(std::string_view value) {
  using namespace trustcoach::server;
  (void)IsJsonContentType(value);

  const bool digits = !value.empty() &&
                      std::all_of(value.begin(), value.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  const size_t limit = 16 * 1024;
  if (DeclaredTooLarge(value, limit)) {
    FUZZ_CHECK(digits);
    FUZZ_CHECK(value.size() > 19 || std::stoull(std::string(value)) > limit);
  } else if (digits && value.size() <= 19) {
    FUZZ_CHECK(std::stoull(std::string(value)) <= limit);
  }

  const std::string region = RegionFromAcceptLanguage(value);
  FUZZ_CHECK(region.size() <= 35);
  FUZZ_CHECK(std::all_of(region.begin(), region.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  }));

  const std::string token = BearerToken(value);
  FUZZ_CHECK(token.empty() ||
             (value.size() >= token.size() &&
              value.substr(value.size() - token.size()) == token &&
              token.front() != ' '));
}

void FuzzId(std::string_view id) {
  const bool valid =
      id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      });
  FUZZ_CHECK(trustcoach::server::ValidConversationId(id) == valid);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1),
                              size - 1);
  switch (data[0] % 5) {
    case 0:
      FuzzMessage(rest);
      break;
    case 1:
      FuzzCreate(rest);
      break;
    case 2:
      FuzzRoute(rest);
      break;
    case 3:
      FuzzHeaders(rest);
      break;
    default:
      FuzzId(rest);
      break;
  }
  return 0;
}
