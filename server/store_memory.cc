#include "server/store_memory.h"

#include <array>
#include <atomic>
#include <functional>
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
    auto snapshot = std::make_shared<const Conversation>(std::move(stored));
    Shard& shard = ShardOf(conversation->id);
    {
      std::lock_guard lock(shard.mu);
      auto it = shard.entries.find(conversation->id);
      if (it != shard.entries.end()) {
        if (!Expired(it->second, now)) {
          return Status::AlreadyExists("conversation exists");
        }
        shard.entries.erase(it);  // an expired one with the same id
        size_.fetch_sub(1);
      }
      if (!Reserve(now, shard)) {
        return Status::Unavailable("memory store is full");
      }
      shard.entries.emplace(conversation->id, Entry{snapshot, transcript});
    }
    conversation->version = 1;
    conversation->created_millis = now;
    conversation->updated_millis = now;
    return Status::OK();
  }

  Status Load(std::string_view id, Conversation* conversation) override {
    std::shared_ptr<const Conversation> snapshot;
    {
      Shard& shard = ShardOf(id);
      std::lock_guard lock(shard.mu);
      const Entry* entry = Find(shard, id);
      if (entry == nullptr) return Status::NotFound("no such conversation");
      snapshot = entry->conversation;
    }
    *conversation = *snapshot;
    return Status::OK();
  }

  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    Conversation stored = *conversation;
    stored.version++;
    stored.updated_millis = clock_->NowMillis();
    std::shared_ptr<const Conversation> previous;
    {
      Shard& shard = ShardOf(conversation->id);
      std::lock_guard lock(shard.mu);
      Entry* entry = Find(shard, conversation->id);
      if (entry == nullptr) return Status::NotFound("no such conversation");
      if (entry->conversation->version != conversation->version) {
        return Status::Aborted("conversation changed concurrently");
      }
      stored.created_millis = entry->conversation->created_millis;
      previous = std::exchange(
          entry->conversation,
          std::make_shared<const Conversation>(std::move(stored)));
      entry->transcript.insert(entry->transcript.end(), transcript.begin(),
                               transcript.end());
      conversation->version = entry->conversation->version;
      conversation->created_millis = entry->conversation->created_millis;
      conversation->updated_millis = entry->conversation->updated_millis;
    }
    return Status::OK();  // `previous` is freed outside the lock
  }

  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    Shard& shard = ShardOf(id);
    std::lock_guard lock(shard.mu);
    const Entry* entry = Find(shard, id);
    if (entry == nullptr) return Status::NotFound("no such conversation");
    *transcript = entry->transcript;
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
    shard.entries.erase(it);
    size_.fetch_sub(1);
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

  Status Check() override { return Status::OK(); }

 private:
  static constexpr size_t kShards = 64;

  struct Entry {
    std::shared_ptr<const Conversation> conversation;
    std::vector<std::string> transcript;
  };
  struct Shard {
    std::mutex mu;
    std::map<std::string, Entry, std::less<>> entries;
  };

  Shard& ShardOf(std::string_view id) {
    return shards_[std::hash<std::string_view>{}(id) % kShards];
  }

  bool Expired(const Entry& entry, int64_t now) const {
    return now - entry.conversation->updated_millis >
           options_.idle_expiry_millis;
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
  bool Reserve(int64_t now, Shard& held) {
    if (size_.fetch_add(1) < options_.max_conversations) return true;
    size_.fetch_sub(1);
    size_t removed = EraseExpired(held, now);
    for (Shard& shard : shards_) {
      if (&shard == &held) continue;
      std::unique_lock lock(shard.mu, std::try_to_lock);
      if (lock.owns_lock()) removed += EraseExpired(shard, now);
    }
    if (removed == 0) return false;
    if (size_.fetch_add(1) < options_.max_conversations) return true;
    size_.fetch_sub(1);
    return false;
  }

  // Erases `shard`'s expired entries; the caller holds its lock.
  size_t EraseExpired(Shard& shard, int64_t now) {
    const size_t removed = std::erase_if(shard.entries, [&](const auto& item) {
      return Expired(item.second, now);
    });
    size_.fetch_sub(removed);
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
  std::atomic<size_t> size_ = 0;  // entries held, expired or not
};

}  // namespace

std::unique_ptr<SessionStore> NewMemoryStore(
    const Clock* clock, const MemoryStoreOptions& options) {
  return std::make_unique<MemoryStore>(clock, options);
}

}  // namespace trustcoach::server
