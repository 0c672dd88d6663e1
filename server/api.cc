#include "server/api.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <filesystem>
#include <limits>
#include <utility>
#include <vector>

#include "engine/dialog_loader.h"
#include "engine/json_writer.h"
#include "engine/session.h"
#include "server/build_info.h"
#include "server/http_front.h"
#include "server/openapi.h"
#include "server/problem.h"
#include "server/request.h"
#include "store/crypto.h"

namespace trustcoach::server {
namespace {

using json = nlohmann::json;

constexpr std::string_view kConversations = "/v1/conversations";
// A turn whose save finds the conversation changed (another instance or
// thread saved first) runs again on the new state. Each lost race means some
// other turn of this conversation was saved, so with at most N turns of one
// conversation in flight no turn loses more than N - 1 times: this many
// attempts lose nothing up to 16 at once, whatever the timing (5 lost turns
// under load when nine were sent together across three instances).
constexpr int kSaveAttempts = 16;
// GET of a conversation: transcript entries per page by default and at most,
// and the bytes of entries a page stops at.
constexpr size_t kDefaultPageEntries = 200;
constexpr size_t kMaxPageEntries = 1000;
constexpr size_t kMaxPageBytes = 256 * 1024;

// After a store write fails, /readyz answers 503 this long; failures are
// logged at most once per this long.
constexpr int64_t kWriteErrorMillis = 10'000;

// A report (POST .../review) to a server without a review queue.
constexpr std::string_view kReviewQueueOffType =
    "urn:trustcoach:problem:review-queue-off";
constexpr std::string_view kConversationFullType =
    "urn:trustcoach:problem:conversation-full";
constexpr std::string_view kConversationFull =
    "This conversation has reached its length limit, so it cannot take more "
    "messages. Thank you for staying with it. You are welcome to start a new "
    "conversation, and a counsellor or therapist can go further with you "
    "than this coach can.";

size_t BytesOf(const std::vector<std::string>& entries) {
  size_t bytes = 0;
  for (const std::string& entry : entries) bytes += entry.size();
  return bytes;
}

// A query parameter as a count: `fallback` when absent, false when it is
// not a whole number from `min` to `max`.
bool CountParam(const httplib::Request& request, const char* name,
                size_t fallback, size_t min, size_t max, size_t* out) {
  if (!request.has_param(name)) {
    *out = fallback;
    return true;
  }
  const std::string text = request.get_param_value(name);
  size_t value = 0;
  const auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return false;
  }
  *out = value;
  return true;
}

// A request header's first value, or null when absent; names compare
// case-insensitively. cpp-httplib's get_header_value() builds a std::string
// key and compares through the C library's tolower() per character; a scan
// of the few headers a request carries costs a fraction of that, and a
// request needs about eight lookups.
const std::string* FindHeader(const httplib::Request& request,
                              std::string_view name) {
  const auto same = [](unsigned char a, unsigned char b) {
    const unsigned char lower = a | 0x20;
    return a == b || (lower == (b | 0x20) && lower >= 'a' && lower <= 'z');
  };
  for (const auto& [key, value] : request.headers) {
    if (key.size() == name.size() &&
        std::equal(key.begin(), key.end(), name.begin(), same)) {
      return &value;
    }
  }
  return nullptr;
}

std::string_view HeaderValue(const httplib::Request& request,
                             std::string_view name) {
  const std::string* value = FindHeader(request, name);
  return value == nullptr ? std::string_view() : std::string_view(*value);
}

bool HasHeader(const httplib::Request& request, std::string_view name) {
  return FindHeader(request, name) != nullptr;
}

// Set when routing starts on this worker thread, read by the access log.
thread_local std::optional<std::chrono::steady_clock::time_point> request_start;
// The request PreRoute() saw on this worker thread and its route template,
// so that the access log and metrics need not match the path again; reset
// with request_start.
thread_local const httplib::Request* routed_request = nullptr;
thread_local std::string_view routed_route;

// Replies and transcript lines are written directly rather than as nlohmann
// trees: on the hot path the trees cost more than the turn itself. Keys are
// in the order nlohmann::json writes them (sorted), so that both produce the
// same text.

// A reply's JSON text, each string in it escaped once and shared by the
// response and the transcript lines (the same text appears in both): each
// message's `quick_replies` field and `text` value, the resources array and
// the safety object, in one buffer. Written with plain appends in the order
// nlohmann::json writes keys (sorted), so both produce the same text.
class ReplyJson {
 public:
  explicit ReplyJson(const Reply& reply) {
    buffer_.reserve(768);
    messages_.reserve(reply.messages.size());
    for (const Message& message : reply.messages) {
      MessageSpans spans;
      spans.quick_replies = buffer_.size();
      buffer_ += "\"quick_replies\":[";
      for (size_t i = 0; i < message.quick_replies.size(); ++i) {
        if (i > 0) buffer_ += ',';
        AppendJsonString(message.quick_replies[i], &buffer_);
      }
      buffer_ += ']';
      spans.text = buffer_.size();
      AppendJsonString(message.text, &buffer_);
      spans.end = buffer_.size();
      messages_.push_back(spans);
    }
    resources_ = buffer_.size();
    buffer_ += '[';
    for (size_t i = 0; i < reply.resources.size(); ++i) {
      const Resource& resource = reply.resources[i];
      buffer_ += i > 0 ? ",{" : "{";
      if (!resource.hours.empty()) {
        buffer_ += "\"hours\":";
        AppendJsonString(resource.hours, &buffer_);
        buffer_ += ',';
      }
      buffer_ += "\"kind\":";
      AppendJsonString(resource.kind, &buffer_);
      buffer_ += ",\"name\":";
      AppendJsonString(resource.name, &buffer_);
      if (!resource.phone.empty()) {
        buffer_ += ",\"phone\":";
        AppendJsonString(resource.phone, &buffer_);
      }
      if (!resource.sms.empty()) {
        buffer_ += ",\"sms\":";
        AppendJsonString(resource.sms, &buffer_);
      }
      if (!resource.web.empty()) {
        buffer_ += ",\"web\":";
        AppendJsonString(resource.web, &buffer_);
      }
      buffer_ += '}';
    }
    buffer_ += ']';
    safety_ = buffer_.size();
    buffer_ += reply.safety.earlier ? "{\"earlier\":true,\"kind\":"
                                    : "{\"earlier\":false,\"kind\":";
    AppendJsonString(SafetyKindName(reply.safety.kind), &buffer_);
    buffer_ += ",\"level\":";
    AppendJsonString(SafetyLevelName(reply.safety.level), &buffer_);
    buffer_ += '}';
    has_resources_ = !reply.resources.empty();
    has_safety_ = reply.safety.level != SafetyLevel::kNone;
  }

  // "messages":[...],"resources":[...],"safety":{...}: the fields shared by
  // the create and turn responses.
  void AppendFields(std::string* out) const {
    *out += "\"messages\":[";
    for (size_t i = 0; i < messages_.size(); ++i) {
      *out += i > 0 ? ",{" : "{";
      out->append(QuickReplies(i)).append(",\"text\":").append(Text(i));
      *out += '}';
    }
    out->append("],\"resources\":")
        .append(Resources())
        .append(",\"safety\":")
        .append(Safety());
  }

  // Transcript rows as the store keeps them: one JSON object per line said,
  // `at_literal` the time as a JSON string. Lines of a safety reply carry
  // `safety`, and its last line the resources, so that a restored transcript
  // shows the helplines where they were.
  void AppendCoachEntries(std::string_view at_literal,
                          std::vector<std::string>* entries) const {
    for (size_t i = 0; i < messages_.size(); ++i) {
      const bool resources = i + 1 == messages_.size() && has_resources_;
      std::string entry;
      entry.reserve(64 + at_literal.size() +
                    (messages_[i].end - messages_[i].quick_replies) +
                    (resources ? Resources().size() : 0) +
                    (has_safety_ ? Safety().size() : 0));
      entry.append("{\"at\":")
          .append(at_literal)
          .append(",")
          .append(QuickReplies(i));
      if (resources) entry.append(",\"resources\":").append(Resources());
      entry.append(",\"role\":\"coach\"");
      if (has_safety_) entry.append(",\"safety\":").append(Safety());
      entry.append(",\"text\":").append(Text(i)).append("}");
      entries->push_back(std::move(entry));
    }
  }

 private:
  struct MessageSpans {
    size_t quick_replies = 0;  // where "quick_replies":[...] starts
    size_t text = 0;           // where the text's string literal starts
    size_t end = 0;
  };
  std::string_view Span(size_t begin, size_t end) const {
    return std::string_view(buffer_).substr(begin, end - begin);
  }
  std::string_view QuickReplies(size_t i) const {
    return Span(messages_[i].quick_replies, messages_[i].text);
  }
  std::string_view Text(size_t i) const {
    return Span(messages_[i].text, messages_[i].end);
  }
  std::string_view Resources() const { return Span(resources_, safety_); }
  std::string_view Safety() const { return Span(safety_, buffer_.size()); }

  std::string buffer_;
  std::vector<MessageSpans> messages_;
  size_t resources_ = 0;
  size_t safety_ = 0;
  bool has_resources_ = false;
  bool has_safety_ = false;
};

// The person's transcript row; `at_literal` is the time as a JSON string.
std::string UserEntry(std::string_view text, std::string_view at_literal) {
  std::string entry;
  entry.reserve(32 + at_literal.size() + text.size() + text.size() / 8);
  entry.append("{\"at\":")
      .append(at_literal)
      .append(",\"role\":\"user\",\"text\":");
  AppendJsonString(text, &entry);
  entry += '}';
  return entry;
}

// `text` as a JSON string literal.
std::string JsonLiteral(std::string_view text) {
  std::string literal;
  AppendJsonString(text, &literal);
  return literal;
}

json StateSummary(const Session& session) {
  json state = {{"turns", session.turns},
                {"risk", session.risk.empty() ? "none" : session.risk}};
  if (!session.stack.empty()) {
    state["flow"] = session.stack.back().flow;
    state["node"] = session.stack.back().node;
  }
  return state;
}

}  // namespace

namespace {

// Whether `path` fits `route`, where "{id}" stands for one non-empty segment.
bool Matches(std::string_view route, std::string_view path) {
  while (!route.empty() && !path.empty()) {
    if (route.substr(0, 4) == "{id}") {
      const size_t end = path.find('/');
      if (end == 0) return false;
      route.remove_prefix(4);
      path.remove_prefix(std::min(end, path.size()));
    } else if (route.front() == path.front()) {
      route.remove_prefix(1);
      path.remove_prefix(1);
    } else {
      return false;
    }
  }
  return route.empty() && path.empty();
}

}  // namespace

std::string_view RouteTemplate(std::string_view path) {
  for (const auto& [method, route] : Api::Routes()) {
    if (Matches(route, path)) return route;
  }
  if (path.substr(0, 4) == "/v1/" || path == "/v1") return "other";
  return "static";
}

std::string AllowedMethods(std::string_view route) {
  std::string allowed;
  for (const auto& [method, path] : Api::Routes()) {
    if (path != route) continue;
    allowed += std::string(method) + ", ";
    if (method == "GET") allowed += "HEAD, ";
  }
  return allowed.empty() ? "" : allowed + "OPTIONS";
}

Api::Api(const ServerOptions& options, SessionStore* store,
         const RateLimiterFactory& rate_limiters, const Clock* clock,
         JsonLog* access_log, std::shared_ptr<const Engine> engine)
    : options_(options),
      store_(store),
      clock_(clock),
      access_log_(access_log),
      client_limiter_(
          rate_limiters("client", options.client_rate, options.client_burst)),
      conversation_limiter_(rate_limiters("conversation",
                                          options.conversation_rate,
                                          options.conversation_burst)),
      engine_(std::move(engine)),
      dialogs_hash_(DialogsHash(options.dialogs_dir)) {}

void Api::SetEngine(std::shared_ptr<const Engine> engine) {
  std::string hash = DialogsHash(options_.dialogs_dir);
  std::lock_guard lock(engine_mu_);
  engine_ = std::move(engine);
  dialogs_hash_ = std::move(hash);
}

std::shared_ptr<const Engine> Api::engine() const {
  std::lock_guard lock(engine_mu_);
  return engine_;
}

const std::vector<Api::RouteEntry>& Api::RouteTable() {
  static const std::vector<RouteEntry> table = {
      // httplib tries a method's routes in this order, each a std::regex:
      // the busiest first.
      {"POST", "/v1/conversations/{id}/messages", &Api::PostMessage},
      {"POST", "/v1/conversations", &Api::CreateConversation},
      {"GET", "/v1/conversations/{id}", &Api::GetConversation},
      {"POST", "/v1/conversations/{id}/review", &Api::ReportMessage},
      {"DELETE", "/v1/conversations/{id}", &Api::DeleteConversation},
      {"GET", "/healthz", &Api::Healthz},
      {"GET", "/readyz", &Api::Readyz},
      {"GET", "/metrics", &Api::ServeMetrics},
      {"GET", "/v1/openapi.json", &Api::OpenApi},
  };
  return table;
}

const std::vector<std::pair<std::string_view, std::string_view>>&
Api::Routes() {
  static const auto* const routes = [] {
    auto* list =
        new std::vector<std::pair<std::string_view, std::string_view>>();
    for (const RouteEntry& entry : RouteTable()) {
      list->emplace_back(entry.method, entry.path);
    }
    return list;
  }();
  return *routes;
}

bool Api::Install(httplib::Server* http) {
  for (const RouteEntry& entry : RouteTable()) {
    std::string pattern(entry.path);
    if (auto id = pattern.find("{id}"); id != std::string::npos) {
      pattern.replace(id, 4, "([^/]+)");
    }
    const httplib::Server::Handler handler = [this, method = entry.handler](
                                                 const Request& request,
                                                 Response& response) {
      (this->*method)(request, response);
    };
    if (entry.method == "GET") {
      http->Get(pattern, handler);
    } else if (entry.method == "POST") {
      http->Post(pattern, handler);
    } else if (entry.method == "DELETE") {
      http->Delete(pattern, handler);
    }
  }
  using WithResponse = httplib::Server::HandlerWithResponse;
  http->set_pre_routing_handler(
      WithResponse([this](const Request& request, Response& response) {
        return PreRoute(request, response);
      }));
  http->set_error_handler(
      WithResponse([this](const Request& request, Response& response) {
        return OnError(request, response);
      }));
  http->set_exception_handler(
      [this](const Request& request, Response& response,
             const std::exception_ptr&) { OnException(request, response); });
  http->set_logger([this](const Request& request, const Response& response) {
    OnLog(request, response);
  });
  http->set_payload_max_length(options_.max_body_bytes);
  std::error_code error;
  web_root_ = std::filesystem::canonical(options_.web_dir, error).string();
  if (error) web_root_.clear();
  return http->set_mount_point("/", options_.web_dir);
}

bool Api::StaticFileAllowed(std::string_view path) const {
  namespace fs = std::filesystem;
  // No dotfiles or dot folders (.env, .git), and no "..".
  if (web_root_.empty() || path.empty() || path.front() != '/' ||
      path.find("/.") != std::string_view::npos ||
      path.find('\0') != std::string_view::npos) {
    return false;
  }
  std::string relative(path.substr(1));
  if (relative.empty() || relative.back() == '/') relative += "index.html";
  std::error_code error;
  const fs::path real = fs::canonical(fs::path(web_root_) / relative, error);
  if (error || !fs::is_regular_file(real, error) || error) return false;
  // A symlink may point anywhere: only what really lies inside is served.
  const std::string& text = real.native();
  return text.size() > web_root_.size() &&
         text.compare(0, web_root_.size(), web_root_) == 0 &&
         text[web_root_.size()] == '/';
}

bool Api::CorsAllowed(std::string_view origin) const {
  return std::any_of(options_.allowed_origins.begin(),
                     options_.allowed_origins.end(),
                     [&](const std::string& allowed) {
                       return allowed == "*" || allowed == origin;
                     });
}

Api::HandlerResponse Api::PreRoute(const Request& request, Response& response) {
  request_start = std::chrono::steady_clock::now();
  const std::string_view route = RouteTemplate(request.path);
  routed_request = &request;
  routed_route = route;
  const bool api = route.substr(0, kConversations.size()) == kConversations;
  AddFixedHeader(response, "X-Content-Type-Options", "nosniff");
  if (api) AddFixedHeader(response, "Cache-Control", "no-store");

  // /metrics is for the operator's scraper, never for a browser: no CORS.
  const bool metrics = route == "/metrics";
  const std::string_view origin = HeaderValue(request, "Origin");
  const bool cors = !metrics && !origin.empty() && CorsAllowed(origin);
  if (cors) {
    response.set_header("Access-Control-Allow-Origin", std::string(origin));
    response.set_header("Access-Control-Expose-Headers",
                        "Location, Retry-After");
  }
  if (!options_.allowed_origins.empty()) response.set_header("Vary", "Origin");

  // httplib 0.11 does not apply the body limit to chunked bodies: refuse
  // them before they are read. Browsers always send a Content-Length.
  if (HasHeader(request, "Transfer-Encoding")) {
    SendProblem(response, 411, "send the body with a Content-Length header");
    return HandlerResponse::Handled;
  }
  if (request.method == "OPTIONS") {
    const std::string allowed = AllowedMethods(route);
    if (allowed.empty()) {
      SendProblem(response, 404, "no such resource");
      return HandlerResponse::Handled;
    }
    if (!origin.empty() &&
        HasHeader(request, "Access-Control-Request-Method")) {
      if (!cors) {
        SendProblem(response, 403, "this origin is not allowed");
        return HandlerResponse::Handled;
      }
      response.set_header("Access-Control-Allow-Methods", std::string(allowed));
      response.set_header("Access-Control-Allow-Headers",
                          "Authorization, Content-Type, X-API-Key");
      response.set_header("Access-Control-Max-Age", "600");
    }
    response.set_header("Allow", std::string(allowed));
    response.status = 204;
    return HandlerResponse::Handled;
  }
  // httplib reads (and discards) a body over the limit before it answers
  // 413: refuse a declared length now, before any of the body is read.
  if (DeclaredTooLarge(HeaderValue(request, "Content-Length"),
                       options_.max_body_bytes)) {
    SendProblem(response, 413,
                "the request body is larger than " +
                    std::to_string(options_.max_body_bytes) + " bytes");
    response.set_header("Connection", "close");
    return HandlerResponse::Handled;
  }
  if (metrics) {
    return CheckApiKey(request, response) ? HandlerResponse::Unhandled
                                          : HandlerResponse::Handled;
  }
  if (route == "static" &&
      (request.method == "GET" || request.method == "HEAD")) {
    if (!StaticFileAllowed(request.path)) {
      SendProblem(response, 404, "no such resource");
      return HandlerResponse::Handled;
    }
    const std::string_view path = request.path;
    if (path.back() == '/' || path.ends_with(".html")) {
      // The demo page: only its own scripts, styles and API; never framed;
      // no Referer to the sites it links to. See docs/widget.md.
      response.set_header(
          "Content-Security-Policy",
          "default-src 'none'; script-src 'self'; style-src 'self'; "
          "img-src 'self' data:; connect-src 'self'; base-uri 'none'; "
          "form-action 'none'; frame-ancestors 'none'");
      response.set_header("X-Frame-Options", "DENY");
      response.set_header("Referrer-Policy", "no-referrer");
      response.set_header("Cache-Control", "no-cache");
    } else if (path == "/widget.js" && request.has_param("v")) {
      // A versioned URL (index.html names widget.js?v=<its hash>): the
      // content for a given v never changes.
      response.set_header("Cache-Control",
                          "public, max-age=31536000, immutable");
    } else {
      response.set_header("Cache-Control", "no-cache");
    }
    return HandlerResponse::Unhandled;
  }
  if (!api) return HandlerResponse::Unhandled;
  // A request without Content-Length or Transfer-Encoding has no body (RFC
  // 9112, 6.3), but httplib would read until the timeout: answer now.
  const bool unframed = !HasHeader(request, "Content-Length");
  if (unframed && (request.method == "POST" || request.method == "PUT" ||
                   request.method == "PATCH")) {
    const std::string allowed = AllowedMethods(route);
    if (allowed.find(request.method) == std::string::npos) {
      response.set_header("Allow", allowed);
      SendProblem(response, 405, "this resource allows " + allowed);
    } else if (!Admit(request, response)) {
      // Admit() wrote the problem.
    } else if (route == kConversations) {
      CreateConversation(request, response);
    } else {
      SendProblem(response, 411, "send a Content-Length header");
    }
    return HandlerResponse::Handled;
  }
  return Admit(request, response) ? HandlerResponse::Unhandled
                                  : HandlerResponse::Handled;
}

std::string Api::ClientOf(const Request& request) const {
  return ClientAddress(request.remote_addr,
                       HeaderValue(request, "X-Forwarded-For"),
                       options_.trusted_proxies);
}

bool Api::CheckApiKey(const Request& request, Response& response) {
  if (!options_.api_keys.empty()) {
    const std::string_view key = HeaderValue(request, "X-API-Key");
    if (key.empty()) {
      SendProblem(response, 401, "an X-API-Key header is required");
      return false;
    }
    bool match = false;
    // Every key is compared, so timing does not tell which one matched.
    for (const std::string& allowed : options_.api_keys) {
      match |= ConstantTimeEquals(key, allowed);
    }
    if (!match) {
      SendProblem(response, 403, "the API key is not valid");
      return false;
    }
  }
  return true;
}

bool Api::Admit(const Request& request, Response& response) {
  if (!CheckApiKey(request, response)) return false;
  int64_t retry_after = 0;
  if (!client_limiter_->Allow(ClientOf(request), &retry_after)) {
    metrics_.RecordRateLimited("client");
    SendProblem(response, 429, "too many requests from this address");
    response.set_header("Retry-After", std::to_string(retry_after));
    return false;
  }
  return true;
}

Api::HandlerResponse Api::OnError(const Request& request, Response& response) {
  if (!response.body.empty()) return HandlerResponse::Unhandled;
  // Unrouted requests: a known path with another method is a 405.
  const std::string allowed = AllowedMethods(RouteTemplate(request.path));
  // httplib answers 400 for methods it has no handler table for (TRACE).
  const bool no_table = response.status == 400 && request.method == "TRACE";
  if ((response.status == 404 || no_table) && !allowed.empty()) {
    response.set_header("Allow", std::string(allowed));
    SendProblem(response, 405, "this resource allows " + std::string(allowed));
    return HandlerResponse::Handled;
  }
  const int status = response.status;
  SendProblem(response, status,
              status == 404 ? "no such resource"
              : status == 413
                  ? "the request body is larger than " +
                        std::to_string(options_.max_body_bytes) + " bytes"
                  : std::string(ProblemTitle(status)));
  return HandlerResponse::Handled;
}

void Api::OnException(const Request&, Response& response) {
  // Never what(): it may quote input.
  SendProblem(response, 500, "the service could not complete the request");
}

void Api::OnLog(const Request& request, const Response& response) {
  // A request GuardedServer refused: LogRefused() logs what was answered.
  const bool routed = routed_request == &request;
  routed_request = nullptr;
  if (GuardedServer::RefusedStatus() != 0) {
    request_start.reset();
    return;
  }
  double seconds = 0;
  if (request_start) {
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            *request_start)
                  .count();
    request_start.reset();
  }
  const std::string_view route =
      routed ? routed_route : RouteTemplate(request.path);
  const std::string_view method = MethodLabel(request.method);
  metrics_.RecordRequest(route, method, response.status, seconds);
  if (access_log_ == nullptr || !access_log_->enabled()) return;
  // The route template, not the path: no ids and no query in the log. Keys
  // in JsonLog::Write()'s order; written directly, as this runs per request.
  std::string line;
  JsonWriter(&line)
      .BeginObject()
      .Key("bytes_in")
      .Uint(request.body.size())
      .Key("bytes_out")
      .Uint(response.body.size())
      .Key("method")
      .String(method)
      .Key("ms")
      .Double(std::round(seconds * 1e5) / 100)
      .Key("remote")
      // httplib reads the peer's address after the request line: for a
      // request refused before that (400, 414), the connection's own.
      .String(request.remote_addr.empty() ? GuardedServer::CurrentPeer()
                                          : ClientOf(request))
      .Key("route")
      .String(route)
      .Key("status")
      .Int(response.status)
      .Key("time")
      .String(FormatTime(clock_->NowMillis()))
      .EndObject();
  access_log_->WriteLine(line);
}

void Api::LogRefused(int status, const std::string& peer) {
  metrics_.RecordRequest("other", "other", status, 0);
  if (access_log_ == nullptr || !access_log_->enabled()) return;
  std::string line;
  JsonWriter(&line)
      .BeginObject()
      .Key("bytes_in")
      .Uint(0)
      .Key("bytes_out")
      .Uint(0)
      .Key("method")
      .String("other")
      .Key("ms")
      .Double(0)
      .Key("remote")
      .String(peer)
      .Key("route")
      .String("other")
      .Key("status")
      .Int(status)
      .Key("time")
      .String(FormatTime(clock_->NowMillis()))
      .EndObject();
  access_log_->WriteLine(line);
}

bool Api::Authorize(const Request& request, Response& response,
                    std::string_view id, Conversation* conversation) {
  const std::string token = BearerToken(HeaderValue(request, "Authorization"));
  if (token.empty()) {
    response.set_header("WWW-Authenticate", "Bearer realm=\"trustcoach\"");
    SendProblem(response, 401,
                "an Authorization: Bearer <conversation token> header is "
                "required");
    return false;
  }
  if (!ValidConversationId(id)) {
    SendProblem(response, 404, "no such conversation");
    return false;
  }
  // A wrong token gets the same answer as an unknown id, and takes the same
  // work (the hash and a comparison happen either way), so that neither the
  // answer nor its timing tells whether another conversation exists. A store
  // in this process keeps a keyed tag of the token beside its SHA-256: the
  // tag, a tenth of the cost, is checked then, for unknown ids as well.
  Status status = store_->Load(id, conversation);
  bool match = false;
  if (store_->KeepsTokenTag() &&
      (!status.ok() || conversation->has_token_tag)) {
    static const TokenTag kNoTag{};
    match = TagEquals(KeyedTokenTag(token),
                      status.ok() ? conversation->token_tag : kNoTag);
  } else {
    static const std::string kNoHash(64, '0');
    match = DigestEquals(Sha256Hex(token),
                         status.ok() ? conversation->token_hash : kNoHash);
  }
  if (status.ok() && !match) {
    status = Status::NotFound("no such conversation");
  }
  if (!status.ok()) {
    SendStatus(response, status);
    return false;
  }
  return true;
}

void Api::CreateConversation(const Request& request, Response& response) {
  if (!request.body.empty() &&
      !IsJsonContentType(HeaderValue(request, "Content-Type"))) {
    SendProblem(response, 415, "send the body as application/json");
    return;
  }
  CreateRequest body;
  Status status = ParseCreateRequest(request.body, &body);
  if (!status.ok()) return SendStatus(response, status);
  if (body.region.empty()) {
    body.region =
        RegionFromAcceptLanguage(HeaderValue(request, "Accept-Language"));
  }
  const std::string client = ClientOf(request);
  int64_t retry_after = 0;
  if (!TakeClientPlace(client, &retry_after)) {
    SendTooManyConversations(response, retry_after);
    return;
  }
  const std::shared_ptr<const Engine> engine = this->engine();
  ConversationSecrets secrets = NewConversationSecrets();
  Session session;
  const Reply reply =
      engine->Start(options_.variant_seed.value_or(secrets.seed), &session,
                    TurnOptions{.region = body.region});
  const std::string& token = secrets.token;
  Conversation conversation;
  conversation.token_hash = Sha256Hex(token);
  conversation.token_tag = KeyedTokenTag(token);
  conversation.has_token_tag = true;
  conversation.session = std::move(session);
  conversation.region = body.region;
  const ReplyJson reply_json(reply);
  std::vector<std::string> transcript;
  reply_json.AppendCoachEntries(JsonLiteral(FormatTime(clock_->NowMillis())),
                                &transcript);
  conversation.id = std::move(secrets.id);
  status = store_->Create(&conversation, transcript);
  while (status.code() == Status::Code::kAlreadyExists) {
    conversation.id = NewConversationId();
    status = store_->Create(&conversation, transcript);
  }
  SettleClientPlace(client, status.ok() ? conversation.id : std::string());
  NoteStoreWrite(status);
  if (status.ok() &&
      !TakeSharedClientPlace(client, conversation.id, &retry_after)) {
    // Another instance took the client's last place meanwhile.
    (void)store_->Delete(conversation.id);
    SendTooManyConversations(response, retry_after);
    return;
  }
  if (!status.ok()) {
    SendStatus(response, status);
    if (status.IsUnavailable()) {
      // Full (or down): say when room is likely, not "1" for hours.
      if (const int64_t room = store_->SecondsUntilRoom(); room > 0) {
        response.set_header("Retry-After", std::to_string(room));
      }
    }
    return;
  }
  // The id is 32 hex digits this server made.
  AddFixedHeader(response, "Location", "/v1/conversations/" + conversation.id);
  std::string out;
  out.reserve(1024);
  out += "{\"id\":";
  AppendJsonString(conversation.id, &out);
  out += ',';
  reply_json.AppendFields(&out);
  out += ",\"token\":";
  AppendJsonString(token, &out);
  out += '}';
  SendJsonText(response, 201, std::move(out));
}

void Api::PostMessage(const Request& request, Response& response) {
  const std::string id = request.matches[1];
  Conversation conversation;
  if (!Authorize(request, response, id, &conversation)) return;
  if (!IsJsonContentType(HeaderValue(request, "Content-Type"))) {
    SendProblem(response, 415, "send the body as application/json");
    return;
  }
  MessageRequest body;
  Status status = ParseMessageRequest(request.body, &body);
  if (!status.ok()) return SendStatus(response, status);
  int64_t retry_after = 0;
  if (!conversation_limiter_->Allow(id, &retry_after)) {
    metrics_.RecordRateLimited("conversation");
    SendProblem(response, 429, "too many messages in this conversation");
    response.set_header("Retry-After", std::to_string(retry_after));
    return;
  }
  const std::string param = request.get_param_value("explain");
  const Trace trace =
      param == "1" || param == "true" ? Trace::kOn : Trace::kOff;
  const std::shared_ptr<const Engine> engine = this->engine();

  std::lock_guard lock(conversation_locks_[std::hash<std::string>{}(id) %
                                           conversation_locks_.size()]);
  for (int attempt = 1;; ++attempt) {
    if (options_.max_turns > 0 &&
        conversation.session.turns >=
            static_cast<uint32_t>(options_.max_turns)) {
      SendProblem(response, 409, kConversationFull, kConversationFullType);
      return;
    }
    // The turn runs on the loaded conversation itself: if the save loses a
    // race, the conversation is loaded again below.
    if (body.region) conversation.region = *body.region;
    const Reply reply = engine->Respond(
        body.text, &conversation.session,
        TurnOptions{.trace = trace, .region = conversation.region});
    const ReplyJson reply_json(reply);
    const std::string at = JsonLiteral(FormatTime(clock_->NowMillis()));
    std::vector<std::string> transcript;
    transcript.reserve(1 + reply.messages.size());
    transcript.push_back(UserEntry(body.text, at));
    reply_json.AppendCoachEntries(at, &transcript);
    if (options_.max_conversation_bytes > 0 &&
        conversation.transcript_bytes + BytesOf(transcript) >
            options_.max_conversation_bytes) {
      SendProblem(response, 409, kConversationFull, kConversationFullType);
      return;
    }
    const uint32_t turns = conversation.session.turns;
    // The session and transcript move into the store (a memory store keeps
    // them as they are); a failed save leaves them here.
    status = store_->SaveTakingSession(&conversation, std::move(transcript));
    NoteStoreWrite(status);
    if (status.ok()) {
      metrics_.RecordTurn(SafetyKindName(reply.safety.kind),
                          SafetyLevelName(reply.safety.level), reply.fallback,
                          reply.flow, reply.node, reply.intent);
      if (review_queue_ != nullptr &&
          (reply.fallback || reply.safety.level == SafetyLevel::kCheckIn)) {
        // Only here, and only dialog ids beside the text: no id, token,
        // address or time (the queue keeps the day). Stored off this thread.
        review_queue_->Add(
            ReviewItem{.text = body.text,
                       .reason = reply.fallback ? "fallback" : "check_in",
                       .flow = reply.flow,
                       .node = reply.node,
                       .intent = reply.intent});
      }
      std::string out;
      out.reserve(1024);  // a reply is rarely longer: no regrowth
      out += '{';
      if (trace == Trace::kOn) {
        out.append("\"explain\":").append(DumpJson(reply.explain)) += ',';
      }
      reply_json.AppendFields(&out);
      out.append(",\"turn\":").append(std::to_string(turns)) += '}';
      return SendJsonText(response, 200, std::move(out));
    }
    if (!status.IsAborted() || attempt == kSaveAttempts) break;
    // Another instance saved first: continue from its state.
    status = store_->Load(id, &conversation);
    if (!status.ok()) break;
  }
  SendStatus(response, status);
}

void Api::ReportMessage(const Request& request, Response& response) {
  const std::string id = request.matches[1];
  Conversation conversation;
  if (!Authorize(request, response, id, &conversation)) return;
  if (review_queue_ == nullptr) {
    SendProblem(response, 409,
                "this server keeps no review queue, so nothing was kept",
                kReviewQueueOffType);
    return;
  }
  if (!IsJsonContentType(HeaderValue(request, "Content-Type"))) {
    SendProblem(response, 415, "send the body as application/json");
    return;
  }
  const json body = json::parse(request.body, nullptr, false);
  const json* turn =
      body.is_object() && body.contains("turn") ? &body["turn"] : nullptr;
  if (turn == nullptr || !turn->is_number_unsigned() ||
      turn->get<uint64_t>() < 1 ||
      turn->get<uint64_t>() > conversation.session.turns) {
    SendProblem(response, 400,
                "send {\"turn\": N}, N the turn of a message in this "
                "conversation (1 to " +
                    std::to_string(conversation.session.turns) + ")");
    return;
  }
  // The person's N-th message, read from the stored transcript: the text
  // is theirs, never one sent with the report.
  const uint64_t wanted = turn->get<uint64_t>();
  uint64_t seen = 0;
  std::string text;
  for (size_t from = 0, total = 1; from < total && text.empty();) {
    std::vector<std::string> entries;
    Status status = store_->LoadTranscriptPage(id, from, kMaxPageEntries,
                                               kMaxPageBytes, &entries, &total);
    if (!status.ok()) return SendStatus(response, status);
    if (entries.empty()) break;
    from += entries.size();
    for (const std::string& entry : entries) {
      const json parsed = json::parse(entry, nullptr, false);
      if (!parsed.is_object() || parsed.value("role", "") != "user") continue;
      if (++seen == wanted) {
        text = parsed.value("text", "");
        break;
      }
    }
  }
  if (seen != wanted) {
    SendProblem(response, 404, "no message of yours at that turn");
    return;
  }
  // The node is known only for the latest turn.
  const bool latest = wanted == conversation.session.turns;
  const bool positioned = latest && !conversation.session.stack.empty();
  review_queue_->Add(ReviewItem{
      .text = std::move(text),
      .reason = "reported",
      .flow = positioned ? conversation.session.stack.back().flow : "",
      .node = positioned ? conversation.session.stack.back().node : ""});
  response.status = 204;
}

void Api::GetConversation(const Request& request, Response& response) {
  const std::string id = request.matches[1];
  Conversation conversation;
  if (!Authorize(request, response, id, &conversation)) return;
  size_t from = 0;
  size_t limit = 0;
  if (!CountParam(request, "from", 0, 0, std::numeric_limits<uint32_t>::max(),
                  &from) ||
      !CountParam(request, "limit", kDefaultPageEntries, 1, kMaxPageEntries,
                  &limit)) {
    SendProblem(response, 400,
                "from must be a whole number >= 0 and limit one from 1 to " +
                    std::to_string(kMaxPageEntries));
    return;
  }
  std::vector<std::string> entries;
  size_t total = 0;
  Status status = store_->LoadTranscriptPage(id, from, limit, kMaxPageBytes,
                                             &entries, &total);
  if (!status.ok()) return SendStatus(response, status);
  int64_t expires = store_->ExpiresAtMillis(conversation);
  if (expires < 0) {
    expires = conversation.updated_millis + options_.idle_expiry_seconds * 1000;
  }
  // Written directly, the stored entries copied as they are (each is one
  // JSON object this server wrote): no tree of the page is built. Keys in
  // the order nlohmann::json would write them.
  std::string out;
  out.reserve(BytesOf(entries) + entries.size() + 512);
  JsonWriter writer(&out);
  writer.BeginObject()
      .Key("created_at")
      .String(FormatTime(conversation.created_millis))
      .Key("expires_at")
      .String(FormatTime(expires))
      .Key("id")
      .String(conversation.id);
  if (from + entries.size() < total) {
    writer.Key("next").Uint(from + entries.size());
  }
  writer.Key("region")
      .String(conversation.region)
      .Key("state")
      .Raw(DumpJson(StateSummary(conversation.session)))
      .Key("transcript")
      .BeginArray();
  for (const std::string& entry : entries) {
    // A damaged row is left out rather than breaking the document.
    if (json::accept(entry)) writer.Raw(entry);
  }
  writer.EndArray()
      .Key("transcript_total")
      .Uint(total)
      .Key("updated_at")
      .String(FormatTime(conversation.updated_millis))
      .EndObject();
  SendJsonText(response, 200, std::move(out));
}

void Api::DeleteConversation(const Request& request, Response& response) {
  const std::string id = request.matches[1];
  Conversation conversation;
  if (!Authorize(request, response, id, &conversation)) return;
  Status status = store_->Delete(id);
  NoteStoreWrite(status);
  if (!status.ok()) return SendStatus(response, status);
  response.status = 204;
}

void Api::Healthz(const Request&, Response& response) {
  auto [version, hash] = DialogsVersionAndHash();
  SendJson(response, 200,
           {{"status", "ok"},
            {"version", Version()},
            {"dialogs", {{"version", version}, {"hash", hash}}}});
}

std::pair<std::string, std::string> Api::DialogsVersionAndHash() const {
  std::lock_guard lock(engine_mu_);
  return {engine_ != nullptr ? engine_->dialogs().config().version : "",
          dialogs_hash_};
}

void Api::Readyz(const Request&, Response& response) {
  if (draining_) {
    SendProblem(response, 503, "the server is shutting down");
    return;
  }
  if (engine() == nullptr) {
    SendProblem(response, 503, "no dialogs are loaded");
    response.set_header("Retry-After", "1");
    return;
  }
  Status status = store_->Check();
  if (!status.ok()) {
    SendProblem(response, 503, "the session store is unavailable or full");
    const int64_t room = store_->SecondsUntilRoom();
    response.set_header("Retry-After", std::to_string(room > 0 ? room : 1));
    return;
  }
  const int64_t failed = write_failed_millis_.load(std::memory_order_relaxed);
  if (failed != 0 && clock_->NowMillis() - failed < kWriteErrorMillis) {
    SendProblem(response, 503, "the session store could not write");
    response.set_header("Retry-After",
                        std::to_string(kWriteErrorMillis / 1000));
    return;
  }
  SendJson(response, 200, {{"status", "ready"}});
}

void Api::NoteStoreWrite(const Status& status) {
  if (status.ok() || status.IsNotFound() || status.IsAborted() ||
      status.code() == Status::Code::kAlreadyExists) {
    return;
  }
  const int64_t now = clock_->NowMillis();
  write_failed_millis_.store(now == 0 ? 1 : now, std::memory_order_relaxed);
  if (event_log_ == nullptr) return;
  uint64_t unlogged = 0;
  {
    std::lock_guard lock(write_log_mu_);
    if (write_logged_millis_ != 0 &&
        now - write_logged_millis_ < kWriteErrorMillis) {
      ++write_errors_unlogged_;
      return;
    }
    write_logged_millis_ = now;
    unlogged = std::exchange(write_errors_unlogged_, 0);
  }
  // The store's message (SQLite's or Redis's error), never request text.
  event_log_->Write({{"event", "store_write_failed"},
                     {"error", status.ToString()},
                     {"not_logged_since", unlogged}});
}

void Api::SendTooManyConversations(Response& response, int64_t retry_after) {
  metrics_.RecordRateLimited("client_conversations");
  SendProblem(response, 429,
              "too many open conversations from this address; delete one "
              "or wait for one to expire");
  response.set_header("Retry-After", std::to_string(retry_after));
}

bool Api::TakeSharedClientPlace(const std::string& client,
                                const std::string& id, int64_t* retry_after) {
  if (options_.max_conversations_per_client <= 0 || !store_->CountsClients()) {
    return true;
  }
  int64_t expires = 0;
  const Status status = store_->TakeClientPlace(
      client, id, static_cast<size_t>(options_.max_conversations_per_client),
      &expires);
  // A store that cannot count now fails the create or turn itself; the
  // cap is not what should refuse it.
  if (!status.ok() || expires == 0) return true;
  *retry_after =
      std::max<int64_t>(1, (expires - clock_->NowMillis() + 999) / 1000);
  return false;
}

bool Api::TakeClientPlace(const std::string& client, int64_t* retry_after) {
  if (options_.max_conversations_per_client <= 0) return true;
  if (store_->CountsClients()) {
    return TakeSharedClientPlace(client, std::string(), retry_after);
  }
  const size_t cap = static_cast<size_t>(options_.max_conversations_per_client);
  std::lock_guard lock(clients_mu_);
  std::vector<std::string>& ids = clients_[client];
  if (ids.size() >= cap) {
    // At the cap: drop the ones that are gone, and learn when the first of
    // the others expires.
    const int64_t now = clock_->NowMillis();
    int64_t soonest = std::numeric_limits<int64_t>::max();
    std::erase_if(ids, [&](const std::string& id) {
      if (id.empty()) return false;  // a create in progress
      Conversation conversation;
      const Status status = store_->Load(id, &conversation);
      if (status.IsNotFound()) return true;
      if (status.ok()) {
        int64_t expires = store_->ExpiresAtMillis(conversation);
        if (expires < 0) {
          expires =
              conversation.updated_millis + options_.idle_expiry_seconds * 1000;
        }
        soonest = std::min(soonest, expires);
      }
      return false;
    });
    if (ids.size() >= cap) {
      *retry_after = soonest == std::numeric_limits<int64_t>::max()
                         ? 1
                         : std::max<int64_t>(1, (soonest - now + 999) / 1000);
      return false;
    }
  }
  ids.emplace_back();
  return true;
}

void Api::SettleClientPlace(const std::string& client, const std::string& id) {
  if (options_.max_conversations_per_client <= 0 || store_->CountsClients()) {
    return;
  }
  std::lock_guard lock(clients_mu_);
  auto it = clients_.find(client);
  if (it == clients_.end()) return;
  std::vector<std::string>& ids = it->second;
  auto place = std::find(ids.begin(), ids.end(), std::string());
  if (place != ids.end()) {
    if (id.empty()) {
      ids.erase(place);
    } else {
      *place = id;
    }
  }
  if (ids.empty()) clients_.erase(it);
}

void Api::ForgetGoneConversations() {
  if (options_.max_conversations_per_client <= 0) return;
  std::vector<std::pair<std::string, std::string>> known;
  {
    std::lock_guard lock(clients_mu_);
    for (const auto& [client, ids] : clients_) {
      for (const std::string& id : ids) {
        if (!id.empty()) known.emplace_back(client, id);
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> gone;
  for (auto& [client, id] : known) {
    Conversation conversation;
    if (store_->Load(id, &conversation).IsNotFound()) {
      gone.emplace_back(std::move(client), std::move(id));
    }
  }
  std::lock_guard lock(clients_mu_);
  for (const auto& [client, id] : gone) {
    auto it = clients_.find(client);
    if (it == clients_.end()) continue;
    std::erase(it->second, id);
    if (it->second.empty()) clients_.erase(it);
  }
}

void Api::ServeMetrics(const Request&, Response& response) {
  size_t active = 0;
  int64_t active_value = -1;  // -1: the store could not count
  if (store_->CountActive(&active).ok()) {
    active_value = static_cast<int64_t>(active);
  }
  auto [version, hash] = DialogsVersionAndHash();
  response.set_content(
      metrics_.Render(active_value) + BuildInfoMetric(version, hash),
      "text/plain; version=0.0.4; charset=utf-8");
}

void Api::OpenApi(const Request&, Response& response) {
  response.set_content(std::string(OpenApiJson()), "application/json");
}

}  // namespace trustcoach::server
