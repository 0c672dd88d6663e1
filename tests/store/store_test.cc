#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <sqlite3.h>

#include "engine/version.h"
#include "store/clock.h"
#include "store/crypto.h"
#include "store/session_store.h"
#include "store/store_memory.h"
#include "store/store_sqlite.h"
#if TRUSTCOACH_WITH_REDIS
#include "store/store_redis.h"
#include "tests/testing/redis_server.h"
#endif

namespace trustcoach::server {
namespace {

constexpr int64_t kIdleMillis = 60'000;

// A fresh folder under the system temp dir, removed with its files.
class TempDir {
 public:
  TempDir()
      : path_(std::filesystem::temp_directory_path() /
              ("trustcoach-test-" + NewConversationId())) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const {
    return (path_ / name).string();
  }

 private:
  std::filesystem::path path_;
};

std::unique_ptr<SessionStore> OpenStore(const std::string& kind,
                                        const Clock* clock,
                                        const TempDir& dir) {
  if (kind == "memory") {
    return NewMemoryStore(
        clock, MemoryStoreOptions{.idle_expiry_millis = kIdleMillis});
  }
  std::unique_ptr<SessionStore> store;
#if TRUSTCOACH_WITH_REDIS
  if (kind == "redis") {
    // A key prefix of its own keeps this store apart from the others that
    // share the test's redis-server.
    RedisOptions redis;
    REQUIRE(ParseRedisUrl(testing::SharedRedisServer().url(), &redis).ok());
    redis.key_prefix = "test-" + NewConversationId() + ":";
    Status status = OpenRedisStore(
        redis, clock, RedisStoreOptions{.idle_expiry_millis = kIdleMillis},
        &store);
    INFO(status.ToString());
    REQUIRE(status.ok());
    return store;
  }
#endif
  Status status = OpenSqliteStore(
      dir.File("store.db"), clock,
      SqliteStoreOptions{.idle_expiry_millis = kIdleMillis}, &store);
  REQUIRE(status.ok());
  return store;
}

// Every store this build has.
std::vector<std::string> StoreKinds() {
  std::vector<std::string> kinds = {"memory", "sqlite"};
#if TRUSTCOACH_WITH_REDIS
  kinds.push_back("redis");
#endif
  return kinds;
}

Conversation NewConversation() {
  Conversation conversation;
  conversation.id = NewConversationId();
  conversation.token_hash = Sha256Hex("token");
  conversation.session.seed = 42;
  conversation.session.stack = {{"opening", "start"}};
  conversation.region = "en-GB";
  return conversation;
}

// The next turn of `created`: one turn in, a slot filled, the region
// changed, as an engine turn would leave it.
Conversation NextTurn(const Conversation& created) {
  Conversation turn = created;
  turn.session.turns = 1;
  turn.session.slots["partner"] = "Sam";
  turn.region = "US";
  return turn;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST_CASE("Every store keeps, versions, expires and deletes conversations",
          "[server][store]") {
  const std::string kind = GENERATE(from_range(StoreKinds()));
  CAPTURE(kind);
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store = OpenStore(kind, &clock, dir);
  Conversation created = NewConversation();
  REQUIRE(store->Create(&created, {"opening"}).ok());
  CHECK(created.version == 1);
  CHECK(created.created_millis == clock.NowMillis());

  SECTION("Load returns what Create stored") {
    Conversation loaded;
    REQUIRE(store->Load(created.id, &loaded).ok());
    CHECK(loaded.id == created.id);
    CHECK(loaded.token_hash == created.token_hash);
    CHECK(loaded.session == created.session);
    CHECK(loaded.region == "en-GB");
    CHECK(loaded.version == 1);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
    CHECK(transcript == std::vector<std::string>{"opening"});
  }

  SECTION("Unknown ids are NotFound everywhere") {
    Conversation loaded;
    std::vector<std::string> transcript;
    Conversation unknown = NewConversation();
    CHECK(store->Load(unknown.id, &loaded).IsNotFound());
    CHECK(store->LoadTranscript(unknown.id, &transcript).IsNotFound());
    CHECK(store->Save(&unknown, {}).IsNotFound());
    CHECK(store->Delete(unknown.id).IsNotFound());
  }

  SECTION("A taken id cannot be created again") {
    Conversation again = created;
    CHECK(store->Create(&again, {}).code() == Status::Code::kAlreadyExists);
  }

  SECTION("Save with the current version appends and bumps the version") {
    clock.Advance(5);
    Conversation turn = NextTurn(created);
    REQUIRE(store->Save(&turn, {"user", "coach"}).ok());
    CHECK(turn.version == 2);
    CHECK(turn.updated_millis == clock.NowMillis());
    Conversation loaded;
    REQUIRE(store->Load(created.id, &loaded).ok());
    CHECK(loaded.session == turn.session);
    CHECK(loaded.region == "US");
    CHECK(loaded.version == 2);
    CHECK(loaded.created_millis == created.created_millis);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
    CHECK(transcript == std::vector<std::string>{"opening", "user", "coach"});
  }

  SECTION("Save with a stale version is Aborted and writes nothing") {
    Conversation first = created;
    Conversation second = created;
    REQUIRE(store->Save(&first, {"first"}).ok());
    second.session.turns = 99;
    CHECK(store->Save(&second, {"second"}).IsAborted());
    CHECK(second.version == 1);
    Conversation loaded;
    REQUIRE(store->Load(created.id, &loaded).ok());
    CHECK(loaded.session == created.session);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
    CHECK(transcript == std::vector<std::string>{"opening", "first"});
  }

  SECTION("SaveTakingSession stores what Save stores") {
    clock.Advance(5);
    Conversation turn = NextTurn(created);
    const Session expected = turn.session;
    REQUIRE(store->SaveTakingSession(&turn, {"user", "coach"}).ok());
    CHECK(turn.id == created.id);
    CHECK(turn.version == 2);
    CHECK(turn.created_millis == created.created_millis);
    CHECK(turn.updated_millis == clock.NowMillis());
    Conversation loaded;
    REQUIRE(store->Load(created.id, &loaded).ok());
    CHECK(loaded.session == expected);
    CHECK(loaded.region == "US");
    CHECK(loaded.token_hash == created.token_hash);
    CHECK(loaded.version == 2);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
    CHECK(transcript == std::vector<std::string>{"opening", "user", "coach"});

    // A stale save takes nothing and writes nothing.
    Conversation stale = created;
    stale.session.turns = 99;
    const Conversation before = stale;
    CHECK(store->SaveTakingSession(&stale, {"stale"}).IsAborted());
    CHECK(stale.session == before.session);
    CHECK(stale.id == before.id);
    CHECK(stale.token_hash == before.token_hash);
    CHECK(stale.region == before.region);
    CHECK(stale.version == 1);
    CHECK(stale.updated_millis == before.updated_millis);
    REQUIRE(store->Load(created.id, &loaded).ok());
    CHECK(loaded.session == expected);
    REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
    CHECK(transcript == std::vector<std::string>{"opening", "user", "coach"});

    Conversation unknown = NewConversation();
    const Session unknown_session = unknown.session;
    CHECK(store->SaveTakingSession(&unknown, {}).IsNotFound());
    CHECK(unknown.session == unknown_session);
  }

  SECTION("Delete removes the conversation and its transcript") {
    REQUIRE(store->Delete(created.id).ok());
    Conversation loaded;
    std::vector<std::string> transcript;
    CHECK(store->Load(created.id, &loaded).IsNotFound());
    CHECK(store->LoadTranscript(created.id, &transcript).IsNotFound());
    CHECK(store->Delete(created.id).IsNotFound());
    size_t active = 99;
    REQUIRE(store->CountActive(&active).ok());
    CHECK(active == 0);
  }

  SECTION("Deleting an idle conversation not swept yet removes it") {
    clock.Advance(kIdleMillis + 1);
    CHECK(store->Delete(created.id).IsNotFound());
    clock.Advance(-(kIdleMillis + 1));  // it would be live again, if kept
    Conversation loaded;
    CHECK(store->Load(created.id, &loaded).IsNotFound());
    std::vector<std::string> transcript;
    CHECK(store->LoadTranscript(created.id, &transcript).IsNotFound());
  }

  SECTION("Idle conversations are gone at once and swept by ExpireIdle") {
    Conversation busy = NewConversation();
    REQUIRE(store->Create(&busy, {}).ok());
    clock.Advance(kIdleMillis / 2);
    REQUIRE(store->Save(&busy, {"still here"}).ok());
    clock.Advance(kIdleMillis / 2 + 1);
    Conversation loaded;
    CHECK(store->Load(created.id, &loaded).IsNotFound());
    Conversation stale = created;
    CHECK(store->Save(&stale, {}).IsNotFound());
    CHECK(store->Load(busy.id, &loaded).ok());
    size_t active = 0;
    REQUIRE(store->CountActive(&active).ok());
    CHECK(active == 1);
    size_t removed = 0;
    REQUIRE(store->ExpireIdle(&removed).ok());
    CHECK(removed == 1);
    REQUIRE(store->ExpireIdle(&removed).ok());
    CHECK(removed == 0);
  }

  SECTION("Parallel writers that reload on Aborted lose no entry") {
    constexpr int kThreads = 6;
    constexpr int kSaves = 15;
    std::vector<std::thread> threads;
    // Catch2 assertions are not thread-safe (ThreadSanitizer reports them):
    // the writers count failures, the test thread checks the count.
    std::atomic<int> failures = 0;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kSaves; ++i) {
          for (;;) {
            Conversation current;
            if (!store->Load(created.id, &current).ok()) {
              ++failures;
              return;
            }
            current.session.turns = static_cast<uint32_t>(t);
            Status status = store->Save(
                &current, {std::to_string(t) + ":" + std::to_string(i)});
            if (status.ok()) break;
            if (!status.IsAborted()) {
              ++failures;
              return;
            }
          }
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    REQUIRE(failures == 0);
    Conversation loaded;
    REQUIRE(store->Load(created.id, &loaded).ok());
    CHECK(loaded.version == 1 + kThreads * kSaves);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
    CHECK(transcript.size() == 1 + kThreads * kSaves);
  }

  CHECK(store->Check().ok());
}

// A store of `kind` whose unanswered conversations (never saved after
// Create) expire after `unanswered_millis`, the others after kIdleMillis.
std::unique_ptr<SessionStore> OpenStoreWithUnansweredExpiry(
    const std::string& kind, const Clock* clock, const TempDir& dir,
    int64_t unanswered_millis) {
  std::unique_ptr<SessionStore> store;
  Status status;
  if (kind == "memory") {
    return NewMemoryStore(
        clock,
        MemoryStoreOptions{.idle_expiry_millis = kIdleMillis,
                           .unanswered_expiry_millis = unanswered_millis});
  }
#if TRUSTCOACH_WITH_REDIS
  if (kind == "redis") {
    RedisOptions redis;
    REQUIRE(ParseRedisUrl(testing::SharedRedisServer().url(), &redis).ok());
    redis.key_prefix = "test-" + NewConversationId() + ":";
    status = OpenRedisStore(
        redis, clock,
        RedisStoreOptions{.idle_expiry_millis = kIdleMillis,
                          .unanswered_expiry_millis = unanswered_millis},
        &store);
    REQUIRE(status.ok());
    return store;
  }
#endif
  status = OpenSqliteStore(
      dir.File("store.db"), clock,
      SqliteStoreOptions{.idle_expiry_millis = kIdleMillis,
                         .unanswered_expiry_millis = unanswered_millis},
      &store);
  REQUIRE(status.ok());
  return store;
}

TEST_CASE("Every store expires unanswered conversations within minutes",
          "[server][store]") {
  const std::string kind = GENERATE(from_range(StoreKinds()));
  CAPTURE(kind);
  constexpr int64_t kUnansweredMillis = 10'000;
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store =
      OpenStoreWithUnansweredExpiry(kind, &clock, dir, kUnansweredMillis);
  Conversation unanswered = NewConversation();
  REQUIRE(store->Create(&unanswered, {"greeting"}).ok());
  Conversation answered = NewConversation();
  REQUIRE(store->Create(&answered, {"greeting"}).ok());
  CHECK(store->ExpiresAtMillis(answered) ==
        answered.updated_millis + kUnansweredMillis);
  REQUIRE(store->Save(&answered, {"hello"}).ok());
  CHECK(store->ExpiresAtMillis(answered) ==
        answered.updated_millis + kIdleMillis);

  clock.Advance(kUnansweredMillis + 1);
  Conversation loaded;
  CHECK(store->Load(unanswered.id, &loaded).IsNotFound());
  std::vector<std::string> transcript;
  CHECK(store->LoadTranscript(unanswered.id, &transcript).IsNotFound());
  Conversation stale = unanswered;
  CHECK(store->Save(&stale, {"too late"}).IsNotFound());
  REQUIRE(store->Load(answered.id, &loaded).ok());
  size_t active = 0;
  REQUIRE(store->CountActive(&active).ok());
  CHECK(active == 1);
  size_t removed = 0;
  REQUIRE(store->ExpireIdle(&removed).ok());
  CHECK(removed == 1);
  CHECK(store->Delete(unanswered.id).IsNotFound());

  // The answered one keeps the long window.
  clock.Advance(kIdleMillis - kUnansweredMillis - 2);
  REQUIRE(store->Load(answered.id, &loaded).ok());
  clock.Advance(2);
  CHECK(store->Load(answered.id, &loaded).IsNotFound());
}

TEST_CASE("The SQLite store has a conversation cap", "[server][store]") {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store;
  REQUIRE(OpenSqliteStore(dir.File("store.db"), &clock,
                          SqliteStoreOptions{.idle_expiry_millis = kIdleMillis,
                                             .unanswered_expiry_millis = 10'000,
                                             .max_conversations = 2},
                          &store)
              .ok());
  Conversation a = NewConversation(), b = NewConversation(),
               c = NewConversation();
  REQUIRE(store->Create(&a, {}).ok());
  clock.Advance(3'000);
  REQUIRE(store->Create(&b, {}).ok());
  REQUIRE(store->Save(&b, {"hello"}).ok());
  CHECK(store->Check().ok() == false);
  CHECK(store->Create(&c, {}).IsUnavailable());
  // Room comes when the unanswered `a` expires, 7 s from now.
  CHECK(store->SecondsUntilRoom() == 7);
  clock.Advance(7'001);
  CHECK(store->Check().ok());
  REQUIRE(store->Create(&c, {}).ok());
  CHECK(store->Create(&a, {}).IsUnavailable());
  // A deleted one makes room at once, and reopening counts what is stored.
  REQUIRE(store->Delete(c.id).ok());
  store.reset();
  REQUIRE(OpenSqliteStore(dir.File("store.db"), &clock,
                          SqliteStoreOptions{.idle_expiry_millis = kIdleMillis,
                                             .max_conversations = 2},
                          &store)
              .ok());
  Conversation d = NewConversation(), e = NewConversation();
  REQUIRE(store->Create(&d, {}).ok());
  CHECK(store->Create(&e, {}).IsUnavailable());
}

TEST_CASE("The SQLite store has a byte budget", "[server][store]") {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store;
  REQUIRE(OpenSqliteStore(
              dir.File("store.db"), &clock,
              SqliteStoreOptions{.idle_expiry_millis = kIdleMillis,
                                 .unanswered_expiry_millis = kIdleMillis,
                                 .max_bytes = 256 * 1024},
              &store)
              .ok());
  const std::string entry(16 * 1024, 'x');
  std::vector<std::string> ids;
  Status status;
  for (int i = 0; i < 40; ++i) {
    Conversation conversation = NewConversation();
    status = store->Create(&conversation, {entry});
    if (!status.ok()) break;
    ids.push_back(conversation.id);
    clock.Advance(1'001);  // the pages in use are read once a second
  }
  CHECK(status.IsUnavailable());
  CHECK(ids.size() >= 8);
  CHECK(ids.size() < 16);
  CHECK(store->Check().IsUnavailable());
  // Turns stop too, until room is made.
  Conversation first;
  REQUIRE(store->Load(ids[0], &first).ok());
  CHECK(store->Save(&first, {entry}).IsUnavailable());
  for (const std::string& id : ids) REQUIRE(store->Delete(id).ok());
  clock.Advance(1'001);
  CHECK(store->Check().ok());
  Conversation again = NewConversation();
  CHECK(store->Create(&again, {entry}).ok());
}

TEST_CASE("The memory store is bounded", "[server][store]") {
  FakeClock clock;
  std::unique_ptr<SessionStore> store = NewMemoryStore(
      &clock, MemoryStoreOptions{.idle_expiry_millis = kIdleMillis,
                                 .max_conversations = 2});
  Conversation a = NewConversation(), b = NewConversation(),
               c = NewConversation();
  REQUIRE(store->Create(&a, {}).ok());
  REQUIRE(store->Create(&b, {}).ok());
  CHECK(store->Create(&c, {}).IsUnavailable());
  clock.Advance(kIdleMillis + 1);
  CHECK(store->Create(&c, {}).ok());
}

TEST_CASE("The SQLite store survives a reopen and leaves no deleted text",
          "[server][store][sqlite]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("store.db");
  const std::string secret = "a-very-distinctive-secret-7f3a9";
  Conversation kept = NewConversation();
  Conversation removed = NewConversation();
  {
    std::unique_ptr<SessionStore> store;
    REQUIRE(OpenSqliteStore(path, &clock, {}, &store).ok());
    REQUIRE(store->Create(&kept, {"kept"}).ok());
    REQUIRE(store->Create(&removed, {secret}).ok());
    CHECK(std::filesystem::exists(path + "-wal"));
    REQUIRE(store->Delete(removed.id).ok());
  }
  CHECK(ReadFile(path).find(secret) == std::string::npos);
  CHECK(ReadFile(path + "-wal").find(secret) == std::string::npos);

  std::unique_ptr<SessionStore> store;
  REQUIRE(OpenSqliteStore(path, &clock, {}, &store).ok());
  Conversation loaded;
  REQUIRE(store->Load(kept.id, &loaded).ok());
  CHECK(loaded.version == 1);
  CHECK(store->Load(removed.id, &loaded).IsNotFound());
}

TEST_CASE("The SQLite store folds the WAL back while it is open",
          "[server][store][sqlite]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("store.db");
  std::unique_ptr<SessionStore> store;
  REQUIRE(OpenSqliteStore(path, &clock,
                          {.sync = SqliteStoreOptions::Sync::kNormal}, &store)
              .ok());
  Conversation conversation = NewConversation();
  REQUIRE(store->Create(&conversation, {}).ok());
  // Some 4 MB of transcript: more pages than the WAL holds before an
  // automatic checkpoint.
  const std::string entry(2000, 'x');
  for (int i = 0; i < 2000; ++i) {
    REQUIRE(store->Save(&conversation, {entry}).ok());
  }
  for (int i = 0; i < 200 && std::filesystem::file_size(path) < (1 << 20);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(std::filesystem::file_size(path) >= (1 << 20));

  // A delete still truncates the WAL at once, checkpoint or not.
  const std::string secret = "a-very-distinctive-secret-5c2e1";
  Conversation removed = NewConversation();
  REQUIRE(store->Create(&removed, {secret}).ok());
  REQUIRE(store->Delete(removed.id).ok());
  CHECK(std::filesystem::file_size(path + "-wal") == 0);
  CHECK(ReadFile(path).find(secret) == std::string::npos);
}

TEST_CASE("The SQLite store reports a path it cannot open",
          "[server][store][sqlite]") {
  FakeClock clock;
  std::unique_ptr<SessionStore> store;
  Status status =
      OpenSqliteStore("/nonexistent-dir/x/store.db", &clock, {}, &store);
  CHECK(status.IsUnavailable());
  CHECK(status.message().find("/nonexistent-dir/x/store.db") !=
        std::string::npos);
}

TEST_CASE("SQLite: writes committed together keep their own results",
          "[server][store]") {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store = OpenStore("sqlite", &clock, dir);
  constexpr int kThreads = 8;
  constexpr int kTurns = 20;
  std::vector<Conversation> conversations(kThreads);
  for (Conversation& conversation : conversations) {
    conversation = NewConversation();
    REQUIRE(store->Create(&conversation, {"opening"}).ok());
  }
  // Each thread saves its own conversation, and every third turn also tries
  // a stale save, which must fail alone without undoing the others in its
  // batch.
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Conversation& mine = conversations[static_cast<size_t>(t)];
      for (int i = 0; i < kTurns; ++i) {
        Conversation stale = mine;
        mine.session.turns = static_cast<uint32_t>(i + 1);
        if (!store
                 ->Save(&mine, {"user " + std::to_string(i),
                                "coach " + std::to_string(i)})
                 .ok()) {
          ++failures;
        }
        if (i % 3 == 0 && !store->Save(&stale, {"stale"}).IsAborted()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE(failures == 0);
  for (const Conversation& conversation : conversations) {
    Conversation loaded;
    REQUIRE(store->Load(conversation.id, &loaded).ok());
    CHECK(loaded.version == 1 + kTurns);
    CHECK(loaded.session.turns == kTurns);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(conversation.id, &transcript).ok());
    REQUIRE(transcript.size() == 1 + 2 * kTurns);
    CHECK(transcript[1] == "user 0");
    CHECK(transcript[2] == "coach 0");
    CHECK(transcript.back() == "coach " + std::to_string(kTurns - 1));
  }
}

TEST_CASE("SQLite: a write that fails after changing rows leaves no trace",
          "[server][store]") {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store = OpenStore("sqlite", &clock, dir);
  constexpr int kThreads = 6;
  constexpr int kTurns = 15;
  std::vector<Conversation> conversations(kThreads);
  for (Conversation& conversation : conversations) {
    conversation = NewConversation();
    REQUIRE(store->Create(&conversation, {"opening"}).ok());
  }
  // A transcript entry "fail" fails its insert, after the save has
  // updated the conversation row.
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.File("store.db").c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db,
                     "CREATE TRIGGER fail BEFORE INSERT ON transcript WHEN "
                     "NEW.entry = 'fail' BEGIN SELECT RAISE(ABORT, 'fail'); "
                     "END",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  Conversation failing = conversations[0];
  failing.session.turns = 99;
  CHECK_FALSE(store->Save(&failing, {"fail"}).ok());
  CHECK(failing.version == 1);

  // Alone in a batch or not, a failing save neither bumps the version nor
  // undoes the saves committed with it.
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Conversation& mine = conversations[static_cast<size_t>(t)];
      for (int i = 0; i < kTurns; ++i) {
        Conversation doomed = mine;
        doomed.session.turns = 99;
        if (i % 2 == 0 && store->Save(&doomed, {"fail"}).ok()) ++failures;
        mine.session.turns = static_cast<uint32_t>(i + 1);
        if (!store->Save(&mine, {"turn " + std::to_string(i)}).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  REQUIRE(failures == 0);
  for (const Conversation& conversation : conversations) {
    Conversation loaded;
    REQUIRE(store->Load(conversation.id, &loaded).ok());
    CHECK(loaded.version == 1 + kTurns);
    CHECK(loaded.session.turns == kTurns);
    std::vector<std::string> transcript;
    REQUIRE(store->LoadTranscript(conversation.id, &transcript).ok());
    REQUIRE(transcript.size() == 1 + kTurns);
    CHECK(transcript.back() == "turn " + std::to_string(kTurns - 1));
  }
}

TEST_CASE(
    "SQLite: transcript rows of one line each, as older versions "
    "wrote them, read the same",
    "[server][store]") {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store = OpenStore("sqlite", &clock, dir);
  Conversation created = NewConversation();
  REQUIRE(store->Create(&created, {"a", "b"}).ok());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.File("store.db").c_str(), &db) == SQLITE_OK);
  const std::string sql = "INSERT INTO transcript VALUES ('" + created.id +
                          "', 2, 'c'), ('" + created.id + "', 3, 'd')";
  CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  // Rows are numbered by version (the next would be 2, taken) unless the
  // older rows run ahead; saves without entries skip a number.
  REQUIRE(store->Save(&created, {"e", "f"}).ok());
  REQUIRE(store->Save(&created, {}).ok());
  REQUIRE(store->Save(&created, {"g"}).ok());
  REQUIRE(store->Save(&created, {}).ok());
  REQUIRE(store->Save(&created, {}).ok());
  REQUIRE(store->Save(&created, {"h"}).ok());
  REQUIRE(store->Save(&created, {"i"}).ok());
  CHECK(created.version == 8);
  std::vector<std::string> transcript;
  REQUIRE(store->LoadTranscript(created.id, &transcript).ok());
  CHECK(transcript ==
        std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", "h", "i"});
}

TEST_CASE("SQLite: a stored state that does not parse is an internal error",
          "[server][store]") {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<SessionStore> store = OpenStore("sqlite", &clock, dir);
  Conversation created = NewConversation();
  REQUIRE(store->Create(&created, {"opening"}).ok());

  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(dir.File("store.db").c_str(), &db) == SQLITE_OK);
  CHECK(sqlite3_exec(db, "UPDATE conversations SET state = '{\"v\":1,'",
                     nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);

  Conversation loaded;
  const Status status = store->Load(created.id, &loaded);
  CHECK(status.code() == Status::Code::kInternal);
  CHECK(loaded.id.empty());
  // The conversation can still be deleted.
  CHECK(store->Delete(created.id).ok());
}

// Every row `sql` returns, its columns joined by '|', as the sqlite3 shell
// prints them.
std::vector<std::string> Rows(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
          SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
  std::vector<std::string> rows;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    std::string row;
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* text =
          reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
      row += (i > 0 ? "|" : "") + std::string(text != nullptr ? text : "");
    }
    rows.push_back(row);
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  return rows;
}

void SetUserVersion(const std::string& path, int version) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(
              db, ("PRAGMA user_version = " + std::to_string(version)).c_str(),
              nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close_v2(db);
}

constexpr const char* kConversationRows =
    "SELECT id, token_hash, state, region, version, created_at, updated_at "
    "FROM conversations ORDER BY id";
constexpr const char* kTranscriptRows =
    "SELECT conversation_id, seq, entry FROM transcript "
    "ORDER BY conversation_id, seq";

// A database written by trustcoach before schema versions (user_version 0):
// three conversations of two or three turns each, made over HTTP by the
// release of 2026-12-04 (tests/store/testdata/README.md).
std::string CopyOfUnversionedDatabase(const TempDir& dir) {
  const std::string path = dir.File("old.db");
  std::filesystem::copy_file(std::string(TRUSTCOACH_SOURCE_DIR) +
                                 "/tests/store/testdata/store_unversioned.db",
                             path);
  return path;
}

TEST_CASE("SQLite: a database from before schema versions upgrades whole",
          "[server][store][sqlite][migration]") {
  TempDir dir;
  const std::string path = CopyOfUnversionedDatabase(dir);
  const std::vector<std::string> conversations = Rows(path, kConversationRows);
  const std::vector<std::string> transcript = Rows(path, kTranscriptRows);
  REQUIRE(Rows(path, "PRAGMA user_version") == std::vector<std::string>{"0"});
  REQUIRE(conversations.size() == 3);
  REQUIRE(transcript.size() == 10);

  // Within the retention window of the fixture's last write.
  const int64_t written =
      std::stoll(Rows(path, "SELECT max(updated_at) FROM conversations").at(0));
  FakeClock clock(written + 1000);
  {
    std::unique_ptr<SessionStore> store;
    Status status = OpenSqliteStore(path, &clock, {}, &store);
    INFO(status.ToString());
    REQUIRE(status.ok());
    size_t active = 0;
    REQUIRE(store->CountActive(&active).ok());
    CHECK(active == 3);
    // Each conversation loads through the store as it was written.
    for (const std::string& row : conversations) {
      const std::string id = row.substr(0, row.find('|'));
      Conversation loaded;
      REQUIRE(store->Load(id, &loaded).ok());
      CHECK(loaded.version >= 3);
      CHECK(row.find("|" + loaded.token_hash + "|") != std::string::npos);
      CHECK(row.find("|" + SerializeSession(loaded.session) + "|") !=
            std::string::npos);
      std::vector<std::string> entries;
      REQUIRE(store->LoadTranscript(id, &entries).ok());
      CHECK(entries.size() >= 5);  // the opening, then a line per message
      // And a turn can still be saved on it.
      REQUIRE(store->Save(&loaded, {"{\"after\":\"upgrade\"}"}).ok());
    }
  }
  CHECK(Rows(path, "PRAGMA user_version") == std::vector<std::string>{"2"});
  CHECK(Rows(path,
             "SELECT version, trustcoach FROM schema_migrations "
             "ORDER BY version") ==
        std::vector<std::string>{"1|" + std::string(Version()),
                                 "2|" + std::string(Version())});
  // Nothing lost: the old rows are all there (the saves above added one
  // transcript row each and raised the versions).
  std::vector<std::string> after = Rows(path, kTranscriptRows);
  for (const std::string& row : transcript) {
    CHECK(std::find(after.begin(), after.end(), row) != after.end());
  }
  CHECK(after.size() == transcript.size() + 3);

  // Opening again migrates nothing more.
  {
    std::unique_ptr<SessionStore> store;
    REQUIRE(OpenSqliteStore(path, &clock, {}, &store).ok());
  }
  CHECK(Rows(path, "SELECT count(*) FROM schema_migrations") ==
        std::vector<std::string>{"2"});
}

TEST_CASE("SQLite: a new database starts at the latest schema version",
          "[server][store][sqlite][migration]") {
  TempDir dir;
  FakeClock clock;
  const std::string path = dir.File("new.db");
  {
    std::unique_ptr<SessionStore> store;
    REQUIRE(OpenSqliteStore(path, &clock, {}, &store).ok());
  }
  CHECK(Rows(path, "PRAGMA user_version") == std::vector<std::string>{"2"});
  CHECK(Rows(path, "SELECT version, applied_at FROM schema_migrations") ==
        std::vector<std::string>{"1|" + std::to_string(clock.NowMillis()),
                                 "2|" + std::to_string(clock.NowMillis())});
}

TEST_CASE("SQLite: a database newer than the binary is refused untouched",
          "[server][store][sqlite][migration]") {
  TempDir dir;
  const std::string path = CopyOfUnversionedDatabase(dir);
  SetUserVersion(path, 99);
  const std::vector<std::string> before = Rows(path, kConversationRows);
  FakeClock clock;
  std::unique_ptr<SessionStore> store;
  Status status = OpenSqliteStore(path, &clock, {}, &store);
  CHECK(status.code() == Status::Code::kFailedPrecondition);
  CHECK(store == nullptr);
  CHECK_THAT(status.message(),
             Catch::Contains("schema version 99") &&
                 Catch::Contains("newer than this trustcoach " +
                                 std::string(Version())) &&
                 Catch::Contains("nothing was changed"));
  CHECK(Rows(path, "PRAGMA user_version") == std::vector<std::string>{"99"});
  CHECK(Rows(path, kConversationRows) == before);
}

}  // namespace
}  // namespace trustcoach::server
