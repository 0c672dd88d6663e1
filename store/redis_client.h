#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "engine/status.h"

struct redisContext;

namespace trustcoach::server {

// Where a Redis server is and how to talk to it. Parsed from a URL by
// ParseRedisUrl().
struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  int db = 0;
  // AUTH [user] password when `password` is set.
  std::string user;
  std::string password;
  // Connecting gives up after this long; so does a command that gets no
  // answer (then the connection is dropped and the call is Unavailable).
  int connect_timeout_millis = 1000;
  int command_timeout_millis = 2000;
  // The most connections open at once. Zero means "one per worker thread",
  // which OpenStore() fills in.
  size_t pool_size = 0;
  // Every key this program writes starts with this.
  std::string key_prefix = "trustcoach:";
};

// Parses redis://[[USER]:PASSWORD@]HOST[:PORT][/DB][?KEY=VALUE&...] with the
// query keys connect_timeout_ms, timeout_ms, pool and prefix. HOST may be an
// IPv6 address in brackets. InvalidArgument says what is wrong; the message
// never contains the password.
Status ParseRedisUrl(std::string_view url, RedisOptions* options);

// "redis://HOST:PORT/DB", without credentials: safe for logs.
std::string DescribeRedis(const RedisOptions& options);

// One reply, copied out of hiredis.
struct RedisReply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string text;  // kString, kStatus and kError
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray
};

// A pool of blocking connections to one Redis server. Connections open when
// needed, up to `pool_size`; a connection that failed or that the server
// closed (a Redis restart) is dropped and replaced by a new one on the next
// call, so the client recovers by itself once Redis is back. After a
// connect or a command timed out, calls fail at once for a second
// (kFailFastMillis) instead of each waiting out the timeout again: a hung
// Redis then costs request threads one timeout, not one each.
//
// Thread safety: every method may be called from any thread; a connection
// serves one call at a time.
class RedisClient {
 public:
  // Opens a first connection and sends PING. Unavailable, naming the address
  // and the reason, when Redis cannot be reached or refuses AUTH or SELECT.
  static Status Connect(const RedisOptions& options,
                        std::unique_ptr<RedisClient>* out);

  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command and waits for its reply. Unavailable when Redis is
  // unreachable, does not answer in time, or answers LOADING, BUSY, OOM,
  // READONLY and the like; Internal for any other error reply. Commands are
  // never resent: a write may have been applied when its reply was lost.
  Status Command(const std::vector<std::string>& args, RedisReply* reply);

  // EVAL `script` with `keys` and `args`, as Command().
  Status Eval(std::string_view script, const std::vector<std::string>& keys,
              const std::vector<std::string>& args, RedisReply* reply);

  const RedisOptions& options() const { return options_; }

 private:
  explicit RedisClient(const RedisOptions& options);

  Status Open(redisContext** out) const;
  Status Acquire(redisContext** out);
  void Release(redisContext* context);
  void DropIdle();

  const RedisOptions options_;
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<redisContext*> idle_;
  size_t open_ = 0;  // idle plus in use
  // steady_clock milliseconds until which calls fail at once.
  std::atomic<int64_t> fail_fast_until_millis_{0};
};

}  // namespace trustcoach::server
