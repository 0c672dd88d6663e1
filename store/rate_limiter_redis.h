#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/clock.h"
#include "store/rate_limiter.h"
#include "store/redis_client.h"

namespace trustcoach::server {

// A RateLimiter whose buckets live in Redis, so that every instance sharing
// that Redis spends from the same buckets: PREFIX + key, a hash that expires
// once the bucket has refilled. Each Allow() is one Lua script, so
// concurrent spenders never overdraw a bucket. While Redis is unreachable it
// falls back to this process's own buckets rather than refusing everyone.
//
// Thread safety as RateLimiter. `clock` must outlive the limiter.
class RedisRateLimiter : public RateLimiter {
 public:
  RedisRateLimiter(std::shared_ptr<RedisClient> client, std::string key_prefix,
                   const Clock* clock, double rate, double burst);

  bool Allow(std::string_view key, int64_t* retry_after_seconds) override;

 private:
  const std::shared_ptr<RedisClient> client_;
  const std::string key_prefix_;
};

}  // namespace trustcoach::server
