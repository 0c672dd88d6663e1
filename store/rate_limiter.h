#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/clock.h"

namespace trustcoach::server {

// Token buckets keyed by a string (a client address, a conversation id):
// each key may spend `burst` requests at once and regains `rate` per second.
// Safe to call from any thread. Buckets that have refilled completely are
// forgotten, so memory follows the number of recently active keys.
// RedisRateLimiter (store/rate_limiter_redis.h) keeps the buckets in Redis
// instead, to share them between instances, and falls back to these.
class RateLimiter {
 public:
  // A `rate` of 0 disables the limiter: every request is allowed.
  RateLimiter(const Clock* clock, double rate, double burst);
  virtual ~RateLimiter() = default;
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Spends one token of `key`. When none is left returns false and sets
  // `*retry_after_seconds` to the whole seconds until one is back (>= 1).
  virtual bool Allow(std::string_view key, int64_t* retry_after_seconds);

  size_t tracked_keys() const;

 protected:
  const Clock* clock() const { return clock_; }
  double rate() const { return rate_; }
  double burst() const { return burst_; }

 private:
  struct Bucket {
    double tokens;
    int64_t updated_millis;
  };
  void Prune(int64_t now);

  const Clock* const clock_;
  const double rate_;
  const double burst_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  int64_t last_prune_millis_ = 0;
};

// Makes the rate limiters of one backend: buckets named `name` (which keeps
// one backend's limiters apart), refilled at `rate` per second up to `burst`.
// OpenStore() (store/open.h) gives each store the factory that shares its
// backend.
using RateLimiterFactory = std::function<std::unique_ptr<RateLimiter>(
    std::string_view name, double rate, double burst)>;

// Limiters whose buckets live in this process only. `clock` must outlive
// the factory and its limiters.
RateLimiterFactory LocalRateLimiters(const Clock* clock);

}  // namespace trustcoach::server
