#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "store/clock.h"
#include "store/session_store.h"

namespace trustcoach::server {

struct MemoryStoreOptions {
  int64_t idle_expiry_millis = 2 * 60 * 60 * 1000;
  // A conversation never saved after Create() (no message from the person)
  // expires after this instead, when it is shorter.
  int64_t unanswered_expiry_millis = 10 * 60 * 1000;
  // Create() fails with Unavailable when this many live conversations are
  // held (after dropping the expired ones).
  size_t max_conversations = 10000;
  // Create() and Save() fail with Unavailable when the transcripts of all
  // conversations would hold more bytes than this.
  size_t max_bytes = size_t{256} << 20;
};

// A store in this process's memory: fast, lost on exit. `clock` must outlive
// the store.
std::unique_ptr<SessionStore> NewMemoryStore(const Clock* clock,
                                             const MemoryStoreOptions& options);

}  // namespace trustcoach::server
