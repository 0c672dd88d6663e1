#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session.h"
#include "engine/status.h"
#include "store/crypto.h"

namespace trustcoach::server {

// One conversation as a store holds it. The store treats `region` and
// transcript entries as opaque text (an entry is one line: no '\n'); a store
// that keeps conversations outside this process stores `session` as
// SerializeSession() text, and its Load answers Internal when stored text does
// not parse.
struct Conversation {
  std::string id;
  std::string token_hash;  // hex SHA-256 of the bearer token, never the token
  // KeyedTokenTag() of the bearer token, when `has_token_tag`: a cheaper
  // check than the SHA-256, valid only in the process that made it. Kept by
  // stores that KeepsTokenTag(), never written outside the process.
  TokenTag token_tag{};
  bool has_token_tag = false;
  Session session;             // the engine's state between turns
  std::string region;          // as the client last asked for it, may be empty
  uint64_t version = 0;        // set by the store: 1 after Create, +1 per Save
  int64_t created_millis = 0;  // set by the store
  int64_t updated_millis = 0;  // set by the store on Create and Save
  // Bytes of transcript entries stored so far, set by Load, Create and Save
  // in stores that count them (memory, SQLite); 0 in the others.
  uint64_t transcript_bytes = 0;
};

// For stores that keep `session` as SerializeSession() text: parses it, and
// reports text that does not parse as Internal (damaged data, not a bad
// request).
inline Status ParseStoredSession(std::string_view text, Session* session) {
  Status status = ParseSession(text, session);
  return status.ok() ? status
                     : Status::Internal("stored state: " + status.message());
}

// Where conversations live between turns. Implementations are safe to call
// from any request thread. Every conversation idle (not saved) for longer
// than the store's retention window is gone: Load() and friends answer
// NotFound for it even before ExpireIdle() has removed it.
//
// Errors: NotFound for an unknown, deleted or expired id; Unavailable when
// the backend is down; Aborted when Save() lost a race.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Stores a new conversation and its first transcript entries. Sets
  // `version` to 1 and both timestamps. AlreadyExists if the id is taken.
  virtual Status Create(Conversation* conversation,
                        const std::vector<std::string>& transcript) = 0;

  // Loads the conversation without its transcript.
  virtual Status Load(std::string_view id, Conversation* conversation) = 0;

  // Replaces `session` and `region` and appends `transcript` atomically, if the
  // stored version still equals `conversation->version`; then increments
  // `conversation->version` and sets `updated_millis`. Aborted when another
  // writer saved first: reload and retry. Nothing is written on error.
  virtual Status Save(Conversation* conversation,
                      const std::vector<std::string>& transcript) = 0;

  // Save() for a caller done with the conversation's state: on success the
  // store may take `conversation->session` and `transcript` instead of
  // copying them, leaving them valid but unspecified (read what is still
  // needed first); the other fields are kept or set as Save() sets them. On
  // error nothing is written and nothing is taken. What is stored is exactly
  // what Save() would store. This default calls Save(); the memory store, which
  // keeps the Session itself, moves it.
  virtual Status SaveTakingSession(Conversation* conversation,
                                   std::vector<std::string>&& transcript) {
    return Save(conversation, transcript);
  }

  // Whether Load() gives back the `token_tag` Create() was given (a store
  // in this process's memory): then a token is checked against the tag, and
  // a request for an unknown id computes a tag too, so that both take the
  // same work.
  virtual bool KeepsTokenTag() const { return false; }

  // Every transcript entry of `id`, oldest first.
  virtual Status LoadTranscript(std::string_view id,
                                std::vector<std::string>* transcript) = 0;

  // Up to `limit` transcript entries of `id` from entry `from` on (oldest
  // first), stopping early once the page holds `max_bytes` (it always holds
  // one entry when any is left); `*total` is the number of entries stored.
  // This default loads the whole transcript; the memory store copies only
  // the page.
  virtual Status LoadTranscriptPage(std::string_view id, size_t from,
                                    size_t limit, size_t max_bytes,
                                    std::vector<std::string>* page,
                                    size_t* total) {
    std::vector<std::string> all;
    Status status = LoadTranscript(id, &all);
    if (!status.ok()) return status;
    *total = all.size();
    page->clear();
    size_t bytes = 0;
    for (size_t i = from; i < all.size() && page->size() < limit; ++i) {
      if (!page->empty() && bytes + all[i].size() > max_bytes) break;
      bytes += all[i].size();
      page->push_back(std::move(all[i]));
    }
    return Status::OK();
  }

  // Removes the conversation and its transcript for good.
  virtual Status Delete(std::string_view id) = 0;

  // Removes every conversation idle longer than the retention window.
  virtual Status ExpireIdle(size_t* removed) = 0;

  // How many conversations are within the retention window.
  virtual Status CountActive(size_t* count) = 0;

  // OK when the backend can serve requests (for /readyz); Unavailable also
  // when it is full and cannot take a new conversation.
  virtual Status Check() = 0;

  // When `conversation`, as loaded, expires if left idle; -1 when the store
  // applies only the retention window its options give (the caller knows
  // it).
  virtual int64_t ExpiresAtMillis(const Conversation& /*conversation*/) {
    return -1;
  }

  // After Create() answered Unavailable because the store is full: about how
  // many seconds until a conversation expires and makes room, for
  // Retry-After. 0 when the store does not know.
  virtual int64_t SecondsUntilRoom() { return 0; }

  // Whether this store counts each client's live conversations itself
  // (TakeClientPlace), so that a cap per client holds across every server
  // instance sharing the store. When false the caller counts in its own
  // process.
  virtual bool CountsClients() const { return false; }

  // For stores that CountsClients(): with `id` empty, asks whether `client`
  // has room for one more live conversation under `cap`; with `id` (one
  // just created), adds it when there is room. `*expires_millis` is 0 when
  // there is room (and `id` was added), else when the first of the client's
  // other live conversations expires. Atomic across instances.
  virtual Status TakeClientPlace(std::string_view /*client*/,
                                 std::string_view /*id*/, size_t /*cap*/,
                                 int64_t* expires_millis) {
    *expires_millis = 0;
    return Status::OK();
  }
};

}  // namespace trustcoach::server
