#include "server/store_sqlite.h"

#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include <sqlite3.h>

namespace trustcoach::server {
namespace {

// Foreign keys are declared but deletes are explicit, so that removing data
// does not depend on a per-connection pragma.
constexpr const char* kSchema = R"sql(
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
  entry TEXT NOT NULL,
  PRIMARY KEY (conversation_id, seq)
) WITHOUT ROWID;
)sql";

// One prepared statement, reset on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      stmt_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  void Bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                      SQLITE_TRANSIENT);
  }
  void Bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }
  std::string Text(int column) const {
    const auto* text =
        reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    return text == nullptr
               ? std::string()
               : std::string(text, static_cast<size_t>(
                                       sqlite3_column_bytes(stmt_, column)));
  }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  Status Error() const {
    return Status::Unavailable(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class SqliteStore : public SessionStore {
 public:
  SqliteStore(sqlite3* db, const Clock* clock,
              const SqliteStoreOptions& options)
      : db_(db), clock_(clock), options_(options) {}
  ~SqliteStore() override {
    // A final checkpoint folds the WAL into the database file; close then
    // removes the -wal and -shm files.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                              nullptr);
    sqlite3_close_v2(db_);
  }

  Status Create(Conversation* conversation,
                const std::vector<std::string>& transcript) override {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMillis();
    return InTransaction([&]() -> Status {
      Statement insert(db_,
                       "INSERT INTO conversations (id, token_hash, state, "
                       "region, version, created_at, updated_at) VALUES "
                       "(?, ?, ?, ?, 1, ?, ?)");
      if (!insert.ok()) return insert.Error();
      insert.Bind(1, conversation->id);
      insert.Bind(2, conversation->token_hash);
      insert.Bind(3, SerializeSession(conversation->session));
      insert.Bind(4, conversation->region);
      insert.Bind(5, now);
      insert.Bind(6, now);
      const int rc = insert.Step();
      if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        return Status::AlreadyExists("conversation exists");
      }
      if (rc != SQLITE_DONE) return insert.Error();
      Status status = Append(conversation->id, 0, transcript);
      if (!status.ok()) return status;
      conversation->version = 1;
      conversation->created_millis = now;
      conversation->updated_millis = now;
      return Status::OK();
    });
  }

  Status Load(std::string_view id, Conversation* conversation) override {
    std::lock_guard lock(mu_);
    Statement select(db_,
                     "SELECT token_hash, state, region, version, created_at, "
                     "updated_at FROM conversations WHERE id = ? AND "
                     "updated_at >= ?");
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    select.Bind(2, Cutoff());
    const int rc = select.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("no such conversation");
    if (rc != SQLITE_ROW) return select.Error();
    Status status = ParseStoredSession(select.Text(1), &conversation->session);
    if (!status.ok()) return status;
    conversation->id = std::string(id);
    conversation->token_hash = select.Text(0);
    conversation->region = select.Text(2);
    conversation->version = static_cast<uint64_t>(select.Int(3));
    conversation->created_millis = select.Int(4);
    conversation->updated_millis = select.Int(5);
    return Status::OK();
  }

  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    std::lock_guard lock(mu_);
    const int64_t now = clock_->NowMillis();
    return InTransaction([&]() -> Status {
      Statement update(db_,
                       "UPDATE conversations SET state = ?, region = ?, "
                       "version = version + 1, updated_at = ? WHERE id = ? "
                       "AND version = ? AND updated_at >= ?");
      if (!update.ok()) return update.Error();
      update.Bind(1, SerializeSession(conversation->session));
      update.Bind(2, conversation->region);
      update.Bind(3, now);
      update.Bind(4, conversation->id);
      update.Bind(5, static_cast<int64_t>(conversation->version));
      update.Bind(6, Cutoff());
      if (update.Step() != SQLITE_DONE) return update.Error();
      if (sqlite3_changes(db_) == 0) {
        bool live = false;
        Status status = IsLive(conversation->id, &live);
        if (!status.ok()) return status;
        return live ? Status::Aborted("conversation changed concurrently")
                    : Status::NotFound("no such conversation");
      }
      int64_t last_seq = 0;
      Status status = LastSeq(conversation->id, &last_seq);
      if (status.ok()) status = Append(conversation->id, last_seq, transcript);
      if (!status.ok()) return status;
      conversation->version++;
      conversation->updated_millis = now;
      return Status::OK();
    });
  }

  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    std::lock_guard lock(mu_);
    bool live = false;
    Status status = IsLive(id, &live);
    if (!status.ok()) return status;
    if (!live) return Status::NotFound("no such conversation");
    Statement select(db_,
                     "SELECT entry FROM transcript WHERE conversation_id = ? "
                     "ORDER BY seq");
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    transcript->clear();
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) {
      transcript->push_back(select.Text(0));
    }
    return rc == SQLITE_DONE ? Status::OK() : select.Error();
  }

  Status Delete(std::string_view id) override {
    std::lock_guard lock(mu_);
    Status status = InTransaction([&]() -> Status {
      bool live = false;
      Status checked = IsLive(id, &live);
      if (checked.ok()) checked = DeleteRows(id);
      if (!checked.ok()) return checked;
      return live ? Status::OK() : Status::NotFound("no such conversation");
    });
    // The WAL still holds the deleted rows until a checkpoint.
    if (status.ok()) Checkpoint();
    return status;
  }

  Status ExpireIdle(size_t* removed) override {
    std::lock_guard lock(mu_);
    const int64_t cutoff = Cutoff();
    Status status = InTransaction([&]() -> Status {
      Statement transcript(
          db_,
          "DELETE FROM transcript WHERE conversation_id IN "
          "(SELECT id FROM conversations WHERE updated_at < ?)");
      if (!transcript.ok()) return transcript.Error();
      transcript.Bind(1, cutoff);
      if (transcript.Step() != SQLITE_DONE) return transcript.Error();
      Statement conversations(db_,
                              "DELETE FROM conversations WHERE updated_at < ?");
      if (!conversations.ok()) return conversations.Error();
      conversations.Bind(1, cutoff);
      if (conversations.Step() != SQLITE_DONE) return conversations.Error();
      *removed = static_cast<size_t>(sqlite3_changes(db_));
      return Status::OK();
    });
    if (status.ok() && *removed > 0) Checkpoint();
    return status;
  }

  Status CountActive(size_t* count) override {
    std::lock_guard lock(mu_);
    Statement select(
        db_, "SELECT COUNT(*) FROM conversations WHERE updated_at >= ?");
    if (!select.ok()) return select.Error();
    select.Bind(1, Cutoff());
    if (select.Step() != SQLITE_ROW) return select.Error();
    *count = static_cast<size_t>(select.Int(0));
    return Status::OK();
  }

  Status Check() override {
    std::lock_guard lock(mu_);
    Statement select(db_, "SELECT 1");
    if (!select.ok() || select.Step() != SQLITE_ROW) return select.Error();
    return Status::OK();
  }

 private:
  // Deleted pages are zeroed in the database (secure_delete); truncating
  // the WAL removes the copies it still held.
  void Checkpoint() {
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr,
                              nullptr);
  }

  int64_t Cutoff() const {
    return clock_->NowMillis() - options_.idle_expiry_millis;
  }

  Status Exec(const char* sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
      Status status =
          Status::Unavailable(std::string("sqlite: ") +
                              (error != nullptr ? error : "unknown error"));
      sqlite3_free(error);
      return status;
    }
    return Status::OK();
  }

  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back on error.
  template <typename Body>
  Status InTransaction(Body body) {
    Status status = Exec("BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    status = body();
    if (status.ok()) status = Exec("COMMIT");
    if (!status.ok()) (void)Exec("ROLLBACK");
    return status;
  }

  Status IsLive(std::string_view id, bool* live) {
    Statement select(db_,
                     "SELECT 1 FROM conversations WHERE id = ? AND "
                     "updated_at >= ?");
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    select.Bind(2, Cutoff());
    const int rc = select.Step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return select.Error();
    *live = rc == SQLITE_ROW;
    return Status::OK();
  }

  Status LastSeq(std::string_view id, int64_t* seq) {
    Statement select(db_,
                     "SELECT COALESCE(MAX(seq), 0) FROM transcript WHERE "
                     "conversation_id = ?");
    if (!select.ok()) return select.Error();
    select.Bind(1, id);
    if (select.Step() != SQLITE_ROW) return select.Error();
    *seq = select.Int(0);
    return Status::OK();
  }

  Status Append(std::string_view id, int64_t last_seq,
                const std::vector<std::string>& entries) {
    Statement insert(db_,
                     "INSERT INTO transcript (conversation_id, seq, entry) "
                     "VALUES (?, ?, ?)");
    if (!insert.ok()) return insert.Error();
    for (const std::string& entry : entries) {
      insert.Bind(1, id);
      insert.Bind(2, ++last_seq);
      insert.Bind(3, entry);
      if (insert.Step() != SQLITE_DONE) return insert.Error();
      insert.Reset();
    }
    return Status::OK();
  }

  Status DeleteRows(std::string_view id) {
    for (const char* sql : {"DELETE FROM transcript WHERE conversation_id = ?",
                            "DELETE FROM conversations WHERE id = ?"}) {
      Statement remove(db_, sql);
      if (!remove.ok()) return remove.Error();
      remove.Bind(1, id);
      if (remove.Step() != SQLITE_DONE) return remove.Error();
    }
    return Status::OK();
  }

  sqlite3* const db_;
  const Clock* const clock_;
  const SqliteStoreOptions options_;
  // One connection, one writer at a time: SQLite serialises writers anyway,
  // and turns are small.
  std::mutex mu_;
};

}  // namespace

Status OpenSqliteStore(const std::string& path, const Clock* clock,
                       const SqliteStoreOptions& options,
                       std::unique_ptr<SessionStore>* out) {
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
  std::string pragmas =
      "PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON; "
      "PRAGMA foreign_keys = ON; PRAGMA synchronous = ";
  pragmas +=
      options.sync == SqliteStoreOptions::Sync::kFull ? "FULL;" : "NORMAL;";
  pragmas += kSchema;
  char* error = nullptr;
  if (sqlite3_exec(db, pragmas.c_str(), nullptr, nullptr, &error) !=
      SQLITE_OK) {
    Status status = Status::Unavailable("sqlite: " + path + ": " +
                                        (error != nullptr ? error : "error"));
    sqlite3_free(error);
    sqlite3_close_v2(db);
    return status;
  }
  *out = std::make_unique<SqliteStore>(db, clock, options);
  return Status::OK();
}

}  // namespace trustcoach::server
