#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/status.h"
#include "store/clock.h"
#include "store/session_store.h"

namespace trustcoach::server {

struct SqliteStoreOptions {
  int64_t idle_expiry_millis = 2 * 60 * 60 * 1000;
  // A conversation never saved after Create() (no message from the person)
  // expires after this instead, when it is shorter.
  int64_t unanswered_expiry_millis = 10 * 60 * 1000;
  // Create() fails with Unavailable when this many conversations are stored
  // (after dropping the expired ones); 0: no cap.
  size_t max_conversations = 100000;
  // Create() and Save() fail with Unavailable when the database's pages in
  // use ((page_count - freelist_count) * page_size, read at most once a
  // second) reach this many bytes; 0: no cap.
  size_t max_bytes = size_t{1} << 30;
  // PRAGMA synchronous. kFull syncs the WAL on every commit, so a turn the
  // API acknowledged survives a power cut; kNormal syncs only at
  // checkpoints, which still survives a process crash (kill -9), because a
  // committed transaction is in the WAL file before COMMIT returns.
  enum class Sync { kFull, kNormal };
  Sync sync = Sync::kFull;
};

// A store in one SQLite file in WAL mode, created with its tables when
// missing. Deleted and expired rows are overwritten (secure_delete) and the
// WAL is truncated after each sweep, so removed conversations do not linger
// on disk. `clock` must outlive the store.
Status OpenSqliteStore(const std::string& path, const Clock* clock,
                       const SqliteStoreOptions& options,
                       std::unique_ptr<SessionStore>* out);

}  // namespace trustcoach::server
