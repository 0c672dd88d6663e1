#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/status.h"
#include "store/clock.h"
#include "store/rate_limiter.h"
#include "store/session_store.h"

namespace trustcoach::server {

// Which store to open and its bounds, each field with its default.
// ServerOptions (server/options.h) embeds it, so `trustcoach serve` fills it
// from the same flags, environment and config file as the rest.
struct StoreOptions {
  // "memory", "sqlite:PATH", "redis://HOST[:PORT][/DB][?OPTIONS]" (see
  // ParseRedisUrl in store/redis_client.h) or empty for SQLite in
  // `data_dir`.
  std::string store;
  // Folder for the default SQLite file (trustcoach.db), needed when `store`
  // is empty (the command line fills in its default: cli/settings.h).
  std::string data_dir;
  // SQLite `synchronous`: "full" (default, survives power loss) or "normal"
  // (survives a process crash such as kill -9, not a power cut).
  std::string sqlite_synchronous = "full";

  // Conversations untouched this long are deleted (the retention window).
  int64_t idle_expiry_seconds = 2 * 60 * 60;
  // A conversation without any message from the person (only the coach's
  // greeting) is deleted after this many idle seconds instead (every store;
  // see docs/reliability.md).
  int64_t unanswered_expiry_seconds = 10 * 60;
  // Memory store only: the most conversations held at once, and the most
  // transcript bytes held for all of them together.
  size_t memory_max_conversations = 10000;
  size_t memory_max_bytes = size_t{256} << 20;
  // SQLite store only: the most conversations stored, and the most bytes of
  // database pages in use; 0 disables either.
  size_t sqlite_max_conversations = 100000;
  size_t sqlite_max_bytes = size_t{1} << 30;
  // Redis store only: connections kept when the URL sets no pool size; one
  // per thread that uses the store at once (serve: its threads and the
  // sweeper).
  size_t store_connections = 9;
};

// What OpenStore() opens: the store, and the rate limiters that share its
// backend (kept in Redis when the store is Redis, so that limits hold across
// instances; else in this process).
struct Storage {
  std::unique_ptr<SessionStore> store;
  RateLimiterFactory rate_limiters;
  // What was opened, for the startup message: "memory", "sqlite:PATH" or
  // the Redis address without its password.
  std::string description;
};

// Opens the store `options.store` names: "memory", "sqlite:PATH",
// "redis://..." (or rediss://), or, when empty, SQLite in
// `options.data_dir`/trustcoach.db (the folder created, mode 0700). A SQLite
// file is created owner-only. InvalidArgument for a name it does not know,
// Unavailable when the backend cannot be opened. `clock` must outlive the
// storage.
Status OpenStore(const StoreOptions& options, const Clock* clock, Storage* out);

}  // namespace trustcoach::server
