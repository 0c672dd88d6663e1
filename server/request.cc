#include "server/request.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include "engine/json_writer.h"

namespace trustcoach::server {
namespace {

using json = nlohmann::json;

constexpr int kMaxJsonDepth = 32;
constexpr size_t kMaxRegionLength = 35;

bool TooDeep(std::string_view body) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

Status ParseObject(std::string_view body, json* object) {
  if (TooDeep(body)) {
    return Status::InvalidArgument("the JSON body is nested too deeply");
  }
  *object = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (object->is_discarded()) {
    return Status::InvalidArgument("the body is not valid JSON");
  }
  if (!object->is_object()) {
    return Status::InvalidArgument("the body must be a JSON object");
  }
  return Status::OK();
}

// The text of a body that is exactly {"text": "..."} (JSON whitespace
// allowed between tokens) whose string needs no unescaping and is valid
// UTF-8; nullopt for any other body.
std::optional<std::string_view> PlainTextBody(std::string_view body) {
  const auto skip_space = [&] {
    while (!body.empty() && (body.front() == ' ' || body.front() == '\t' ||
                             body.front() == '\n' || body.front() == '\r')) {
      body.remove_prefix(1);
    }
  };
  const auto take = [&](std::string_view token) {
    skip_space();
    if (body.substr(0, token.size()) != token) return false;
    body.remove_prefix(token.size());
    return true;
  };
  if (!take("{") || !take(R"("text")") || !take(":") || !take(R"(")")) {
    return std::nullopt;
  }
  const size_t quote = body.find('"');
  if (quote == std::string_view::npos) return std::nullopt;
  const std::string_view text = body.substr(0, quote);
  body.remove_prefix(quote + 1);
  if (!take("}")) return std::nullopt;
  skip_space();
  if (!body.empty() || !IsPlainJsonText(text)) return std::nullopt;
  return text;
}

bool ValidRegion(std::string_view region) {
  return region.size() <= kMaxRegionLength &&
         std::all_of(region.begin(), region.end(), [](unsigned char c) {
           return std::isalnum(c) || c == '-' || c == '_';
         });
}

Status ParseRegion(const json& object, std::optional<std::string>* region) {
  auto it = object.find("region");
  if (it == object.end() || it->is_null()) return Status::OK();
  if (!it->is_string() || !ValidRegion(it->get_ref<const std::string&>())) {
    return Status::InvalidArgument(
        "\"region\" must be a locale or region code such as \"en-GB\"");
  }
  *region = it->get<std::string>();
  return Status::OK();
}

}  // namespace

bool IsJsonContentType(std::string_view content_type) {
  // The media type before any parameters, spaces ignored, any case.
  constexpr std::string_view kJson = "application/json";
  size_t matched = 0;
  for (const char c : content_type.substr(0, content_type.find(';'))) {
    if (c == ' ') continue;
    // ASCII lowering: kJson is ASCII, and the C library's tolower() is a
    // call per character.
    const char lower = c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
    if (matched == kJson.size() || lower != kJson[matched]) {
      return false;
    }
    ++matched;
  }
  return matched == kJson.size();
}

// Whether a Content-Length value is a number above `max_bytes`. Malformed

// values are left to httplib, which answers them with 400.

bool DeclaredTooLarge(std::string_view length, size_t max_bytes) {
  const bool digits = !length.empty() &&
                      std::all_of(length.begin(), length.end(),
                                  [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return false;
  // More digits than a size_t holds: too large, and no overflow.
  if (length.size() > 19) return true;
  uint64_t value = 0;
  std::from_chars(length.data(), length.data() + length.size(), value);
  return value > max_bytes;
}

// Deep nesting is refused before parsing: cheap, and it bounds the work

// the parser and the value's destructor do.

// The first tag of an Accept-Language header, if it looks like one.

std::string RegionFromAcceptLanguage(std::string_view header) {
  std::string_view tag = header.substr(0, header.find_first_of(",;"));
  while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
  while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
  if (tag == "*" || !ValidRegion(tag)) return "";
  return std::string(tag);
}

bool ValidConversationId(std::string_view id) {
  return id.size() == 32 &&
         std::all_of(id.begin(), id.end(), [](unsigned char c) {
           return std::isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

std::string BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return "";
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) {
      return "";
    }
  }
  std::string token(header.substr(kScheme.size()));
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  return token;
}

Status ParseCreateRequest(std::string_view body, CreateRequest* request) {
  if (body.empty()) return Status::OK();
  json object;
  Status status = ParseObject(body, &object);
  if (!status.ok()) return status;
  std::optional<std::string> region;
  status = ParseRegion(object, &region);
  if (status.ok()) request->region = region.value_or("");
  return status;
}

Status ParseMessageRequest(std::string_view body, MessageRequest* request) {
  request->region.reset();
  // What the widget and most clients send, {"text": "..."} with nothing to
  // unescape, is read without building a JSON tree (a tenth of the cost);
  // every other body takes the general path below.
  if (std::optional<std::string_view> text = PlainTextBody(body)) {
    request->text = *text;
    return Status::OK();
  }
  if (body.empty()) {
    return Status::InvalidArgument(
        "the body must be a JSON object with a \"text\" string");
  }
  json object;
  Status status = ParseObject(body, &object);
  if (!status.ok()) return status;
  auto text = object.find("text");
  if (text == object.end() || !text->is_string()) {
    return Status::InvalidArgument("\"text\" must be a string");
  }
  status = ParseRegion(object, &request->region);
  if (status.ok()) request->text = text->get<std::string>();
  return status;
}

std::string ClientAddress(std::string_view remote_addr,
                          std::string_view forwarded_for,
                          const std::vector<std::string>& trusted_proxies) {
  auto trusted = [&](std::string_view address) {
    return std::find(trusted_proxies.begin(), trusted_proxies.end(), address) !=
           trusted_proxies.end();
  };
  std::string_view client = remote_addr;
  while (trusted(client) && !forwarded_for.empty()) {
    const size_t comma = forwarded_for.rfind(',');
    std::string_view entry = comma == std::string_view::npos
                                 ? forwarded_for
                                 : forwarded_for.substr(comma + 1);
    forwarded_for =
        forwarded_for.substr(0, comma == std::string_view::npos ? 0 : comma);
    while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
    while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
    const bool address =
        !entry.empty() && entry.size() <= 45 &&
        std::all_of(entry.begin(), entry.end(), [](unsigned char c) {
          return std::isxdigit(c) || c == '.' || c == ':';
        });
    if (!address) break;
    client = entry;
  }
  return std::string(client);
}

}  // namespace trustcoach::server
