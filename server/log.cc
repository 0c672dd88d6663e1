#include "server/log.h"

#include <chrono>

namespace trustcoach::server {

Status JsonLog::Open(std::string_view target, std::unique_ptr<JsonLog>* out) {
  std::FILE* file = nullptr;
  bool owned = false;
  if (target == "-") {
    file = stdout;
  } else if (target == "stderr") {
    file = stderr;
  } else if (target != "off") {
    file = std::fopen(std::string(target).c_str(), "a");
    if (file == nullptr) {
      return Status::InvalidArgument("cannot open log file " +
                                     std::string(target));
    }
    owned = true;
  }
  out->reset(new JsonLog(file, owned, owned ? std::string(target) : ""));
  return Status::OK();
}

Status JsonLog::Reopen() {
  if (!owned_) return Status::OK();
  std::FILE* file = std::fopen(path_.c_str(), "a");
  if (file == nullptr) {
    return Status::Unavailable("cannot reopen log file " + path_);
  }
  std::FILE* old = nullptr;
  {
    std::lock_guard lock(mu_);
    old = file_;
    file_ = file;
  }
  std::fclose(old);
  return Status::OK();
}

JsonLog::~JsonLog() {
  if (owned_) std::fclose(file_);
}

void JsonLog::Write(const nlohmann::json& fields) {
  if (!enabled()) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  nlohmann::json line = {{"time", FormatTime(now.count())}};
  line.update(fields);
  const std::string text =
      line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  std::lock_guard lock(mu_);
  std::fwrite(text.data(), 1, text.size(), file_);
  std::fflush(file_);
}

void JsonLog::WriteLine(std::string_view line) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fputc('\n', file_);
  std::fflush(file_);
}

// Written by hand: strftime and snprintf were a tenth of a turn's
// instructions in the server.
std::string FormatTime(int64_t unix_millis) {
  // The civil date by arithmetic (std::chrono's calendar), not gmtime_r(),
  // which takes the C library's time zone lock: this runs for every turn.
  using std::chrono::floor;
  const std::chrono::sys_seconds seconds{
      std::chrono::seconds(unix_millis / 1000)};
  const auto day = floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(day);
  const std::chrono::hh_mm_ss time(seconds - day);
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](size_t at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, static_cast<int>(date.year()), 4);
  put(5, static_cast<int>(static_cast<unsigned>(date.month())), 2);
  put(8, static_cast<int>(static_cast<unsigned>(date.day())), 2);
  put(11, static_cast<int>(time.hours().count()), 2);
  put(14, static_cast<int>(time.minutes().count()), 2);
  put(17, static_cast<int>(time.seconds().count()), 2);
  put(20, static_cast<int>(unix_millis % 1000), 3);
  return out;
}

}  // namespace trustcoach::server
