#include "store/rate_limiter_redis.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace trustcoach::server {
namespace {

// A token bucket as RateLimiter keeps it, in one hash. Returns 0 when a
// token was spent, else the milliseconds until one is back. The hash lives
// until the bucket would be full again (plus a second), so idle clients
// leave nothing behind. Clocks of different instances may differ a little:
// time never runs backwards for a bucket.
constexpr const char* kTokenBucket = R"lua(
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(bucket[1]) or burst
local updated = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) / 1000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens),
           'updated', tostring(math.max(now, updated)))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return wait
)lua";

std::string Number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(std::shared_ptr<RedisClient> client,
                                   std::string key_prefix, const Clock* clock,
                                   double rate, double burst)
    : RateLimiter(clock, rate, burst),
      client_(std::move(client)),
      key_prefix_(std::move(key_prefix)) {}

bool RedisRateLimiter::Allow(std::string_view key,
                             int64_t* retry_after_seconds) {
  if (rate() <= 0) return true;
  RedisReply reply;
  Status status = client_->Eval(
      kTokenBucket, {key_prefix_ + std::string(key)},
      {Number(rate()), Number(burst()), std::to_string(clock()->NowMillis())},
      &reply);
  if (!status.ok() || reply.type != RedisReply::Type::kInteger) {
    return RateLimiter::Allow(key, retry_after_seconds);
  }
  if (reply.integer == 0) return true;
  *retry_after_seconds = std::max<int64_t>(1, (reply.integer + 999) / 1000);
  return false;
}

}  // namespace trustcoach::server
