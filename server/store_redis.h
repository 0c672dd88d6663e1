#pragma once

#include <cstdint>
#include <memory>

#include "engine/status.h"
#include "server/clock.h"
#include "server/redis_client.h"
#include "server/session_store.h"

namespace trustcoach::server {

struct RedisStoreOptions {
  int64_t idle_expiry_millis = 2 * 60 * 60 * 1000;
};

// A store in a Redis server that several `trustcoach serve` instances share.
// Per conversation it keeps two keys, PREFIX{ID}:conversation (a hash) and
// PREFIX{ID}:transcript (a list), both with a TTL of the retention window
// that every save renews, plus the id in the sorted set PREFIX + "active"
// (scored by the last save), which CountActive() and ExpireIdle() use.
// Every write is one Lua script, so Save()'s version check and its writes
// are atomic across instances. Needs Redis 4 or later, standalone or a
// primary (not Redis Cluster).
//
// Store outages are Unavailable; the store reconnects by itself. The
// store's rate limiters (NewSharedRateLimiter) share buckets through the
// same Redis. `clock` must outlive the store.
//
// Opening fails with Unavailable, naming the address and the reason, when
// Redis cannot be reached.
Status OpenRedisStore(const RedisOptions& redis, const Clock* clock,
                      const RedisStoreOptions& options,
                      std::unique_ptr<SessionStore>* out);

}  // namespace trustcoach::server
