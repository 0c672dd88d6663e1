#pragma once

#include <cstdint>
#include <memory>

#include "engine/status.h"
#include "store/clock.h"
#include "store/rate_limiter.h"
#include "store/redis_client.h"
#include "store/session_store.h"

namespace trustcoach::server {

struct RedisStoreOptions {
  int64_t idle_expiry_millis = 2 * 60 * 60 * 1000;
  // A conversation never saved after Create() (no message from the person)
  // expires after this instead, when it is shorter: its keys get this TTL,
  // renewed to the idle window by the first Save().
  int64_t unanswered_expiry_millis = 10 * 60 * 1000;
};

// The format of the keys and values below, part of every key name
// (PREFIX + "v1:"): a release that changes the format uses new keys, so
// instances of two releases sharing one Redis during an upgrade never read
// each other's data.
inline constexpr char kRedisFormat[] = "v1:";

// A store in a Redis server that several `trustcoach serve` instances share.
// With P = PREFIX + kRedisFormat, per conversation it keeps two keys,
// P{ID}:conversation (a hash) and P{ID}:transcript (a list), both with a TTL
// of the retention window that every save renews, plus the id in the sorted
// set P + "active" (scored by the last save), which CountActive() and
// ExpireIdle() use; rate-limit buckets are P + "ratelimit:...".
// Every write is one Lua script, so Save()'s version check and its writes
// are atomic across instances. Needs Redis 4 or later, standalone or a
// primary (not Redis Cluster).
//
// Store outages are Unavailable; the store reconnects by itself. `clock`
// must outlive the store.
//
// With `rate_limiters` given, also sets it to a factory of RedisRateLimiters
// that share the store's connections and keep their buckets in the same
// Redis, so that limits hold across every instance; it may outlive the store.
//
// Opening fails with Unavailable, naming the address and the reason, when
// Redis cannot be reached.
Status OpenRedisStore(const RedisOptions& redis, const Clock* clock,
                      const RedisStoreOptions& options,
                      std::unique_ptr<SessionStore>* out,
                      RateLimiterFactory* rate_limiters = nullptr);

}  // namespace trustcoach::server
