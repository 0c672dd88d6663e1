#include "store/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace trustcoach::server {

RateLimiter::RateLimiter(const Clock* clock, double rate, double burst)
    : clock_(clock), rate_(rate), burst_(std::max(burst, 1.0)) {}

bool RateLimiter::Allow(std::string_view key, int64_t* retry_after_seconds) {
  if (rate_ <= 0) return true;
  std::lock_guard lock(mu_);
  const int64_t now = clock_->NowMillis();
  if (now - last_prune_millis_ > 10'000) Prune(now);
  auto [it, inserted] =
      buckets_.try_emplace(std::string(key), Bucket{burst_, now});
  Bucket& bucket = it->second;
  const double elapsed = static_cast<double>(now - bucket.updated_millis);
  bucket.tokens = std::min(burst_, bucket.tokens + elapsed / 1000.0 * rate_);
  bucket.updated_millis = now;
  if (bucket.tokens >= 1.0) {
    bucket.tokens -= 1.0;
    return true;
  }
  const double wait = (1.0 - bucket.tokens) / rate_;
  *retry_after_seconds =
      std::max<int64_t>(1, static_cast<int64_t>(std::ceil(wait)));
  return false;
}

size_t RateLimiter::tracked_keys() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

void RateLimiter::Prune(int64_t now) {
  last_prune_millis_ = now;
  std::erase_if(buckets_, [&](const auto& item) {
    const double elapsed =
        static_cast<double>(now - item.second.updated_millis);
    return item.second.tokens + elapsed / 1000.0 * rate_ >= burst_;
  });
}

RateLimiterFactory LocalRateLimiters(const Clock* clock) {
  return [clock](std::string_view /*name*/, double rate, double burst) {
    return std::make_unique<RateLimiter>(clock, rate, burst);
  };
}

}  // namespace trustcoach::server
