#include "store/redis_client.h"

#include <poll.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include <hiredis/hiredis.h>

namespace trustcoach::server {
namespace {

constexpr int64_t kFailFastMillis = 1000;

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

template <typename Int>
bool ParseNumber(std::string_view text, Int min, Int max, Int* out) {
  Int value{};
  auto [end, error] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min ||
      value > max) {
    return false;
  }
  *out = value;
  return true;
}

// %XX escapes, so that a password may hold '@', ':' or '/'.
bool PercentDecode(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      *out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return false;
    int value = 0;
    auto [end, error] =
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (error != std::errc() || end != text.data() + i + 3) return false;
    *out += static_cast<char>(value);
    i += 2;
  }
  return true;
}

Status UrlError(std::string_view what) {
  return Status::InvalidArgument(
      "store: " + std::string(what) +
      " (expected redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?timeout_ms=N&"
      "connect_timeout_ms=N&pool=N&prefix=P])");
}

Status ParseHostPort(std::string_view text, RedisOptions* options) {
  std::string_view port;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos)
      return UrlError("unclosed '[' in host");
    options->host = std::string(text.substr(1, close - 1));
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) {
      return UrlError("junk after ']' in host");
    }
    if (!rest.empty()) port = rest.substr(1);
  } else {
    const size_t colon = text.rfind(':');
    options->host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) port = text.substr(colon + 1);
  }
  if (options->host.empty()) return UrlError("the host is missing");
  if (!port.empty() && !ParseNumber(port, 1, 65535, &options->port)) {
    return UrlError("the port must be 1 to 65535, got '" + std::string(port) +
                    "'");
  }
  return Status::OK();
}

Status ParseQuery(std::string_view query, RedisOptions* options) {
  while (!query.empty()) {
    const size_t amp = std::min(query.find('&'), query.size());
    const std::string_view item = query.substr(0, amp);
    query.remove_prefix(std::min(amp + 1, query.size()));
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? "" : item.substr(eq + 1);
    bool ok = true;
    if (key == "timeout_ms") {
      ok = ParseNumber(value, 1, 600'000, &options->command_timeout_millis);
    } else if (key == "connect_timeout_ms") {
      ok = ParseNumber(value, 1, 600'000, &options->connect_timeout_millis);
    } else if (key == "pool") {
      ok = ParseNumber<size_t>(value, 1, 4096, &options->pool_size);
    } else if (key == "prefix") {
      ok = PercentDecode(value, &options->key_prefix);
    } else {
      return UrlError("unknown option '" + std::string(key) + "'");
    }
    if (!ok) {
      return UrlError("bad value '" + std::string(value) + "' for " +
                      std::string(key));
    }
  }
  return Status::OK();
}

timeval ToTimeval(int millis) {
  return timeval{.tv_sec = millis / 1000,
                 .tv_usec = static_cast<suseconds_t>(millis % 1000) * 1000};
}

void Convert(const redisReply& from, RedisReply* to) {
  switch (from.type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
      to->type = from.type == REDIS_REPLY_STRING   ? RedisReply::Type::kString
                 : from.type == REDIS_REPLY_STATUS ? RedisReply::Type::kStatus
                                                   : RedisReply::Type::kError;
      to->text.assign(from.str, from.len);
      break;
    case REDIS_REPLY_INTEGER:
      to->type = RedisReply::Type::kInteger;
      to->integer = from.integer;
      break;
    case REDIS_REPLY_ARRAY:
      to->type = RedisReply::Type::kArray;
      to->elements.resize(from.elements);
      for (size_t i = 0; i < from.elements; ++i) {
        Convert(*from.element[i], &to->elements[i]);
      }
      break;
    default:
      to->type = RedisReply::Type::kNil;
  }
}

// Error replies that mean "not now" rather than "wrong request".
bool IsTransientError(std::string_view text) {
  for (std::string_view prefix :
       {"LOADING", "BUSY", "OOM", "READONLY", "MASTERDOWN", "TRYAGAIN",
        "CLUSTERDOWN", "NOREPLICAS", "MISCONF"}) {
    if (text.starts_with(prefix)) return true;
  }
  return false;
}

// Sends `args` on `context`. Connection errors leave `context->err` set.
Status RunCommand(redisContext* context, const RedisOptions& options,
                  const std::vector<std::string>& args, RedisReply* reply) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  void* raw = redisCommandArgv(context, static_cast<int>(args.size()),
                               argv.data(), lengths.data());
  if (raw == nullptr) {
    return Status::Unavailable(
        "redis " + DescribeRedis(options) + ": " +
        (context->err != 0 ? context->errstr : "no reply"));
  }
  *reply = RedisReply();
  Convert(*static_cast<redisReply*>(raw), reply);
  freeReplyObject(raw);
  if (reply->type != RedisReply::Type::kError) return Status::OK();
  const std::string message = "redis: " + reply->text;
  return IsTransientError(reply->text) ? Status::Unavailable(message)
                                       : Status::Internal(message);
}

// True when the server closed the connection or sent something unasked:
// either way it cannot be used for a request/reply exchange any more.
bool ClosedByServer(redisContext* context) {
  if (context->err != 0) return true;
  pollfd fd = {.fd = context->fd, .events = POLLIN};
  return poll(&fd, 1, 0) != 0;
}

}  // namespace

Status ParseRedisUrl(std::string_view url, RedisOptions* options) {
  constexpr std::string_view kScheme = "redis://";
  if (url.starts_with("rediss://")) {
    return UrlError(
        "TLS (rediss://) is not supported; reach Redis over a "
        "private network or a TLS tunnel");
  }
  if (!url.starts_with(kScheme)) return UrlError("not a redis:// URL");
  url.remove_prefix(kScheme.size());
  *options = RedisOptions();
  if (const size_t question = url.find('?');
      question != std::string_view::npos) {
    Status status = ParseQuery(url.substr(question + 1), options);
    if (!status.ok()) return status;
    url = url.substr(0, question);
  }
  const size_t slash = std::min(url.find('/'), url.size());
  std::string_view authority = url.substr(0, slash);
  const std::string_view db = url.substr(std::min(slash + 1, url.size()));
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos ||
        !PercentDecode(userinfo.substr(0, colon), &options->user) ||
        !PercentDecode(userinfo.substr(colon + 1), &options->password)) {
      return UrlError("credentials must be [USER]:PASSWORD");
    }
    authority.remove_prefix(at + 1);
  }
  Status status = ParseHostPort(authority, options);
  if (!status.ok()) return status;
  if (!db.empty() && !ParseNumber(db, 0, 1 << 20, &options->db)) {
    return UrlError("the database must be a number, got '" + std::string(db) +
                    "'");
  }
  return Status::OK();
}

std::string DescribeRedis(const RedisOptions& options) {
  const bool v6 = options.host.find(':') != std::string::npos;
  return "redis://" + (v6 ? "[" + options.host + "]" : options.host) + ":" +
         std::to_string(options.port) + "/" + std::to_string(options.db);
}

RedisClient::RedisClient(const RedisOptions& options) : options_(options) {}

RedisClient::~RedisClient() {
  // Every call has returned by now, so every connection is idle.
  for (redisContext* context : idle_) redisFree(context);
}

Status RedisClient::Connect(const RedisOptions& options,
                            std::unique_ptr<RedisClient>* out) {
  RedisOptions resolved = options;
  if (resolved.pool_size == 0) resolved.pool_size = 8;
  std::unique_ptr<RedisClient> client(new RedisClient(resolved));
  RedisReply reply;
  Status status = client->Command({"PING"}, &reply);
  if (!status.ok()) return status;
  *out = std::move(client);
  return Status::OK();
}

Status RedisClient::Open(redisContext** out) const {
  const timeval connect_timeout = ToTimeval(options_.connect_timeout_millis);
  redisContext* context = redisConnectWithTimeout(
      options_.host.c_str(), options_.port, connect_timeout);
  const std::string where = "redis " + DescribeRedis(options_);
  if (context == nullptr) return Status::Unavailable(where + ": out of memory");
  if (context->err != 0) {
    Status status = Status::Unavailable(
        where + ": cannot connect: " + std::string(context->errstr));
    redisFree(context);
    return status;
  }
  redisSetTimeout(context, ToTimeval(options_.command_timeout_millis));
  redisEnableKeepAlive(context);
  std::vector<std::vector<std::string>> setup;
  if (!options_.password.empty()) {
    setup.push_back(options_.user.empty()
                        ? std::vector<std::string>{"AUTH", options_.password}
                        : std::vector<std::string>{"AUTH", options_.user,
                                                   options_.password});
  }
  if (options_.db != 0) {
    setup.push_back({"SELECT", std::to_string(options_.db)});
  }
  for (const std::vector<std::string>& command : setup) {
    RedisReply reply;
    Status status = RunCommand(context, options_, command, &reply);
    if (!status.ok()) {
      redisFree(context);
      return Status::Unavailable(where + ": " + command[0] +
                                 " failed: " + status.message());
    }
  }
  *out = context;
  return Status::OK();
}

Status RedisClient::Acquire(redisContext** out) {
  const auto deadline =
      std::chrono::steady_clock::now() +
      std::chrono::milliseconds(options_.command_timeout_millis);
  std::unique_lock lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      redisContext* context = idle_.back();
      idle_.pop_back();
      if (!ClosedByServer(context)) {
        *out = context;
        return Status::OK();
      }
      redisFree(context);
      --open_;
    }
    if (open_ < options_.pool_size) {
      ++open_;
      lock.unlock();
      Status status = Open(out);
      if (!status.ok()) {
        lock.lock();
        --open_;
        released_.notify_one();
      }
      return status;
    }
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout) {
      return Status::Unavailable("redis: all " +
                                 std::to_string(options_.pool_size) +
                                 " connections stayed busy");
    }
  }
}

void RedisClient::Release(redisContext* context) {
  const bool broken = context->err != 0;
  {
    std::lock_guard lock(mu_);
    if (broken) {
      --open_;
    } else {
      idle_.push_back(context);
    }
  }
  if (broken) {
    redisFree(context);
    // The others most likely went down with it (a Redis restart).
    DropIdle();
  }
  released_.notify_one();
}

void RedisClient::DropIdle() {
  std::vector<redisContext*> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(idle_);
    open_ -= dropped.size();
  }
  for (redisContext* context : dropped) redisFree(context);
  released_.notify_all();
}

Status RedisClient::Command(const std::vector<std::string>& args,
                            RedisReply* reply) {
  const int64_t start = SteadyMillis();
  if (start < fail_fast_until_millis_.load()) {
    return Status::Unavailable("redis " + DescribeRedis(options_) +
                               ": not answering (timed out just now)");
  }
  redisContext* context = nullptr;
  Status status = Acquire(&context);
  if (status.ok()) {
    status = RunCommand(context, options_, args, reply);
    Release(context);
  }
  // A failure that took about as long as a timeout was one.
  const int64_t timeout = std::min(options_.connect_timeout_millis,
                                   options_.command_timeout_millis);
  if (status.IsUnavailable() && SteadyMillis() - start >= timeout * 9 / 10) {
    fail_fast_until_millis_.store(SteadyMillis() + kFailFastMillis);
  }
  return status;
}

Status RedisClient::Eval(std::string_view script,
                         const std::vector<std::string>& keys,
                         const std::vector<std::string>& args,
                         RedisReply* reply) {
  std::vector<std::string> command = {"EVAL", std::string(script),
                                      std::to_string(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  return Command(command, reply);
}

}  // namespace trustcoach::server
