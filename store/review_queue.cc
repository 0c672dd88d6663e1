#include "store/review_queue.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

namespace trustcoach::server {
namespace {

constexpr int64_t kMillisPerDay = 86'400'000;
constexpr int64_t kMillisPerHour = 3'600'000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS review (
  day INTEGER NOT NULL,    -- UTC days since 1970-01-01: the only time kept
  reason TEXT NOT NULL,    -- fallback | check_in | reported
  flow TEXT NOT NULL,
  node TEXT NOT NULL,
  intent TEXT NOT NULL,
  text TEXT NOT NULL,      -- the message, redacted
  count INTEGER NOT NULL,  -- the same message, fate and node that day
  PRIMARY KEY (day, reason, flow, node, intent, text)
) WITHOUT ROWID;
)sql";

Status SqliteError(sqlite3* db, const char* what) {
  return Status::Unavailable(
      std::string("review queue: ") + what + ": " +
      (db != nullptr ? sqlite3_errmsg(db) : "no memory"));
}

Status Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Status status =
        Status::Unavailable(std::string("review queue: ") +
                            (error != nullptr ? error : "unknown error"));
    sqlite3_free(error);
    return status;
  }
  return Status::OK();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Whether a run starting at `i` is a link; sets `*end` past it.
bool LinkAt(std::string_view text, size_t i, size_t* end) {
  const std::string_view rest = text.substr(i);
  auto starts = [&](std::string_view prefix) {
    if (rest.size() < prefix.size()) return false;
    for (size_t k = 0; k < prefix.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(rest[k])) != prefix[k])
        return false;
    }
    return true;
  };
  if (!starts("http://") && !starts("https://") && !starts("www.")) {
    return false;
  }
  size_t j = i;
  while (j < text.size() &&
         !std::isspace(static_cast<unsigned char>(text[j]))) {
    ++j;
  }
  *end = j;
  return true;
}

// A word (between spaces) holding '@' with a '.' after it.
bool EmailAt(std::string_view text, size_t i, size_t* end) {
  size_t j = i;
  size_t at = std::string_view::npos;
  while (j < text.size() &&
         !std::isspace(static_cast<unsigned char>(text[j]))) {
    if (text[j] == '@' && at == std::string_view::npos) at = j;
    ++j;
  }
  if (at == std::string_view::npos || at == i) return false;
  if (text.substr(at, j - at).find('.') == std::string_view::npos) {
    return false;
  }
  *end = j;
  return true;
}

class SqliteReviewQueue : public ReviewQueue {
 public:
  SqliteReviewQueue(sqlite3* db, const Clock* clock,
                    const ReviewQueueOptions& options)
      : db_(db), clock_(clock), options_(options) {
    writer_ = std::thread([this] { Write(); });
  }

  ~SqliteReviewQueue() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    writer_.join();
    sqlite3_close(db_);
  }

  void Add(ReviewItem item) override {
    {
      std::lock_guard lock(mu_);
      if (pending_.size() >= options_.max_pending) {
        ++dropped_;
        return;
      }
      pending_.push_back(std::move(item));
      ++added_;
    }
    wake_.notify_one();
  }

  void Flush() override {
    std::unique_lock lock(mu_);
    const uint64_t target = added_;
    done_.wait(lock, [&] { return written_ >= target || stopping_; });
  }

  Status DeleteExpired(size_t* removed) override {
    std::lock_guard lock(db_mu_);
    return DeleteExpiredLocked(removed);
  }

  uint64_t dropped() const override {
    std::lock_guard lock(mu_);
    return dropped_;
  }

  Status Prepare() {
    std::lock_guard lock(db_mu_);
    size_t removed = 0;
    return DeleteExpiredLocked(&removed);
  }

 private:
  int64_t Today() const { return clock_->NowMillis() / kMillisPerDay; }

  Status DeleteExpiredLocked(size_t* removed) {
    *removed = 0;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, "DELETE FROM review WHERE day <= ?", -1,
                           &statement, nullptr) != SQLITE_OK) {
      return SqliteError(db_, "prepare delete");
    }
    sqlite3_bind_int64(statement, 1, Today() - options_.retention_days);
    const int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE) return SqliteError(db_, "delete");
    *removed = static_cast<size_t>(sqlite3_changes(db_));
    last_purge_millis_ = clock_->NowMillis();
    return Status::OK();
  }

  Status Store(const std::vector<ReviewItem>& items) {
    std::lock_guard lock(db_mu_);
    Status status = Exec(db_, "BEGIN IMMEDIATE");
    if (!status.ok()) return status;
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(
            db_,
            "INSERT INTO review (day, reason, flow, node, intent, text, count) "
            "VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = "
            "count + 1",
            -1, &statement, nullptr) != SQLITE_OK) {
      status = SqliteError(db_, "prepare insert");
      (void)Exec(db_, "ROLLBACK");
      return status;
    }
    const int64_t today = Today();
    for (const ReviewItem& item : items) {
      const std::string text = RedactForReview(item.text);
      sqlite3_bind_int64(statement, 1, today);
      sqlite3_bind_text(statement, 2, item.reason.data(),
                        static_cast<int>(item.reason.size()), SQLITE_STATIC);
      sqlite3_bind_text(statement, 3, item.flow.data(),
                        static_cast<int>(item.flow.size()), SQLITE_STATIC);
      sqlite3_bind_text(statement, 4, item.node.data(),
                        static_cast<int>(item.node.size()), SQLITE_STATIC);
      sqlite3_bind_text(statement, 5, item.intent.data(),
                        static_cast<int>(item.intent.size()), SQLITE_STATIC);
      sqlite3_bind_text(statement, 6, text.data(),
                        static_cast<int>(text.size()), SQLITE_TRANSIENT);
      if (sqlite3_step(statement) != SQLITE_DONE) {
        status = SqliteError(db_, "insert");
        break;
      }
      sqlite3_reset(statement);
    }
    sqlite3_finalize(statement);
    if (!status.ok()) {
      (void)Exec(db_, "ROLLBACK");
      return status;
    }
    status = Exec(db_, "COMMIT");
    if (!status.ok()) return status;
    // Retention holds while the server runs, not only at start.
    if (clock_->NowMillis() - last_purge_millis_ >= kMillisPerHour) {
      size_t removed = 0;
      return DeleteExpiredLocked(&removed);
    }
    return Status::OK();
  }

  void Write() {
    std::unique_lock lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty() && stopping_) break;
      std::vector<ReviewItem> batch(std::make_move_iterator(pending_.begin()),
                                    std::make_move_iterator(pending_.end()));
      pending_.clear();
      lock.unlock();
      // A failed write loses the batch: the queue is a best-effort sample,
      // and a turn never waits for it.
      (void)Store(batch);
      lock.lock();
      written_ += batch.size();
      done_.notify_all();
    }
    done_.notify_all();
  }

  sqlite3* const db_;
  const Clock* const clock_;
  const ReviewQueueOptions options_;

  std::mutex db_mu_;
  int64_t last_purge_millis_ = 0;  // guarded by db_mu_

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::deque<ReviewItem> pending_;  // guarded by mu_
  uint64_t added_ = 0;              // guarded by mu_
  uint64_t written_ = 0;            // guarded by mu_ (stored or failed)
  uint64_t dropped_ = 0;            // guarded by mu_
  bool stopping_ = false;           // guarded by mu_
  std::thread writer_;
};

std::string DayString(int64_t day) {
  // Civil date from days since the epoch (Howard Hinnant's algorithm).
  const int64_t z = day + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  // Sized for any int64 fields so -Wformat-truncation can prove it fits.
  char out[64];
  std::snprintf(out, sizeof(out), "%04lld-%02lld-%02lld",
                static_cast<long long>(y), static_cast<long long>(m),
                static_cast<long long>(d));
  return out;
}

}  // namespace

std::string RedactForReview(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const bool word_start =
        i == 0 || std::isspace(static_cast<unsigned char>(text[i - 1]));
    size_t end = 0;
    if (word_start && LinkAt(text, i, &end)) {
      out += "<link>";
      i = end;
      continue;
    }
    if (word_start && EmailAt(text, i, &end)) {
      out += "<email>";
      i = end;
      continue;
    }
    if (IsDigit(text[i]) ||
        (text[i] == '+' && i + 1 < text.size() && IsDigit(text[i + 1]))) {
      // A run of digits and the separators numbers are written with.
      size_t j = i;
      size_t digits = 0;
      size_t last_digit = i;
      while (j < text.size()) {
        const char c = text[j];
        if (IsDigit(c)) {
          ++digits;
          last_digit = j;
        } else if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' ||
                     c == '+' || c == '/')) {
          break;
        } else if (j + 1 < text.size() && !IsDigit(text[j + 1]) &&
                   text[j + 1] != '(' && text[j + 1] != ' ') {
          break;
        }
        ++j;
      }
      if (digits >= 5) {
        out += "<number>";
        i = last_digit + 1;
        continue;
      }
      out.append(text.substr(i, last_digit + 1 - i));
      i = last_digit + 1;
      continue;
    }
    out += text[i];
    ++i;
  }
  return out;
}

Status OpenReviewQueue(const std::string& spec, const Clock* clock,
                       const ReviewQueueOptions& options,
                       std::unique_ptr<ReviewQueue>* out) {
  if (spec.rfind("sqlite:", 0) != 0 || spec.size() == 7) {
    return Status::InvalidArgument("review-queue: expected sqlite:PATH, got '" +
                                   spec + "'");
  }
  const std::string path = spec.substr(7);
  // Owner-only before SQLite opens it (SQLite gives its journal the file's
  // permissions).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Unavailable("review-queue: cannot write " + path + ": " +
                               std::strerror(errno));
  }
  ::close(fd);
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    Status status = SqliteError(db, "open");
    sqlite3_close(db);
    return status;
  }
  sqlite3_busy_timeout(db, 2000);
  // Deleted rows are overwritten, so expired messages do not linger.
  Status status = Exec(db, "PRAGMA secure_delete = ON");
  if (status.ok()) status = Exec(db, kSchema);
  if (!status.ok()) {
    sqlite3_close(db);
    return status;
  }
  auto queue = std::make_unique<SqliteReviewQueue>(db, clock, options);
  status = queue->Prepare();
  if (!status.ok()) return status;
  *out = std::move(queue);
  return Status::OK();
}

Status ExportReviewQueue(const std::string& path,
                         const std::function<void(const ReviewItem&)>& visit) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) !=
      SQLITE_OK) {
    Status status = SqliteError(db, ("open " + path).c_str());
    sqlite3_close(db);
    return status;
  }
  sqlite3_busy_timeout(db, 2000);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT day, reason, flow, node, intent, text, count "
                         "FROM review ORDER BY day, flow, node, reason, text",
                         -1, &statement, nullptr) != SQLITE_OK) {
    Status status = SqliteError(db, ("read " + path).c_str());
    sqlite3_close(db);
    return status;
  }
  auto column = [&](int i) {
    const auto* text =
        reinterpret_cast<const char*>(sqlite3_column_text(statement, i));
    return text != nullptr
               ? std::string(text, static_cast<size_t>(
                                       sqlite3_column_bytes(statement, i)))
               : std::string();
  };
  int rc;
  while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
    ReviewItem item;
    item.day = sqlite3_column_int64(statement, 0);
    item.reason = column(1);
    item.flow = column(2);
    item.node = column(3);
    item.intent = column(4);
    item.text = column(5);
    item.count = sqlite3_column_int64(statement, 6);
    visit(item);
  }
  Status status =
      rc == SQLITE_DONE ? Status::OK() : SqliteError(db, "read review");
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return status;
}

std::string ReviewItemJson(const ReviewItem& item) {
  const nlohmann::ordered_json line = {
      {"day", DayString(item.day)}, {"reason", item.reason},
      {"flow", item.flow},          {"node", item.node},
      {"intent", item.intent},      {"count", item.count},
      {"text", item.text},          {"turn", {{"say", item.text}}}};
  // Invalid UTF-8 in a message is replaced, so each line stays valid JSON.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace trustcoach::server
