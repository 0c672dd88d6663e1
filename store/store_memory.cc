#include "store/store_memory.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace trustcoach::server {
namespace {

// Conversations are spread over shards by id, each with its own lock, so
// that turns on different conversations rarely wait for one another. An
// entry holds its conversation as an immutable snapshot: Load copies it
// outside the lock, and Save swaps in a new one.
class MemoryStore : public SessionStore {
 public:
  MemoryStore(const Clock* clock, const MemoryStoreOptions& options)
      : clock_(clock), options_(options) {}

  Status Create(Conversation* conversation,
                const std::vector<std::string>& transcript) override {
    const int64_t now = clock_->NowMillis();
    Conversation stored = *conversation;
    stored.version = 1;
    stored.created_millis = now;
    stored.updated_millis = now;
    const size_t bytes = BytesOf(transcript);
    stored.transcript_bytes = bytes;
    auto snapshot = std::make_shared<const Conversation>(std::move(stored));
    Shard& shard = ShardOf(conversation->id);
    {
      std::lock_guard lock(shard.mu);
      auto it = shard.entries.find(conversation->id);
      if (it != shard.entries.end()) {
        if (!Expired(it->second, now)) {
          return Status::AlreadyExists("conversation exists");
        }
        Forget(it->second);  // an expired one with the same id
        shard.entries.erase(it);
      }
      if (!Reserve(now, shard, bytes)) {
        return Status::Unavailable("memory store is full");
      }
      shard.entries.emplace(conversation->id,
                            Entry{snapshot, transcript, bytes});
    }
    conversation->transcript_bytes = bytes;
    conversation->version = 1;
    conversation->created_millis = now;
    conversation->updated_millis = now;
    return Status::OK();
  }

  Status Load(std::string_view id, Conversation* conversation) override {
    std::shared_ptr<const Conversation> snapshot;
    size_t bytes = 0;
    {
      Shard& shard = ShardOf(id);
      std::lock_guard lock(shard.mu);
      const Entry* entry = Find(shard, id);
      if (entry == nullptr) return Status::NotFound("no such conversation");
      snapshot = entry->conversation;
      bytes = entry->bytes;
    }
    *conversation = *snapshot;
    conversation->transcript_bytes = bytes;
    return Status::OK();
  }

  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    auto stored = std::make_shared<Conversation>(*conversation);
    std::vector<std::string> entries = transcript;
    return Replace(conversation, std::move(stored), std::move(entries));
  }

  Status SaveTakingSession(Conversation* conversation,
                           std::vector<std::string>&& transcript) override {
    // Everything but the session (the bulk of it) is copied.
    auto stored = std::make_shared<Conversation>(
        Conversation{.id = conversation->id,
                     .token_hash = conversation->token_hash,
                     .token_tag = conversation->token_tag,
                     .has_token_tag = conversation->has_token_tag,
                     .session = std::move(conversation->session),
                     .region = conversation->region,
                     .version = conversation->version,
                     .created_millis = conversation->created_millis,
                     .updated_millis = conversation->updated_millis,
                     .transcript_bytes = conversation->transcript_bytes});
    Status status = Replace(conversation, stored, std::move(transcript));
    // Nothing was stored: the caller keeps its session.
    if (!status.ok()) conversation->session = std::move(stored->session);
    return status;
  }

  bool KeepsTokenTag() const override { return true; }

  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    const Entry* entry = Find(shard, id);
    if (entry == nullptr) return Status::NotFound("no such conversation");
    *transcript = entry->transcript;
    return Status::OK();
  }

  Status LoadTranscriptPage(std::string_view id, size_t from, size_t limit,
                            size_t max_bytes, std::vector<std::string>* page,
                            size_t* total) override {
    page->clear();
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    const Entry* entry = Find(shard, id);
    if (entry == nullptr) return Status::NotFound("no such conversation");
    const std::vector<std::string>& all = entry->transcript;
    *total = all.size();
    size_t bytes = 0;
    for (size_t i = from; i < all.size() && page->size() < limit; ++i) {
      if (!page->empty() && bytes + all[i].size() > max_bytes) break;
      bytes += all[i].size();
      page->push_back(all[i]);
    }
    return Status::OK();
  }

  Status Delete(std::string_view id) override {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    auto it = shard.entries.find(id);
    if (it == shard.entries.end()) {
      return Status::NotFound("no such conversation");
    }
    const bool expired = Expired(it->second, clock_->NowMillis());
    Forget(it->second);
    shard.entries.erase(it);
    return expired ? Status::NotFound("no such conversation") : Status::OK();
  }

  Status ExpireIdle(size_t* removed) override {
    *removed = RemoveExpired(clock_->NowMillis());
    return Status::OK();
  }

  Status CountActive(size_t* count) override {
    const int64_t now = clock_->NowMillis();
    *count = 0;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      for (const auto& [id, entry] : shard.entries) {
        if (!Expired(entry, now)) ++*count;
      }
    }
    return Status::OK();
  }

  // Full when neither one more conversation nor a few more turns fit, even
  // after dropping the expired ones.
  Status Check() override {
    if (Full()) RemoveExpired(clock_->NowMillis());
    return Full() ? Status::Unavailable("memory store is full") : Status::OK();
  }

  int64_t ExpiresAtMillis(const Conversation& conversation) override {
    return ExpiresAt(conversation);
  }

  // The soonest any conversation held expires. Scans every shard, so at
  // most once a second; other calls get the last answer.
  int64_t SecondsUntilRoom() override {
    const int64_t now = clock_->NowMillis();
    std::lock_guard lock(room_mu_);
    if (now - room_checked_millis_ < 1000 && room_checked_millis_ != 0) {
      return std::max<int64_t>(1, (room_at_millis_ - now + 999) / 1000);
    }
    int64_t soonest = std::numeric_limits<int64_t>::max();
    for (Shard& shard : shards_) {
      std::lock_guard shard_lock(shard.mu);
      for (const auto& [id, entry] : shard.entries) {
        soonest = std::min(soonest, ExpiresAt(entry));
      }
    }
    if (soonest == std::numeric_limits<int64_t>::max()) soonest = now;
    room_checked_millis_ = now;
    room_at_millis_ = soonest;
    return std::max<int64_t>(1, (soonest - now + 999) / 1000);
  }

 private:
  static constexpr size_t kShards = 64;

  struct Entry {
    std::shared_ptr<const Conversation> conversation;
    std::vector<std::string> transcript;
    size_t bytes = 0;  // of `transcript`'s entries
  };

  // Save()'s work: `stored` (the new state, made outside the lock) becomes
  // the conversation's snapshot and `transcript` is appended, if
  // `conversation->version` is still the stored one; `conversation`'s
  // version and timestamps are then set. On error nothing changes.
  Status Replace(Conversation* conversation,
                 const std::shared_ptr<Conversation>& stored,
                 std::vector<std::string>&& transcript) {
    const std::string& id = stored->id;
    const uint64_t version = stored->version;
    stored->version++;
    stored->updated_millis = clock_->NowMillis();
    const size_t added = BytesOf(transcript);
    std::shared_ptr<const Conversation> previous;
    {
      Shard& shard = ShardOf(id);
      std::lock_guard lock(shard.mu);
      Entry* entry = Find(shard, id);
      Status refused;
      if (entry == nullptr) {
        refused = Status::NotFound("no such conversation");
      } else if (entry->conversation->version != version) {
        refused = Status::Aborted("conversation changed concurrently");
      } else if (!AddBytes(added)) {
        refused = Status::Unavailable("memory store is full");
      }
      if (!refused.ok()) {
        stored->version = version;
        stored->updated_millis = conversation->updated_millis;
        return refused;
      }
      entry->bytes += added;
      stored->created_millis = entry->conversation->created_millis;
      stored->transcript_bytes = entry->bytes;
      previous = std::exchange(entry->conversation, stored);
      entry->transcript.insert(entry->transcript.end(),
                               std::make_move_iterator(transcript.begin()),
                               std::make_move_iterator(transcript.end()));
    }
    conversation->version = stored->version;
    conversation->created_millis = stored->created_millis;
    conversation->updated_millis = stored->updated_millis;
    conversation->transcript_bytes = stored->transcript_bytes;
    return Status::OK();  // `previous` is freed outside the lock
  }

  // Turns of about this size must still fit for the store not to be full.
  static constexpr size_t kTurnReserve = 64 * 1024;

  static size_t BytesOf(const std::vector<std::string>& transcript) {
    size_t bytes = 0;
    for (const std::string& entry : transcript) bytes += entry.size();
    return bytes;
  }
  struct Shard {
    std::mutex mu;
    std::map<std::string, Entry, std::less<>> entries;
  };

  Shard& ShardOf(std::string_view id) {
    return shards_[std::hash<std::string_view>{}(id) % kShards];
  }

  // A conversation saved only by Create() (the greeting, no message from
  // the person) has the shorter window, so that opening conversations
  // without using them cannot fill the store for hours.
  int64_t ExpiresAt(const Conversation& conversation) const {
    const int64_t window = conversation.version <= 1
                               ? std::min(options_.idle_expiry_millis,
                                          options_.unanswered_expiry_millis)
                               : options_.idle_expiry_millis;
    return conversation.updated_millis + window;
  }
  int64_t ExpiresAt(const Entry& entry) const {
    return ExpiresAt(*entry.conversation);
  }

  bool Expired(const Entry& entry, int64_t now) const {
    return now > ExpiresAt(entry);
  }

  bool Full() const {
    return size_.load() >= options_.max_conversations ||
           bytes_.load() + kTurnReserve > options_.max_bytes;
  }

  // Counts `added` more bytes against the budget; false (nothing counted)
  // when they do not fit.
  bool AddBytes(size_t added) {
    if (bytes_.fetch_add(added) + added <= options_.max_bytes) return true;
    bytes_.fetch_sub(added);
    return false;
  }

  // Uncounts an entry about to be erased; the caller holds its shard's lock.
  void Forget(const Entry& entry) {
    size_.fetch_sub(1);
    bytes_.fetch_sub(entry.bytes);
  }

  Entry* Find(Shard& shard, std::string_view id) {
    auto it = shard.entries.find(id);
    if (it == shard.entries.end() || Expired(it->second, clock_->NowMillis())) {
      return nullptr;
    }
    return &it->second;
  }

  // Counts one more conversation against the capacity; when full, drops
  // the expired ones first. False if there is still no room. The caller
  // holds `held`'s lock; other shards that are busy are skipped (their
  // expired entries go at the next sweep), so that no two locks are waited
  // for at once.
  bool Reserve(int64_t now, Shard& held, size_t bytes) {
    if (TryReserve(bytes)) return true;
    size_t removed = EraseExpired(held, now);
    for (Shard& shard : shards_) {
      if (&shard == &held) continue;
      std::unique_lock lock(shard.mu, std::try_to_lock);
      if (lock.owns_lock()) removed += EraseExpired(shard, now);
    }
    return removed > 0 && TryReserve(bytes);
  }

  bool TryReserve(size_t bytes) {
    if (size_.fetch_add(1) >= options_.max_conversations) {
      size_.fetch_sub(1);
      return false;
    }
    if (!AddBytes(bytes)) {
      size_.fetch_sub(1);
      return false;
    }
    return true;
  }

  // Erases `shard`'s expired entries; the caller holds its lock.
  size_t EraseExpired(Shard& shard, int64_t now) {
    const size_t removed = std::erase_if(shard.entries, [&](const auto& item) {
      if (!Expired(item.second, now)) return false;
      Forget(item.second);
      return true;
    });
    return removed;
  }

  size_t RemoveExpired(int64_t now) {
    size_t removed = 0;
    for (Shard& shard : shards_) {
      std::lock_guard lock(shard.mu);
      removed += EraseExpired(shard, now);
    }
    return removed;
  }

  const Clock* const clock_;
  const MemoryStoreOptions options_;
  std::array<Shard, kShards> shards_;
  std::atomic<size_t> size_ = 0;   // entries held, expired or not
  std::atomic<size_t> bytes_ = 0;  // their transcripts' bytes

  std::mutex room_mu_;  // guards the two below, SecondsUntilRoom()'s cache
  int64_t room_checked_millis_ = 0;
  int64_t room_at_millis_ = 0;
};

}  // namespace

std::unique_ptr<SessionStore> NewMemoryStore(
    const Clock* clock, const MemoryStoreOptions& options) {
  return std::make_unique<MemoryStore>(clock, options);
}

}  // namespace trustcoach::server
