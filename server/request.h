#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace trustcoach::server {

// Request parsing and validation for the API: pure functions of the bytes a
// client sent, so that they can be fuzzed on their own (fuzz/).

// Request bodies, validated (the handlers check the content type first).
struct CreateRequest {
  std::string region;
};
struct MessageRequest {
  std::string text;
  std::optional<std::string> region;
};

// An empty body is allowed and means no options. InvalidArgument for
// malformed JSON, JSON nested deeper than 32 levels, a body that is not an
// object, or a mistyped field. Unknown fields are ignored.
Status ParseCreateRequest(std::string_view body, CreateRequest* request);
// As ParseCreateRequest(); "text" (a string) is required.
Status ParseMessageRequest(std::string_view body, MessageRequest* request);

// Whether a Content-Type header names application/json (any parameters).
bool IsJsonContentType(std::string_view content_type);

// Whether a Content-Length value is a number above `max_bytes`. Malformed
// values are left to httplib, which answers them with 400.
bool DeclaredTooLarge(std::string_view length, size_t max_bytes);

// The first tag of an Accept-Language header if it looks like a locale or
// region code, else "".
std::string RegionFromAcceptLanguage(std::string_view header);

// Whether `id` has the form of a conversation id (32 lowercase hex digits).
bool ValidConversationId(std::string_view id);

// The token of an `Authorization: Bearer <token>` header value (the scheme
// is case-insensitive), or "" for anything else.
std::string BearerToken(std::string_view header);

// The client's address: `remote_addr`, unless that is one of
// `trusted_proxies`; then the last X-Forwarded-For entry that is not a
// trusted proxy (entries that are not IP addresses end the search).
std::string ClientAddress(std::string_view remote_addr,
                          std::string_view forwarded_for,
                          const std::vector<std::string>& trusted_proxies);

}  // namespace trustcoach::server
