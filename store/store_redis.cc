#include "store/store_redis.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/crypto.h"
#include "store/rate_limiter_redis.h"

namespace trustcoach::server {
namespace {

// The scripts take the time from the calling instance (ARGV), so that every
// instance judges expiry alike and tests can use a FakeClock. A
// conversation whose `updated` is before the cutoff is gone, whether or not
// its TTL has fired yet.

// A conversation is live when `updated` is at or after the idle cutoff and,
// at version 1 (no message from the person yet), also at or after the
// later unanswered cutoff. Lua, put at the top of the scripts that need it.
#define TRUSTCOACH_REDIS_LIVE                                               \
  "local function live(updated, version, idle_cutoff, unanswered_cutoff)\n" \
  "  if not updated then return false end\n"                                \
  "  updated = tonumber(updated)\n"                                         \
  "  if updated < tonumber(idle_cutoff) then return false end\n"            \
  "  return tonumber(version or '1') > 1 or\n"                              \
  "      updated >= tonumber(unanswered_cutoff)\n"                          \
  "end\n"

// Create and Save in one script. KEYS: conversation, transcript, active,
// unanswered. ARGV: id, expected version ("create" to create), new version,
// state, region, now, idle cutoff, ttl, token hash (create only), unanswered
// cutoff, entries... Returns 1 when written; 0 when the id is taken
// (create) or the version moved on (save); -1 when the conversation is gone
// (save). A new conversation is listed in `unanswered` (scored by its
// creation) with the short TTL; its first save takes it out and gives it the
// idle window.
constexpr const char* kWrite = TRUSTCOACH_REDIS_LIVE R"lua(
local current = redis.call('HMGET', KEYS[1], 'version', 'updated')
local is_live = live(current[2], current[1], ARGV[7], ARGV[10])
if ARGV[2] == 'create' then
  if is_live then return 0 end
  redis.call('DEL', KEYS[1], KEYS[2])
  redis.call('HSET', KEYS[1], 'token_hash', ARGV[9], 'created', ARGV[6])
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1])
else
  if not is_live then return -1 end
  if current[1] ~= ARGV[2] then return 0 end
  redis.call('ZREM', KEYS[4], ARGV[1])
end
redis.call('HSET', KEYS[1], 'state', ARGV[4], 'region', ARGV[5],
           'version', ARGV[3], 'updated', ARGV[6])
for i = 11, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1])
return 1
)lua";

// KEYS: conversation, transcript. ARGV: idle cutoff, unanswered cutoff. Nil
// if gone.
constexpr const char* kLoadTranscript = TRUSTCOACH_REDIS_LIVE R"lua(
local current = redis.call('HMGET', KEYS[1], 'version', 'updated')
if not live(current[2], current[1], ARGV[1], ARGV[2]) then return false end
return redis.call('LRANGE', KEYS[2], 0, -1)
)lua";

// KEYS: conversation, transcript, active, unanswered. ARGV: id, idle cutoff,
// unanswered cutoff. Removes every key of the conversation; returns 1 if it
// was live.
constexpr const char* kDelete = TRUSTCOACH_REDIS_LIVE R"lua(
local current = redis.call('HMGET', KEYS[1], 'version', 'updated')
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if live(current[2], current[1], ARGV[2], ARGV[3]) then return 1 end
return 0
)lua";

// KEYS: a sorted set of ids (active or unanswered), the other one. ARGV:
// cutoff, key prefix, batch size. Deletes up to a batch of conversations
// scored before the cutoff (their TTL may not have fired yet) and takes
// them out of both sets; returns how many. Key names are built here, which
// standalone Redis allows.
constexpr const char* kExpire = R"lua(
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1],
                       'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[2] .. '{' .. id .. '}:conversation',
             ARGV[2] .. '{' .. id .. '}:transcript')
  redis.call('ZREM', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
end
return #ids
)lua";

// One client's live conversations, counted for every instance alike.
// KEYS: the client's sorted set of ids. ARGV: id to add ("" only to ask),
// cap, key prefix, idle cutoff, unanswered cutoff, idle window, unanswered
// window, now. Returns 0 when there is room (and the id was added), else
// when the first of the client's other live conversations expires. Ids of
// gone conversations are dropped when the cap is reached.
constexpr const char* kClientPlace = TRUSTCOACH_REDIS_LIVE R"lua(
local allowed = tonumber(ARGV[2])
if ARGV[1] == '' then
  allowed = allowed - 1
else
  redis.call('ZADD', KEYS[1], ARGV[8], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
if redis.call('ZCARD', KEYS[1]) <= allowed then return 0 end
local soonest = false
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[1] then
    local c = redis.call('HMGET', ARGV[3] .. '{' .. id .. '}:conversation',
                         'version', 'updated')
    if live(c[2], c[1], ARGV[4], ARGV[5]) then
      local window = ARGV[6]
      if tonumber(c[1]) <= 1 then window = ARGV[7] end
      local expires = tonumber(c[2]) + tonumber(window)
      if not soonest or expires < soonest then soonest = expires end
    else
      redis.call('ZREM', KEYS[1], id)
    end
  end
end
if redis.call('ZCARD', KEYS[1]) <= allowed then return 0 end
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[1], ARGV[1]) end
return soonest or tonumber(ARGV[8])
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
        active_key_(prefix_ + "active"),
        unanswered_key_(prefix_ + "unanswered") {}

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
        ToInt(fields[5]) < IdleCutoff() ||
        (ToInt(fields[3]) <= 1 && ToInt(fields[5]) < UnansweredCutoff())) {
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
    Status status = client_->Eval(
        kLoadTranscript, {ConversationKey(id), TranscriptKey(id)},
        {std::to_string(IdleCutoff()), std::to_string(UnansweredCutoff())},
        &reply);
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
    Status status =
        client_->Eval(kDelete, Keys(id),
                      {std::string(id), std::to_string(IdleCutoff()),
                       std::to_string(UnansweredCutoff())},
                      &reply);
    if (!status.ok()) return status;
    if (reply.type != RedisReply::Type::kInteger) return Unexpected("delete");
    return reply.integer == 1 ? Status::OK()
                              : Status::NotFound("no such conversation");
  }

  Status ExpireIdle(size_t* removed) override {
    *removed = 0;
    // Idle ones by their last save, then unanswered ones by their creation.
    const std::pair<const std::string*, int64_t> sets[] = {
        {&active_key_, IdleCutoff()}, {&unanswered_key_, UnansweredCutoff()}};
    for (const auto& [key, cutoff] : sets) {
      const std::string& other =
          key == &active_key_ ? unanswered_key_ : active_key_;
      for (int batch = 0; batch < kMaxExpireBatches; ++batch) {
        RedisReply reply;
        Status status = client_->Eval(
            kExpire, {*key, other},
            {std::to_string(cutoff), prefix_, std::to_string(kExpireBatch)},
            &reply);
        if (!status.ok()) return status;
        if (reply.type != RedisReply::Type::kInteger) {
          return Unexpected("expire");
        }
        *removed += static_cast<size_t>(reply.integer);
        if (reply.integer < kExpireBatch) break;
      }
    }
    return Status::OK();
  }

  Status CountActive(size_t* count) override {
    // Those saved within the idle window, less the unanswered ones among
    // them that are past the shorter window.
    const std::string idle_cutoff = std::to_string(IdleCutoff());
    RedisReply idle;
    Status status =
        client_->Command({"ZCOUNT", active_key_, idle_cutoff, "+inf"}, &idle);
    if (!status.ok()) return status;
    RedisReply unanswered;
    status = client_->Command({"ZCOUNT", unanswered_key_, idle_cutoff,
                               "(" + std::to_string(UnansweredCutoff())},
                              &unanswered);
    if (!status.ok()) return status;
    if (idle.type != RedisReply::Type::kInteger ||
        unanswered.type != RedisReply::Type::kInteger) {
      return Unexpected("count");
    }
    *count = static_cast<size_t>(
        std::max<int64_t>(idle.integer - unanswered.integer, 0));
    return Status::OK();
  }

  Status Check() override {
    RedisReply reply;
    return client_->Command({"PING"}, &reply);
  }

  int64_t ExpiresAtMillis(const Conversation& conversation) override {
    return conversation.updated_millis + (conversation.version <= 1
                                              ? UnansweredWindow()
                                              : options_.idle_expiry_millis);
  }

  bool CountsClients() const override { return true; }

  Status TakeClientPlace(std::string_view client, std::string_view id,
                         size_t cap, int64_t* expires_millis) override {
    const int64_t now = clock_->NowMillis();
    RedisReply reply;
    // The address is kept as its digest, not as it is.
    Status status =
        client_->Eval(kClientPlace, {prefix_ + "client:" + Sha256Hex(client)},
                      {std::string(id), std::to_string(cap), prefix_,
                       std::to_string(now - options_.idle_expiry_millis),
                       std::to_string(now - UnansweredWindow()),
                       std::to_string(options_.idle_expiry_millis),
                       std::to_string(UnansweredWindow()), std::to_string(now)},
                      &reply);
    if (!status.ok()) return status;
    if (reply.type != RedisReply::Type::kInteger) {
      return Unexpected("client place");
    }
    *expires_millis = reply.integer;
    return Status::OK();
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
        std::to_string(create ? UnansweredWindow()
                              : options_.idle_expiry_millis),
        create ? conversation.token_hash : std::string(),
        std::to_string(now - UnansweredWindow())};
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
    return {ConversationKey(id), TranscriptKey(id), active_key_,
            unanswered_key_};
  }
  // A conversation saved only by Create() (the greeting, no message from
  // the person) has the shorter window, so that opening conversations
  // without using them cannot fill the store for hours.
  int64_t UnansweredWindow() const {
    return std::min(options_.idle_expiry_millis,
                    options_.unanswered_expiry_millis);
  }
  int64_t IdleCutoff() const {
    return clock_->NowMillis() - options_.idle_expiry_millis;
  }
  int64_t UnansweredCutoff() const {
    return clock_->NowMillis() - UnansweredWindow();
  }

  const std::shared_ptr<RedisClient> client_;
  const Clock* const clock_;
  const RedisStoreOptions options_;
  const std::string prefix_;
  const std::string active_key_;
  const std::string unanswered_key_;
};

}  // namespace

Status OpenRedisStore(const RedisOptions& redis, const Clock* clock,
                      const RedisStoreOptions& options,
                      std::unique_ptr<SessionStore>* out,
                      RateLimiterFactory* rate_limiters) {
  std::unique_ptr<RedisClient> connected;
  Status status = RedisClient::Connect(redis, &connected);
  if (!status.ok()) return status;
  std::shared_ptr<RedisClient> client = std::move(connected);
  if (rate_limiters != nullptr) {
    const std::string prefix =
        client->options().key_prefix + kRedisFormat + "ratelimit:";
    *rate_limiters = [client, prefix, clock](std::string_view name, double rate,
                                             double burst) {
      return std::make_unique<RedisRateLimiter>(
          client, prefix + std::string(name) + ":", clock, rate, burst);
    };
  }
  *out = std::make_unique<RedisStore>(std::move(client), clock, options);
  return Status::OK();
}

}  // namespace trustcoach::server
