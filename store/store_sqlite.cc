#include "store/store_sqlite.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "engine/version.h"

namespace trustcoach::server {
namespace {

// The schema, as forward migrations: migration i takes a database from
// `PRAGMA user_version` i to i + 1. They run at open, all in one
// transaction, so a database is either upgraded whole or left as it was.
// Append to the list; never edit a migration that has shipped.
//
// Version 0 is a new file or a database of trustcoach 0.x, which set no
// user_version and had migration 1's tables already (hence IF NOT EXISTS).
// Foreign keys are declared but deletes are explicit, so that removing data
// does not depend on a per-connection pragma.
constexpr const char* kMigrations[] = {
    // 1: conversations and their transcripts.
    R"sql(
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  region TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS conversations_by_updated ON conversations(updated_at);
CREATE TABLE IF NOT EXISTS transcript (
  conversation_id TEXT NOT NULL REFERENCES conversations(id),
  seq INTEGER NOT NULL,
  entry TEXT NOT NULL,  -- one or more transcript lines, '\n' between
  PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
)sql",
    // 2: which trustcoach version applied each migration, and when.
    R"sql(
CREATE TABLE schema_migrations (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL,  -- Unix milliseconds
  trustcoach TEXT NOT NULL      -- the version of the binary that applied it
);
)sql",
};
constexpr int kSchemaVersion =
    static_cast<int>(std::size(kMigrations));  // what this binary writes

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Status status = Status::Unavailable(
        std::string("sqlite: ") + (error != nullptr ? error : "unknown error"));
    sqlite3_free(error);
    return status;
  }
  return Status::OK();
}

// One transcript row per Create or Save: its entries joined by '\n' (JSON
// lines never hold a raw newline), one B-tree insert instead of one per
// line. LoadTranscript splits rows at '\n', so rows of one entry each, as
// earlier versions wrote them, read the same.
std::string JoinEntries(const std::vector<std::string>& entries) {
  std::string row;
  for (const std::string& entry : entries) {
    if (!row.empty()) row += '\n';
    row += entry;
  }
  return row;
}

// A prepared statement borrowed from a Connection's cache, reset on scope
// exit so that the next user finds it ready.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  // SQLite reads `text` where it is, without a copy: it must outlive this
  // Statement, which clears its bindings.
  void Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_STATIC);
  }
  void Bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::string_view Text(int column) const {
    const auto* text =
        reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text == nullptr
               ? std::string_view()
               : std::string_view(
                     text,
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  sqlite3_stmt* raw() const { return stmt_; }
  Status Error() const {
    return Status::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// One SQLite connection and its prepared statements, used by one thread at
// a time (the store's locking sees to it).
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* db() const { return db_; }
  Status Error() const {
    return Status::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }

  // `sql` prepared once per connection, then reused.
  Statement Prepare(std::string_view sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &stmt,
                             nullptr) != SQLITE_OK) {
        return Statement(db_, nullptr);
      }
      it = statements_.emplace(std::string(sql), stmt).first;
    }
    return Statement(db_, it->second);
  }

  // Runs a statement that returns no rows.
  Status Run(std::string_view sql) {
    Statement statement = Prepare(sql);
    if (!statement.ok() || statement.Step() != SQLITE_DONE) {
      return statement.Error();
    }
    return Status::OK();
  }

 private:
  sqlite3* const db_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// Writes go through one writer connection with group commit: a request
// thread queues its write and waits; whichever thread finds no commit in
// progress takes every queued write, runs them in one transaction and
// commits them together, so that one sync of the WAL (synchronous = FULL)
// makes a whole batch durable. Each write is acknowledged only after that
// commit, with its own result: a write that fails leaves the others in the
// batch alone (see CommitBatch). Reads use other connections and see
// committed data only (WAL).
// Connections for reads, each used by one thread at a time.
constexpr size_t kReaders = 4;

// The conditions on a conversations row for "live" and "expired", with
// parameter A the idle cutoff (now - idle window) and B the unanswered one
// (now - the shorter window for conversations at version 1).
#define LIVE(A, B) \
  "(updated_at >= ?" #A " AND (version > 1 OR updated_at >= ?" #B "))"
#define EXPIRED(A, B) \
  "(updated_at < ?" #B " AND (updated_at < ?" #A " OR version <= 1))"

class SqliteStore : public SessionStore {
 public:
  SqliteStore(sqlite3* writer, const std::array<sqlite3*, kReaders>& readers,
              const Clock* clock, const SqliteStoreOptions& options)
      : writer_(writer), clock_(clock), options_(options) {
    for (size_t i = 0; i < kReaders; ++i) {
      readers_[i].connection = std::make_unique<Connection>(readers[i]);
    }
    Statement count = writer_.Prepare("SELECT COUNT(*) FROM conversations");
    if (count.ok() && count.Step() == SQLITE_ROW) stored_.store(count.Int(0));
    RefreshBytes();
  }
  ~SqliteStore() override {
    // A final checkpoint folds the WAL into the database file; closing the
    // last connection then removes the -wal and -shm files.
    Checkpoint();
  }

  Status Create(Conversation* conversation,
                const std::vector<std::string>& transcript) override {
    if (Full()) {
      // Make room from the expired ones first, as the memory store does.
      size_t removed = 0;
      Status status = ExpireIdle(&removed);
      if (!status.ok()) return status;
    }
    const int64_t now = clock_->NowMillis();
    const std::string state = SerializeSession(conversation->session);
    const std::string row = JoinEntries(transcript);
    Status status = Write([&]() -> Status {
      if (TooMany() || !BytesFit()) {
        return Status::Unavailable("sqlite store is full");
      }
      Statement insert = writer_.Prepare(
          "INSERT INTO conversations (id, token_hash, state, region, version, "
          "created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)");
      if (!insert.ok()) return insert.Error();
      insert.Bind(1, conversation->id);
      insert.Bind(2, conversation->token_hash);
      insert.Bind(3, state);
      insert.Bind(4, conversation->region);
      insert.Bind(5, now);
      insert.Bind(6, now);
      const int rc = insert.Step();
      if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        return Status::AlreadyExists("conversation exists");
      }
      if (rc != SQLITE_DONE) return insert.Error();
      return transcript.empty() ? Status::OK()
                                : Append(conversation->id, 1, row);
    });
    if (!status.ok()) return status;
    stored_.fetch_add(1);
    conversation->version = 1;
    conversation->created_millis = now;
    conversation->updated_millis = now;
    return Status::OK();
  }

  Status Load(std::string_view id, Conversation* conversation) override {
    ReaderLock reader(this);
    Statement select = reader->Prepare(
        "SELECT token_hash, state, region, version, created_at, updated_at, "
        "(SELECT TOTAL(LENGTH(CAST(entry AS BLOB))) FROM transcript "
        "WHERE conversation_id = conversations.id) "
        "FROM conversations WHERE id = ? AND " LIVE(2, 3));
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    BindCutoffs(select, 2);
    const int rc = select.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no such conversation");
    if (rc != SQLITE_ROW) return select.Error();
    Status status = ParseStoredSession(select.Text(1), &conversation->session);
    if (!status.ok()) return status;
    conversation->id = std::string(id);
    conversation->token_hash = std::string(select.Text(0));
    conversation->region = std::string(select.Text(2));
    conversation->version = static_cast<uint64_t>(select.Int(3));
    conversation->created_millis = select.Int(4);
    conversation->updated_millis = select.Int(5);
    conversation->transcript_bytes = static_cast<uint64_t>(select.Int(6));
    return Status::OK();
  }

  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    const int64_t now = clock_->NowMillis();
    const std::string state = SerializeSession(conversation->session);
    const std::string row = JoinEntries(transcript);
    Status status = Write([&]() -> Status {
      Statement update = writer_.Prepare(
          "UPDATE conversations SET state = ?, region = ?, "
          "version = version + 1, updated_at = ? WHERE id = ? "
          "AND version = ? AND " LIVE(6, 7));
      if (!update.ok()) return update.Error();
      update.Bind(1, state);
      update.Bind(2, conversation->region);
      update.Bind(3, now);
      update.Bind(4, conversation->id);
      update.Bind(5, static_cast<int64_t>(conversation->version));
      BindCutoffs(update, 6);
      if (!BytesFit()) return Status::Unavailable("sqlite store is full");
      if (update.Step() != SQLITE_DONE) return update.Error();
      if (sqlite3_changes(writer_.db()) == 0) {
        bool live = false;
        Status checked = IsLive(writer_, conversation->id, &live);
        if (!checked.ok()) return checked;
        return live ? Status::Aborted("conversation changed concurrently")
                    : Status::NotFound("no such conversation");
      }
      if (transcript.empty()) return Status::OK();
      return Append(conversation->id,
                    static_cast<int64_t>(conversation->version) + 1, row);
    });
    if (!status.ok()) return status;
    conversation->version++;
    conversation->updated_millis = now;
    return Status::OK();
  }

  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    ReaderLock reader(this);
    bool live = false;
    Status status = IsLive(*reader, id, &live);
    if (!status.ok()) return status;
    if (!live) return Status::NotFound("no such conversation");
    Statement select = reader->Prepare(
        "SELECT entry FROM transcript WHERE conversation_id = ? ORDER BY seq");
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    transcript->clear();
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) {
      std::string_view row = select.Text(0);
      for (;;) {
        const size_t end = row.find('\n');
        transcript->emplace_back(row.substr(0, end));
        if (end == std::string_view::npos) break;
        row.remove_prefix(end + 1);
      }
    }
    return rc == SQLITE_DONE ? Status::OK() : select.Error();
  }

  Status Delete(std::string_view id) override {
    // An idle conversation that the sweeper has not removed yet is deleted
    // too, and answers NotFound, as in the other stores. The WAL still
    // holds the deleted rows until the checkpoint.
    bool live = false;
    bool deleted = false;
    Status status = Write(
        [&]() -> Status {
          Status checked = IsLive(writer_, id, &live);
          return checked.ok() ? DeleteRows(id, &deleted) : checked;
        },
        /*checkpoint=*/true);
    if (!status.ok()) return status;
    if (deleted) stored_.fetch_sub(1);
    return live ? Status::OK() : Status::NotFound("no such conversation");
  }

  Status ExpireIdle(size_t* removed) override {
    const int64_t idle_cutoff = IdleCutoff();
    const int64_t unanswered_cutoff = UnansweredCutoff();
    *removed = 0;
    int64_t left = -1;
    Status status = Write(
        [&]() -> Status {
          // The unanswered cutoff is the later one: every expired row has
          // updated_at below it, which the index finds.
          for (const char* sql :
               {"DELETE FROM transcript WHERE conversation_id IN "
                "(SELECT id FROM conversations WHERE " EXPIRED(1, 2) ")",
                "DELETE FROM conversations WHERE " EXPIRED(1, 2)}) {
            Statement remove = writer_.Prepare(sql);
            if (!remove.ok()) return remove.Error();
            remove.Bind(1, idle_cutoff);
            remove.Bind(2, unanswered_cutoff);
            if (remove.Step() != SQLITE_DONE) return remove.Error();
          }
          *removed = static_cast<size_t>(sqlite3_changes(writer_.db()));
          // Recounted here, so that rows another process wrote to the same
          // file count too.
          Statement count =
              writer_.Prepare("SELECT COUNT(*) FROM conversations");
          if (!count.ok() || count.Step() != SQLITE_ROW) return count.Error();
          left = count.Int(0);
          RefreshBytes();
          return Status::OK();
        },
        /*checkpoint=*/true);
    if (status.ok() && left >= 0) stored_.store(left);
    return status;
  }

  Status CountActive(size_t* count) override {
    ReaderLock reader(this);
    Statement select =
        reader->Prepare("SELECT COUNT(*) FROM conversations WHERE " LIVE(1, 2));
    if (!select.ok()) return select.Error();
    BindCutoffs(select, 1);
    if (select.Step() != SQLITE_ROW) return select.Error();
    *count = static_cast<size_t>(select.Int(0));
    return Status::OK();
  }

  // Full when the conversation cap or the byte budget is reached, even
  // after dropping the expired ones.
  Status Check() override {
    if (Full()) {
      size_t removed = 0;
      Status status = ExpireIdle(&removed);
      if (!status.ok()) return status;
      if (Full()) return Status::Unavailable("sqlite store is full");
    }
    ReaderLock reader(this);
    Statement select = reader->Prepare("SELECT 1");
    if (!select.ok() || select.Step() != SQLITE_ROW) return select.Error();
    return Status::OK();
  }

  int64_t ExpiresAtMillis(const Conversation& conversation) override {
    return conversation.updated_millis + (conversation.version <= 1
                                              ? UnansweredWindow()
                                              : options_.idle_expiry_millis);
  }

  // The soonest any stored conversation expires: the oldest unanswered one
  // or the oldest other one, each found through the updated_at index. At
  // most once a second; other calls get the last answer.
  int64_t SecondsUntilRoom() override {
    const int64_t now = clock_->NowMillis();
    std::lock_guard lock(room_mu_);
    if (room_checked_millis_ == 0 || now - room_checked_millis_ >= 1000) {
      int64_t soonest = now;
      ReaderLock reader(this);
      Statement select = reader->Prepare(
          "SELECT (SELECT MIN(updated_at) FROM conversations WHERE version "
          "<= 1), (SELECT MIN(updated_at) FROM conversations WHERE version > "
          "1)");
      if (select.ok() && select.Step() == SQLITE_ROW) {
        int64_t found = std::numeric_limits<int64_t>::max();
        if (sqlite3_column_type(select.raw(), 0) != SQLITE_NULL) {
          found = std::min(found, select.Int(0) + UnansweredWindow());
        }
        if (sqlite3_column_type(select.raw(), 1) != SQLITE_NULL) {
          found = std::min(found, select.Int(1) + options_.idle_expiry_millis);
        }
        if (found != std::numeric_limits<int64_t>::max()) soonest = found;
      }
      room_checked_millis_ = now;
      room_at_millis_ = soonest;
    }
    return std::max<int64_t>(1, (room_at_millis_ - now + 999) / 1000);
  }

 private:
  // One queued write: its body runs on writer_ inside the batch's
  // transaction; `status` is its result once `done`. The waiting thread
  // sleeps on its own `wake`, so that a commit wakes only the writes it
  // made durable, and the one write chosen to lead the next batch (`lead`),
  // not every thread that waits; and on its own `mu`, so that the leader
  // wakes them without holding queue_mu_, which new writes need.
  struct PendingWrite {
    PendingWrite(const std::function<Status()>* write_body,
                 bool then_checkpoint)
        : body(write_body), checkpoint(then_checkpoint) {}

    const std::function<Status()>* body;
    bool checkpoint;
    Status status = Status::OK();  // set by the leader before `done`
    std::mutex mu;
    std::condition_variable wake;
    bool done = false;  // guarded by mu
    bool lead = false;  // guarded by mu
  };

  // Runs `body` as part of the next group commit and returns its status
  // once the commit is durable. `checkpoint` asks for a WAL checkpoint after
  // the commit (deletes: the WAL still holds the removed rows).
  Status Write(const std::function<Status()>& body, bool checkpoint = false) {
    PendingWrite write(&body, checkpoint);
    bool wait;
    {
      std::lock_guard lock(queue_mu_);
      queue_.push_back(&write);
      wait = committing_;
      committing_ = true;
    }
    if (wait) {
      std::unique_lock lock(write.mu);
      write.wake.wait(lock, [&write] { return write.done || write.lead; });
      if (write.done) return write.status;
    }
    // Lead the next batch: it holds this write and whatever queued since.
    // Until it hands the lead on, committing_ stays true and no other
    // thread touches writer_.
    std::vector<PendingWrite*> batch;
    {
      std::lock_guard lock(queue_mu_);
      batch.swap(queue_);
    }
    CommitBatch(batch);
    // Writes that queued during this commit wait for a leader: the oldest
    // leads the next batch. Queued writes wait until told, so they are
    // still there.
    PendingWrite* next = nullptr;
    {
      std::lock_guard lock(queue_mu_);
      committing_ = !queue_.empty();
      if (committing_) next = queue_.front();
    }
    if (next != nullptr) Tell(next, &PendingWrite::lead);
    for (PendingWrite* done : batch) {
      if (done != &write) Tell(done, &PendingWrite::done);
    }
    return write.status;
  }

  // Sets `flag` of a waiting write and wakes it. Notified with its `mu`
  // held: once it sees the flag, the thread may return, and its
  // PendingWrite, `wake` included, is gone.
  static void Tell(PendingWrite* write, bool PendingWrite::*flag) {
    std::lock_guard lock(write->mu);
    write->*flag = true;
    write->wake.notify_one();
  }

  // A write that fails must leave no trace, and a savepoint around each
  // write would see to it, but costs two statements per write (a tenth of
  // a turn's instructions on the writer). A write that fails has mostly
  // changed nothing (a stale version, a taken id): the batch runs without
  // savepoints, and only if a write failed after changing rows does it roll
  // back and run again with one savepoint per write. So a write's body may
  // run twice; it only reads and writes the database and its own results.
  void CommitBatch(const std::vector<PendingWrite*>& batch) {
    if (!RunBatch(batch, Savepoints::kNone)) {
      (void)RunBatch(batch, Savepoints::kEach);
    }
  }

  enum class Savepoints { kNone, kEach };

  // Runs `batch` in one transaction and commits it. Returns false, with
  // the transaction rolled back, when without savepoints a write failed
  // after it changed rows.
  bool RunBatch(const std::vector<PendingWrite*>& batch,
                Savepoints savepoints) {
    Status begin = writer_.Run("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      for (PendingWrite* write : batch) write->status = begin;
      return true;
    }
    bool checkpoint = false;
    for (PendingWrite* write : batch) {
      if (savepoints == Savepoints::kEach) {
        write->status = writer_.Run("SAVEPOINT write");
        if (!write->status.ok()) continue;
      }
      const int64_t changes = sqlite3_total_changes64(writer_.db());
      write->status = (*write->body)();
      if (savepoints == Savepoints::kEach) {
        if (!write->status.ok()) (void)writer_.Run("ROLLBACK TO write");
        (void)writer_.Run("RELEASE write");
      } else if (!write->status.ok() &&
                 sqlite3_total_changes64(writer_.db()) != changes) {
        (void)Exec(writer_.db(), "ROLLBACK");
        return false;
      }
      if (sqlite3_get_autocommit(writer_.db()) != 0) {
        // SQLite rolled the whole transaction back (an I/O error, a full
        // disk): no write of the batch was made, and the next ones would
        // each commit on their own.
        const Status lost = writer_.Error();
        for (PendingWrite* other : batch) {
          if (other->status.ok()) other->status = lost;
        }
        return true;
      }
      checkpoint |= write->checkpoint && write->status.ok();
    }
    Status commit = writer_.Run("COMMIT");
    if (!commit.ok()) {
      (void)Exec(writer_.db(), "ROLLBACK");
      for (PendingWrite* write : batch) {
        if (write->status.ok()) write->status = commit;
      }
      return true;
    }
    if (checkpoint) Checkpoint();
    return true;
  }

  // Deleted pages are zeroed in the database (secure_delete); truncating
  // the WAL removes the copies it still held. Runs on the writer
  // connection, by the thread leading a batch or at close.
  void Checkpoint() {
    sqlite3_wal_checkpoint_v2(writer_.db(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                              nullptr, nullptr);
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
  // Binds the two cutoffs of LIVE(first, first + 1).
  void BindCutoffs(Statement& statement, int first) const {
    const int64_t now = clock_->NowMillis();
    statement.Bind(first, now - options_.idle_expiry_millis);
    statement.Bind(first + 1, now - UnansweredWindow());
  }

  bool TooMany() const {
    return options_.max_conversations > 0 &&
           static_cast<size_t>(std::max<int64_t>(stored_.load(), 0)) >=
               options_.max_conversations;
  }
  bool Full() const {
    return TooMany() ||
           (options_.max_bytes > 0 && used_bytes_.load() >= options_.max_bytes);
  }

  // Whether the database's pages in use are below the byte budget, read
  // again when the last reading is a second old. Writer only.
  bool BytesFit() {
    if (options_.max_bytes == 0) return true;
    const int64_t now = clock_->NowMillis();
    if (bytes_read_millis_ == 0 || now - bytes_read_millis_ >= 1000) {
      RefreshBytes();
      bytes_read_millis_ = now == 0 ? 1 : now;
    }
    return used_bytes_.load() < options_.max_bytes;
  }

  // (page_count - freelist_count) * page_size, from the writer connection.
  void RefreshBytes() {
    int64_t values[3] = {0, 0, 0};
    const char* pragmas[3] = {"PRAGMA page_count", "PRAGMA freelist_count",
                              "PRAGMA page_size"};
    for (int i = 0; i < 3; ++i) {
      Statement pragma = writer_.Prepare(pragmas[i]);
      if (!pragma.ok() || pragma.Step() != SQLITE_ROW) return;
      values[i] = pragma.Int(0);
    }
    used_bytes_.store(
        static_cast<size_t>(std::max<int64_t>(values[0] - values[1], 0)) *
        static_cast<size_t>(values[2]));
  }

  Status IsLive(Connection& connection, std::string_view id, bool* live) {
    Statement select = connection.Prepare(
        "SELECT 1 FROM conversations WHERE id = ? AND " LIVE(2, 3));
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    BindCutoffs(select, 2);
    const int rc = select.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return select.Error();
    *live = rc == SQLITE_ROW;
    return Status::OK();
  }

  Status LastSeq(std::string_view id, int64_t* seq) {
    Statement select = writer_.Prepare(
        "SELECT COALESCE(MAX(seq), 0) FROM transcript WHERE "
        "conversation_id = ?");
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    if (select.Step() != SQLITE_ROW) return select.Error();
    *seq = select.Int(0);
    return Status::OK();
  }

  // Appends `row` (see JoinEntries) to the transcript of `id` as entry
  // `seq`, the version this write gives the conversation: it is above
  // every seq numbered this way before, so no MAX(seq) lookup is needed.
  // Earlier versions numbered rows MAX(seq) + 1 (the oldest one row per
  // line), which can run ahead of the version; their seqs have no gaps, so
  // every seq between the version and the highest one is taken. Then the
  // insert fails on the primary key and the row goes after the highest seq
  // instead, which keeps that property for the next write.
  Status Append(std::string_view id, int64_t seq, std::string_view row) {
    const int rc = InsertRow(id, seq, row);
    if ((rc & 0xff) != SQLITE_CONSTRAINT) {
      return rc == SQLITE_DONE ? Status::OK() : writer_.Error();
    }
    int64_t last_seq = 0;
    Status status = LastSeq(id, &last_seq);
    if (!status.ok()) return status;
    return InsertRow(id, last_seq + 1, row) == SQLITE_DONE ? Status::OK()
                                                           : writer_.Error();
  }

  // SQLITE_DONE or an error code.
  int InsertRow(std::string_view id, int64_t seq, std::string_view row) {
    Statement insert = writer_.Prepare(
        "INSERT INTO transcript (conversation_id, seq, entry) VALUES (?, ?, "
        "?)");
    if (!insert.ok()) return SQLITE_ERROR;
    insert.Bind(1, id);
    insert.Bind(2, seq);
    insert.Bind(3, row);
    return insert.Step();
  }

  // `*deleted`: whether a conversation row was there.
  Status DeleteRows(std::string_view id, bool* deleted) {
    for (const char* sql : {"DELETE FROM transcript WHERE conversation_id = ?",
                            "DELETE FROM conversations WHERE id = ?"}) {
      Statement remove = writer_.Prepare(sql);
      if (!remove.ok()) return remove.Error();
      remove.Bind(1, id);
      if (remove.Step() != SQLITE_DONE) return remove.Error();
    }
    *deleted = sqlite3_changes(writer_.db()) > 0;
    return Status::OK();
  }

  // Used only by the thread leading a batch (committing_), or at close.
  Connection writer_;
  struct Reader {
    std::mutex mu;
    std::unique_ptr<Connection> connection;
  };
  // A reader connection for this thread, held until scope exit. Threads
  // spread over the readers by id, so reads rarely wait for one another.
  class ReaderLock {
   public:
    explicit ReaderLock(SqliteStore* store)
        : reader_(store->readers_[std::hash<std::thread::id>{}(
                                      std::this_thread::get_id()) %
                                  kReaders]),
          lock_(reader_.mu) {}
    Connection* operator->() { return reader_.connection.get(); }
    Connection& operator*() { return *reader_.connection; }

   private:
    Reader& reader_;
    std::lock_guard<std::mutex> lock_;
  };
  std::array<Reader, kReaders> readers_;
  const Clock* const clock_;
  const SqliteStoreOptions options_;

  // Conversation rows stored, expired or not: counted at open, by Create
  // and Delete, and recounted by every sweep. Several processes on one file
  // each count only their own writes between sweeps.
  std::atomic<int64_t> stored_ = 0;
  std::atomic<size_t> used_bytes_ = 0;  // see RefreshBytes()
  int64_t bytes_read_millis_ = 0;       // writer only

  std::mutex room_mu_;  // guards the two below, SecondsUntilRoom()'s cache
  int64_t room_checked_millis_ = 0;
  int64_t room_at_millis_ = 0;

  std::mutex queue_mu_;
  std::vector<PendingWrite*> queue_;  // writes waiting for the next batch
  bool committing_ = false;           // a thread is running a batch
};

// The database's PRAGMA user_version, or -1 on error.
int UserVersion(sqlite3* db) {
  sqlite3_stmt* stmt = nullptr;
  int version = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    version = sqlite3_column_int(stmt, 0);
  }
  sqlite3_finalize(stmt);
  return version;
}

// Brings the database to kSchemaVersion inside one transaction (BEGIN
// IMMEDIATE: two servers starting on one file migrate one after the other).
// A database newer than this binary is refused, untouched.
Status Migrate(sqlite3* db, const std::string& path, int64_t now_millis) {
  Status status = Exec(db, "BEGIN IMMEDIATE");
  if (!status.ok()) return status;
  const int from = UserVersion(db);
  if (from < 0) {
    status = Status::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db));
    (void)Exec(db, "ROLLBACK");
    return status;
  }
  if (from > kSchemaVersion) {
    (void)Exec(db, "ROLLBACK");
    return Status::FailedPrecondition(
        path + ": the database has schema version " + std::to_string(from) +
        ", newer than this trustcoach " + std::string(Version()) + " knows (" +
        std::to_string(kSchemaVersion) +
        "): it was written by a later release. Run that release again, or "
        "restore a backup taken before the upgrade; nothing was changed.");
  }
  const std::string by(Version());
  for (int version = from; status.ok() && version < kSchemaVersion; ++version) {
    status = Exec(db, kMigrations[version]);
    if (!status.ok()) {
      status = Status::Unavailable("migration to schema version " +
                                   std::to_string(version + 1) + ": " +
                                   status.message());
      break;
    }
  }
  // Each migration run now, recorded in the table migration 2 made.
  for (int version = from + 1; status.ok() && version <= kSchemaVersion;
       ++version) {
    sqlite3_stmt* stmt = nullptr;
    const bool recorded =
        sqlite3_prepare_v2(db,
                           "INSERT INTO schema_migrations (version, "
                           "applied_at, trustcoach) VALUES (?, ?, ?)",
                           -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_bind_int(stmt, 1, version) == SQLITE_OK &&
        sqlite3_bind_int64(stmt, 2, now_millis) == SQLITE_OK &&
        sqlite3_bind_text(stmt, 3, by.c_str(), -1, SQLITE_TRANSIENT) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_DONE;
    sqlite3_finalize(stmt);
    if (!recorded) {
      status =
          Status::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db));
    }
  }
  if (status.ok() && from < kSchemaVersion) {
    status = Exec(
        db,
        ("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  }
  if (!status.ok()) {
    (void)Exec(db, "ROLLBACK");
    return status;
  }
  return Exec(db, "COMMIT");
}

// Opens `path` with the store's pragmas and, for the writer (with the time
// now, >= 0), migrates the schema.
Status OpenConnection(const std::string& path,
                      const SqliteStoreOptions& options,
                      int64_t migrate_at_millis, sqlite3** out) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    Status status = Status::Unavailable(
        "sqlite: cannot open " + path + ": " +
        (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_busy_timeout(db, 5000);
  // An 8 MB page cache per connection (five connections), and a WAL of up
  // to 16 MB between automatic checkpoints: pages that many turns rewrite
  // are copied back once. Deletes still truncate the WAL right away.
  std::string pragmas =
      "PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON; "
      "PRAGMA foreign_keys = ON; PRAGMA cache_size = -8000; "
      "PRAGMA wal_autocheckpoint = 4000; PRAGMA synchronous = ";
  pragmas +=
      options.sync == SqliteStoreOptions::Sync::kFull ? "FULL;" : "NORMAL;";
  Status status = Exec(db, pragmas.c_str());
  if (status.ok() && migrate_at_millis >= 0) {
    status = Migrate(db, path, migrate_at_millis);
  }
  if (!status.ok()) {
    sqlite3_close_v2(db);
    return status.code() == Status::Code::kFailedPrecondition
               ? status
               : Status::Unavailable(path + ": " + status.message());
  }
  *out = db;
  return Status::OK();
}

}  // namespace

Status OpenSqliteStore(const std::string& path, const Clock* clock,
                       const SqliteStoreOptions& options,
                       std::unique_ptr<SessionStore>* out) {
  sqlite3* writer = nullptr;
  Status status = OpenConnection(path, options, clock->NowMillis(), &writer);
  if (!status.ok()) return status;
  if (sqlite3_db_readonly(writer, "main") == 1) {
    sqlite3_close_v2(writer);
    return Status::Unavailable("cannot write the database " + path +
                               ": SQLite opened it read-only");
  }
  std::array<sqlite3*, kReaders> readers{};
  for (size_t i = 0; i < kReaders && status.ok(); ++i) {
    status =
        OpenConnection(path, options, /*migrate_at_millis=*/-1, &readers[i]);
  }
  if (!status.ok()) {
    for (sqlite3* reader : readers) sqlite3_close_v2(reader);
    sqlite3_close_v2(writer);
    return status;
  }
  *out = std::make_unique<SqliteStore>(writer, readers, clock, options);
  return Status::OK();
}

}  // namespace trustcoach::server
