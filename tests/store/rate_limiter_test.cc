#include "store/rate_limiter.h"

#include <catch2/catch.hpp>

#include "store/clock.h"

namespace trustcoach::server {
namespace {

TEST_CASE("RateLimiter allows a burst, then refills at the rate",
          "[server][rate]") {
  FakeClock clock;
  RateLimiter limiter(&clock, /*rate=*/2, /*burst=*/3);
  int64_t retry_after = 0;
  CHECK(limiter.Allow("a", &retry_after));
  CHECK(limiter.Allow("a", &retry_after));
  CHECK(limiter.Allow("a", &retry_after));
  CHECK_FALSE(limiter.Allow("a", &retry_after));
  CHECK(retry_after == 1);

  SECTION("Keys have their own buckets") {
    CHECK(limiter.Allow("b", &retry_after));
  }
  SECTION("Half a second brings one token back at 2 per second") {
    clock.Advance(499);
    CHECK_FALSE(limiter.Allow("a", &retry_after));
    clock.Advance(1);
    CHECK(limiter.Allow("a", &retry_after));
    CHECK_FALSE(limiter.Allow("a", &retry_after));
  }
  SECTION("Full buckets are forgotten") {
    clock.Advance(60'000);
    CHECK(limiter.Allow("c", &retry_after));
    CHECK(limiter.tracked_keys() == 1);
  }
}

TEST_CASE("RateLimiter rounds Retry-After up to whole seconds",
          "[server][rate]") {
  FakeClock clock;
  RateLimiter limiter(&clock, /*rate=*/0.25, /*burst=*/1);
  int64_t retry_after = 0;
  CHECK(limiter.Allow("a", &retry_after));
  CHECK_FALSE(limiter.Allow("a", &retry_after));
  CHECK(retry_after == 4);
}

TEST_CASE("A rate of zero turns the limiter off", "[server][rate]") {
  FakeClock clock;
  RateLimiter limiter(&clock, 0, 1);
  int64_t retry_after = 0;
  for (int i = 0; i < 100; ++i) CHECK(limiter.Allow("a", &retry_after));
}

}  // namespace
}  // namespace trustcoach::server
