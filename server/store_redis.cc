#include "server/store_redis.h"

#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/rate_limiter_redis.h"

namespace trustcoach::server {
namespace {

// The scripts take the time from the calling instance (ARGV), so that every
// instance judges expiry alike and tests can use a FakeClock. A
// conversation whose `updated` is before the cutoff is gone, whether or not
// its TTL has fired yet.

// Create and Save in one script. KEYS: conversation, transcript, active.
// ARGV: id, expected version ("create" to create), new version, state, region,
// now, cutoff, ttl, token hash (create only), entries... Returns 1 when
// written; 0 when the id is taken (create) or the version moved on (save);
// -1 when the conversation is gone (save).
constexpr const char* kWrite = R"lua(
local current = redis.call('HMGET', KEYS[1], 'version', 'updated')
local live = current[2] and tonumber(current[2]) >= tonumber(ARGV[7])
if ARGV[2] == 'create' then
  if live then return 0 end
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[1], 'token_hash', ARGV[9], 'created', ARGV[6])
else
  if not live then return -1 end
  if current[1] ~= ARGV[2] then return 0 end
end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'region', ARGV[5],
           'version', ARGV[3], 'updated', ARGV[6])
for i = 10, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
return 1
)lua";

// KEYS: conversation, transcript. ARGV: cutoff. Nil if gone.
constexpr const char* kLoadTranscript = R"lua(
local updated = redis.call('HGET', KEYS[1], 'updated')
if not updated or tonumber(updated) < tonumber(ARGV[1]) then return false end
return redis.call('LRANGE', KEYS[2], 0, -1)
)lua";

// KEYS: conversation, transcript, active. ARGV: id, cutoff. Removes every
// key of the conversation; returns 1 if it was live.
constexpr const char* kDelete = R"lua(
local updated = redis.call('HGET', KEYS[1], 'updated')
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
if updated and tonumber(updated) >= tonumber(ARGV[2]) then return 1 end
return 0
)lua";

// KEYS: active. ARGV: cutoff, key prefix, batch size. Deletes up to a batch
// of expired conversations (their TTL may not have fired yet); returns how
// many. Key names are built here, which standalone Redis allows.
constexpr const char* kExpire = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1],
                       'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[2] .. '{' .. id .. '}:conversation',
             ARGV[2] .. '{' .. id .. '}:transcript')
  redis.call('ZREM', KEYS[1], id)
end
return #ids
)lua";

constexpr int kExpireBatch = 500;
constexpr int kMaxExpireBatches = 100;  // at most 50,000 per sweep

int64_t ToInt(const RedisReply& reply) {
  int64_t value = 0;
  std::from_chars(reply.text.data(), reply.text.data() + reply.text.size(),
                  value);
  return value;
}

Status Unexpected(std::string_view what) {
  return Status::Internal("redis: unexpected reply to " + std::string(what));
}

class RedisStore : public SessionStore {
 public:
  RedisStore(std::shared_ptr<RedisClient> client, const Clock* clock,
             const RedisStoreOptions& options)
      : client_(std::move(client)),
        clock_(clock),
        options_(options),
        prefix_(client_->options().key_prefix + kRedisFormat),
        active_key_(prefix_ + "active") {}

  Status Create(Conversation* conversation,
                const std::vector<std::string>& transcript) override {
    const int64_t now = clock_->NowMillis();
    RedisReply reply;
    Status status =
        Write(*conversation, /*create=*/true, now, transcript, &reply);
    if (!status.ok()) return status;
    if (reply.integer == 0) return Status::AlreadyExists("conversation exists");
    conversation->version = 1;
    conversation->created_millis = now;
    conversation->updated_millis = now;
    return Status::OK();
  }

  Status Load(std::string_view id, Conversation* conversation) override {
    RedisReply reply;
    Status status =
        client_->Command({"HMGET", ConversationKey(id), "token_hash", "state",
                          "region", "version", "created", "updated"},
                         &reply);
    if (!status.ok()) return status;
    if (reply.type != RedisReply::Type::kArray || reply.elements.size() != 6) {
      return Unexpected("load");
    }
    const std::vector<RedisReply>& fields = reply.elements;
    if (fields[5].type != RedisReply::Type::kString ||
        ToInt(fields[5]) < Cutoff()) {
      return Status::NotFound("no such conversation");
    }
    status = ParseStoredSession(fields[1].text, &conversation->session);
    if (!status.ok()) return status;
    conversation->id = std::string(id);
    conversation->token_hash = fields[0].text;
    conversation->region = fields[2].text;
    conversation->version = static_cast<uint64_t>(ToInt(fields[3]));
    conversation->created_millis = ToInt(fields[4]);
    conversation->updated_millis = ToInt(fields[5]);
    return Status::OK();
  }

  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    const int64_t now = clock_->NowMillis();
    RedisReply reply;
    Status status =
        Write(*conversation, /*create=*/false, now, transcript, &reply);
    if (!status.ok()) return status;
    if (reply.integer < 0) return Status::NotFound("no such conversation");
    if (reply.integer == 0) {
      return Status::Aborted("conversation changed concurrently");
    }
    conversation->version++;
    conversation->updated_millis = now;
    return Status::OK();
  }

  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    RedisReply reply;
    Status status =
        client_->Eval(kLoadTranscript, {ConversationKey(id), TranscriptKey(id)},
                      {std::to_string(Cutoff())}, &reply);
    if (!status.ok()) return status;
    if (reply.type == RedisReply::Type::kNil) {
      return Status::NotFound("no such conversation");
    }
    if (reply.type != RedisReply::Type::kArray) return Unexpected("transcript");
    transcript->clear();
    for (RedisReply& entry : reply.elements) {
      transcript->push_back(std::move(entry.text));
    }
    return Status::OK();
  }

  Status Delete(std::string_view id) override {
    RedisReply reply;
    Status status = client_->Eval(
        kDelete, Keys(id), {std::string(id), std::to_string(Cutoff())}, &reply);
    if (!status.ok()) return status;
    if (reply.type != RedisReply::Type::kInteger) return Unexpected("delete");
    return reply.integer == 1 ? Status::OK()
                              : Status::NotFound("no such conversation");
  }

  Status ExpireIdle(size_t* removed) override {
    *removed = 0;
    const std::string cutoff = std::to_string(Cutoff());
    for (int batch = 0; batch < kMaxExpireBatches; ++batch) {
      RedisReply reply;
      Status status = client_->Eval(
          kExpire, {active_key_},
          {cutoff, prefix_, std::to_string(kExpireBatch)}, &reply);
      if (!status.ok()) return status;
      if (reply.type != RedisReply::Type::kInteger) return Unexpected("expire");
      *removed += static_cast<size_t>(reply.integer);
      if (reply.integer < kExpireBatch) break;
    }
    return Status::OK();
  }

  Status CountActive(size_t* count) override {
    RedisReply reply;
    Status status = client_->Command(
        {"ZCOUNT", active_key_, std::to_string(Cutoff()), "+inf"}, &reply);
    if (!status.ok()) return status;
    if (reply.type != RedisReply::Type::kInteger) return Unexpected("count");
    *count = static_cast<size_t>(reply.integer);
    return Status::OK();
  }

  Status Check() override {
    RedisReply reply;
    return client_->Command({"PING"}, &reply);
  }

  std::unique_ptr<RateLimiter> NewSharedRateLimiter(std::string_view name,
                                                    double rate,
                                                    double burst) override {
    return std::make_unique<RedisRateLimiter>(
        client_, prefix_ + "ratelimit:" + std::string(name) + ":", clock_, rate,
        burst);
  }

 private:
  // Runs kWrite: creates `conversation`, or saves it over its `version`.
  // `reply` is then an integer (see kWrite).
  Status Write(const Conversation& conversation, bool create, int64_t now,
               const std::vector<std::string>& transcript, RedisReply* reply) {
    std::vector<std::string> args = {
        conversation.id,
        create ? "create" : std::to_string(conversation.version),
        create ? "1" : std::to_string(conversation.version + 1),
        SerializeSession(conversation.session),
        conversation.region,
        std::to_string(now),
        std::to_string(now - options_.idle_expiry_millis),
        Ttl(),
        create ? conversation.token_hash : std::string()};
    args.insert(args.end(), transcript.begin(), transcript.end());
    Status status = client_->Eval(kWrite, Keys(conversation.id), args, reply);
    if (!status.ok()) return status;
    if (reply->type != RedisReply::Type::kInteger) return Unexpected("write");
    return Status::OK();
  }

  // The hash tag {id} keeps a conversation's keys together.
  std::string ConversationKey(std::string_view id) const {
    return prefix_ + "{" + std::string(id) + "}:conversation";
  }
  std::string TranscriptKey(std::string_view id) const {
    return prefix_ + "{" + std::string(id) + "}:transcript";
  }
  std::vector<std::string> Keys(std::string_view id) const {
    return {ConversationKey(id), TranscriptKey(id), active_key_};
  }
  int64_t Cutoff() const {
    return clock_->NowMillis() - options_.idle_expiry_millis;
  }
  std::string Ttl() const {
    return std::to_string(options_.idle_expiry_millis);
  }

  const std::shared_ptr<RedisClient> client_;
  const Clock* const clock_;
  const RedisStoreOptions options_;
  const std::string prefix_;
  const std::string active_key_;
};

}  // namespace

Status OpenRedisStore(const RedisOptions& redis, const Clock* clock,
                      const RedisStoreOptions& options,
                      std::unique_ptr<SessionStore>* out) {
  std::unique_ptr<RedisClient> client;
  Status status = RedisClient::Connect(redis, &client);
  if (!status.ok()) return status;
  *out = std::make_unique<RedisStore>(std::move(client), clock, options);
  return Status::OK();
}

}  // namespace trustcoach::server
