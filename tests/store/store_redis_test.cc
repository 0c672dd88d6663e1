// The Redis store beyond the contract every store meets (store_test.cc):
// URLs, keys and TTLs, two instances on one Redis, outages and recovery,
// shared rate limits. Each test case starts its own redis-server.
#if TRUSTCOACH_WITH_REDIS

#include "store/store_redis.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "store/clock.h"
#include "store/crypto.h"
#include "store/rate_limiter.h"
#include "store/redis_client.h"
#include "tests/testing/redis_server.h"

namespace trustcoach::server {
namespace {

constexpr int64_t kIdleMillis = 60'000;
constexpr int64_t kUnansweredMillis = 20'000;

RedisOptions Options(const testing::RedisServer& server,
                     const std::string& query = "") {
  RedisOptions options;
  Status status = ParseRedisUrl(server.url() + query, &options);
  REQUIRE(status.ok());
  options.key_prefix = "test-" + NewConversationId() + ":";
  return options;
}

std::unique_ptr<SessionStore> Open(const RedisOptions& options,
                                   const Clock* clock) {
  std::unique_ptr<SessionStore> store;
  Status status = OpenRedisStore(
      options, clock,
      RedisStoreOptions{.idle_expiry_millis = kIdleMillis,
                        .unanswered_expiry_millis = kUnansweredMillis},
      &store);
  INFO(status.ToString());
  REQUIRE(status.ok());
  return store;
}

std::unique_ptr<RedisClient> Raw(const RedisOptions& options) {
  std::unique_ptr<RedisClient> client;
  REQUIRE(RedisClient::Connect(options, &client).ok());
  return client;
}

// The keys under `prefix`, sorted.
std::vector<std::string> Keys(RedisClient* client, const std::string& prefix) {
  RedisReply reply;
  REQUIRE(client->Command({"KEYS", prefix + "*"}, &reply).ok());
  std::vector<std::string> keys;
  for (const RedisReply& key : reply.elements) keys.push_back(key.text);
  std::sort(keys.begin(), keys.end());
  return keys;
}

Conversation NewConversation() {
  Conversation conversation;
  conversation.id = NewConversationId();
  conversation.token_hash = Sha256Hex("token");
  return conversation;
}

TEST_CASE("Redis URLs name host, port, database and options",
          "[server][redis]") {
  auto [url, host, port, db] =
      GENERATE(table<std::string, std::string, int, int>({
          {"redis://localhost", "localhost", 6379, 0},
          {"redis://10.0.0.5:6380", "10.0.0.5", 6380, 0},
          {"redis://10.0.0.5:6380/3", "10.0.0.5", 6380, 3},
          {"redis://[::1]:7000/2", "::1", 7000, 2},
          {"redis://:s%40cret@cache:6379/1", "cache", 6379, 1},
      }));
  CAPTURE(url);
  RedisOptions options;
  REQUIRE(ParseRedisUrl(url, &options).ok());
  CHECK(options.host == host);
  CHECK(options.port == port);
  CHECK(options.db == db);
  CHECK(DescribeRedis(options).find("cret") == std::string::npos);
}

TEST_CASE("Redis URL options and credentials", "[server][redis]") {
  RedisOptions options;
  REQUIRE(ParseRedisUrl("redis://app:pa%3Ass@h/0?timeout_ms=250&"
                        "connect_timeout_ms=100&pool=4&prefix=tc%3A",
                        &options)
              .ok());
  CHECK(options.user == "app");
  CHECK(options.password == "pa:ss");
  CHECK(options.command_timeout_millis == 250);
  CHECK(options.connect_timeout_millis == 100);
  CHECK(options.pool_size == 4);
  CHECK(options.key_prefix == "tc:");
}

TEST_CASE("Bad Redis URLs are refused with the reason", "[server][redis]") {
  auto [url, reason] = GENERATE(table<std::string, std::string>({
      {"redis:/host", "store: not a redis:// URL"},
      {"rediss://host", "store: TLS (rediss://) is not supported"},
      {"redis://", "store: the host is missing"},
      {"redis://host:0", "store: the port must be 1 to 65535, got '0'"},
      {"redis://host:http", "store: the port must be 1 to 65535, got 'http'"},
      {"redis://host/x", "store: the database must be a number, got 'x'"},
      {"redis://host?pool=0", "store: bad value '0' for pool"},
      {"redis://host?colour=red", "store: unknown option 'colour'"},
      {"redis://secret@host", "store: credentials must be [USER]:PASSWORD"},
  }));
  CAPTURE(url);
  RedisOptions options;
  Status status = ParseRedisUrl(url, &options);
  CHECK(status.IsInvalidArgument());
  CHECK(status.message().starts_with(reason));
  CHECK(status.message().find("secret") == std::string::npos);
}

TEST_CASE("Opening an unreachable Redis names the address and the reason",
          "[server][redis]") {
  std::unique_ptr<SessionStore> store;
  RedisOptions options;
  REQUIRE(ParseRedisUrl("redis://127.0.0.1:1/0", &options).ok());
  Status status = OpenRedisStore(options, SystemClock(), {}, &store);
  CHECK(status.IsUnavailable());
  CHECK(status.message() ==
        "redis redis://127.0.0.1:1/0: cannot connect: Connection refused");
}

TEST_CASE("The Redis store keeps a conversation in keys with TTLs",
          "[server][redis]") {
  testing::RedisServer server;
  const RedisOptions options = Options(server);
  std::unique_ptr<RedisClient> raw = Raw(options);
  FakeClock clock;
  std::unique_ptr<SessionStore> store = Open(options, &clock);
  Conversation conversation = NewConversation();
  REQUIRE(store->Create(&conversation, {"opening"}).ok());
  // Every key carries the format version after the prefix.
  const std::string versioned = options.key_prefix + "v1:";
  const std::string key = versioned + "{" + conversation.id + "}:";
  CHECK(Keys(raw.get(), options.key_prefix) ==
        std::vector<std::string>{versioned + "active", versioned + "unanswered",
                                 key + "conversation", key + "transcript"});
  // A conversation nobody wrote in yet has the short TTL; the first save
  // gives it the retention window.
  for (const char* name : {"conversation", "transcript"}) {
    RedisReply ttl;
    REQUIRE(raw->Command({"PTTL", key + name}, &ttl).ok());
    CHECK(ttl.integer > kUnansweredMillis - 5'000);
    CHECK(ttl.integer <= kUnansweredMillis);
  }
  REQUIRE(store->Save(&conversation, {"hello"}).ok());
  for (const char* name : {"conversation", "transcript"}) {
    RedisReply ttl;
    REQUIRE(raw->Command({"PTTL", key + name}, &ttl).ok());
    CHECK(ttl.integer > kIdleMillis - 5'000);
    CHECK(ttl.integer <= kIdleMillis);
  }
  CHECK(Keys(raw.get(), options.key_prefix) ==
        std::vector<std::string>{versioned + "active", key + "conversation",
                                 key + "transcript"});

  SECTION("Delete removes every key") {
    REQUIRE(store->Delete(conversation.id).ok());
    CHECK(Keys(raw.get(), options.key_prefix).empty());
  }

  SECTION("ExpireIdle removes every key before the TTL fires") {
    clock.Advance(kIdleMillis + 1);
    size_t removed = 0;
    REQUIRE(store->ExpireIdle(&removed).ok());
    CHECK(removed == 1);
    CHECK(Keys(raw.get(), options.key_prefix).empty());
  }

  SECTION("Keys vanish by themselves when the TTL fires") {
    RedisReply reply;
    REQUIRE(raw->Command({"PEXPIRE", key + "conversation", "1"}, &reply).ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Conversation loaded;
    CHECK(store->Load(conversation.id, &loaded).IsNotFound());
  }
}

TEST_CASE("A client's live conversations are counted across instances",
          "[server][redis]") {
  testing::RedisServer server;
  const RedisOptions options = Options(server);
  FakeClock clock;
  std::unique_ptr<SessionStore> one = Open(options, &clock);
  std::unique_ptr<SessionStore> two = Open(options, &clock);
  REQUIRE(one->CountsClients());
  const std::string client = "192.0.2.7";
  int64_t expires = -1;
  REQUIRE(one->TakeClientPlace(client, "", 2, &expires).ok());
  CHECK(expires == 0);
  Conversation a = NewConversation();
  REQUIRE(one->Create(&a, {}).ok());
  REQUIRE(one->TakeClientPlace(client, a.id, 2, &expires).ok());
  CHECK(expires == 0);
  clock.Advance(1'000);
  Conversation b = NewConversation();
  REQUIRE(two->Create(&b, {}).ok());
  REQUIRE(two->TakeClientPlace(client, b.id, 2, &expires).ok());
  CHECK(expires == 0);
  // Full on both instances: the first to expire is `a`, still unanswered.
  REQUIRE(one->TakeClientPlace(client, "", 2, &expires).ok());
  CHECK(expires == a.updated_millis + kUnansweredMillis);
  Conversation c = NewConversation();
  REQUIRE(two->Create(&c, {}).ok());
  REQUIRE(two->TakeClientPlace(client, c.id, 2, &expires).ok());
  CHECK(expires == a.updated_millis + kUnansweredMillis);
  // Another address is not affected.
  REQUIRE(two->TakeClientPlace("192.0.2.8", "", 2, &expires).ok());
  CHECK(expires == 0);
  // A deleted conversation frees its place, whichever instance deletes it.
  REQUIRE(two->Delete(a.id).ok());
  REQUIRE(one->TakeClientPlace(client, "", 2, &expires).ok());
  CHECK(expires == 0);
  // The address itself is not stored.
  std::unique_ptr<RedisClient> raw = Raw(options);
  for (const std::string& key : Keys(raw.get(), options.key_prefix)) {
    CHECK(key.find(client) == std::string::npos);
  }
}

TEST_CASE("Two instances on one Redis see each other's turns",
          "[server][redis]") {
  testing::RedisServer server;
  const RedisOptions options = Options(server);
  FakeClock clock;
  std::unique_ptr<SessionStore> first = Open(options, &clock);
  std::unique_ptr<SessionStore> second = Open(options, &clock);
  Conversation created = NewConversation();
  REQUIRE(first->Create(&created, {"opening"}).ok());

  Conversation a = created;
  Conversation b;
  REQUIRE(second->Load(created.id, &b).ok());
  REQUIRE(first->Save(&a, {"a"}).ok());
  CHECK(second->Save(&b, {"b"}).IsAborted());
  REQUIRE(second->Load(created.id, &b).ok());
  CHECK(b.version == 2);
  REQUIRE(second->Save(&b, {"b"}).ok());

  std::vector<std::string> transcript;
  REQUIRE(first->LoadTranscript(created.id, &transcript).ok());
  CHECK(transcript == std::vector<std::string>{"opening", "a", "b"});
  REQUIRE(second->Delete(created.id).ok());
  CHECK(first->Load(created.id, &a).IsNotFound());
}

TEST_CASE("The Redis store is Unavailable while Redis is down, then recovers",
          "[server][redis]") {
  testing::RedisServer server;
  // A short command timeout, so that the frozen server fails fast.
  const RedisOptions options = Options(server, "?timeout_ms=300");
  FakeClock clock;
  std::unique_ptr<SessionStore> store = Open(options, &clock);
  Conversation conversation = NewConversation();
  REQUIRE(store->Create(&conversation, {}).ok());
  Conversation loaded;

  SECTION("after a restart (the data is gone: no persistence here)") {
    server.Stop();
    CHECK(store->Check().IsUnavailable());
    CHECK(store->Load(conversation.id, &loaded).IsUnavailable());
    Conversation other = NewConversation();
    CHECK(store->Create(&other, {}).IsUnavailable());
    server.Start();
    CHECK(store->Check().ok());
    CHECK(store->Load(conversation.id, &loaded).IsNotFound());
    CHECK(store->Create(&other, {}).ok());
  }

  SECTION("while it does not answer, failing fast after one timeout") {
    using std::chrono::steady_clock;
    server.Pause();
    auto start = steady_clock::now();
    Status status = store->Load(conversation.id, &loaded);
    const auto first = steady_clock::now() - start;
    start = steady_clock::now();
    Status again = store->Check();
    const auto second = steady_clock::now() - start;
    server.Resume();
    CHECK(status.IsUnavailable());
    CHECK(first >= std::chrono::milliseconds(250));
    CHECK(first < std::chrono::seconds(2));
    CHECK(again.IsUnavailable());
    CHECK(second < std::chrono::milliseconds(100));
    // Back within the fail-fast second.
    Status recovered;
    for (int attempt = 0; attempt < 40; ++attempt) {
      recovered = store->Load(conversation.id, &loaded);
      if (recovered.ok()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CHECK(recovered.ok());
  }
}

TEST_CASE("Rate limits are shared by every instance on one Redis",
          "[server][redis]") {
  testing::RedisServer server;
  const RedisOptions options = Options(server);
  FakeClock clock;
  // Two instances: each opens the store with its limiters.
  std::unique_ptr<SessionStore> first;
  std::unique_ptr<SessionStore> second;
  RateLimiterFactory first_limiters;
  RateLimiterFactory second_limiters;
  REQUIRE(OpenRedisStore(options, &clock, {}, &first, &first_limiters).ok());
  REQUIRE(OpenRedisStore(options, &clock, {}, &second, &second_limiters).ok());
  std::unique_ptr<RateLimiter> one =
      first_limiters("client", /*rate=*/1, /*burst=*/3);
  std::unique_ptr<RateLimiter> two =
      second_limiters("client", /*rate=*/1, /*burst=*/3);
  REQUIRE(one != nullptr);
  int64_t retry_after = 0;
  CHECK(one->Allow("10.0.0.1", &retry_after));
  CHECK(two->Allow("10.0.0.1", &retry_after));
  CHECK(one->Allow("10.0.0.1", &retry_after));
  CHECK_FALSE(two->Allow("10.0.0.1", &retry_after));
  CHECK(retry_after == 1);
  CHECK(two->Allow("10.0.0.2", &retry_after));
  clock.Advance(1000);
  CHECK(two->Allow("10.0.0.1", &retry_after));
  CHECK_FALSE(one->Allow("10.0.0.1", &retry_after));

  // With Redis gone each instance limits on its own instead of refusing
  // everyone.
  server.Stop();
  CHECK(one->Allow("10.0.0.1", &retry_after));
}

}  // namespace
}  // namespace trustcoach::server

#endif  // TRUSTCOACH_WITH_REDIS
