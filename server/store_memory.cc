#include "server/store_memory.h"

#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace trustcoach::server {
namespace {

class MemoryStore : public SessionStore {
 public:
  MemoryStore(const Clock* clock, const MemoryStoreOptions& options)
      : clock_(clock), options_(options) {}

  Status Create(Conversation* conversation,
                const std::vector<std::string>& transcript) override {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMillis();
    auto it = entries_.find(conversation->id);
    if (it != entries_.end() && !Expired(it->second, now)) {
      return Status::AlreadyExists("conversation exists");
    }
    if (entries_.size() >= options_.max_conversations) RemoveExpired(now);
    if (entries_.size() >= options_.max_conversations) {
      return Status::Unavailable("memory store is full");
    }
    conversation->version = 1;
    conversation->created_millis = now;
    conversation->updated_millis = now;
    entries_[conversation->id] = Entry{*conversation, transcript};
    return Status::OK();
  }

  Status Load(std::string_view id, Conversation* conversation) override {
    std::lock_guard lock(mu_);
    const Entry* entry = Find(id);
    if (entry == nullptr) return Status::NotFound("no such conversation");
    *conversation = entry->conversation;
    return Status::OK();
  }

  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    std::lock_guard lock(mu_);
    Entry* entry = Find(conversation->id);
    if (entry == nullptr) return Status::NotFound("no such conversation");
    if (entry->conversation.version != conversation->version) {
      return Status::Aborted("conversation changed concurrently");
    }
    conversation->version++;
    conversation->updated_millis = clock_->NowMillis();
    conversation->created_millis = entry->conversation.created_millis;
    entry->conversation = *conversation;
    entry->transcript.insert(entry->transcript.end(), transcript.begin(),
                             transcript.end());
    return Status::OK();
  }

  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    std::lock_guard lock(mu_);
    const Entry* entry = Find(id);
    if (entry == nullptr) return Status::NotFound("no such conversation");
    *transcript = entry->transcript;
    return Status::OK();
  }

  Status Delete(std::string_view id) override {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return Status::NotFound("no such conversation");
    const bool expired = Expired(it->second, clock_->NowMillis());
    entries_.erase(it);
    return expired ? Status::NotFound("no such conversation") : Status::OK();
  }

  Status ExpireIdle(size_t* removed) override {
    std::lock_guard lock(mu_);
    *removed = RemoveExpired(clock_->NowMillis());
    return Status::OK();
  }

  Status CountActive(size_t* count) override {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMillis();
    *count = 0;
    for (const auto& [id, entry] : entries_) {
      if (!Expired(entry, now)) ++*count;
    }
    return Status::OK();
  }

  Status Check() override { return Status::OK(); }

 private:
  struct Entry {
    Conversation conversation;
    std::vector<std::string> transcript;
  };

  bool Expired(const Entry& entry, int64_t now) const {
    return now - entry.conversation.updated_millis >
           options_.idle_expiry_millis;
  }

  Entry* Find(std::string_view id) {
    auto it = entries_.find(id);
    if (it == entries_.end() || Expired(it->second, clock_->NowMillis())) {
      return nullptr;
    }
    return &it->second;
  }

  size_t RemoveExpired(int64_t now) {
    return std::erase_if(
        entries_, [&](const auto& item) { return Expired(item.second, now); });
  }

  const Clock* const clock_;
  const MemoryStoreOptions options_;
  std::mutex mu_;
  std::map<std::string, Entry, std::less<>> entries_;
};

}  // namespace

std::unique_ptr<SessionStore> NewMemoryStore(
    const Clock* clock, const MemoryStoreOptions& options) {
  return std::make_unique<MemoryStore>(clock, options);
}

}  // namespace trustcoach::server
