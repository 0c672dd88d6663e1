#include "server/log.h"

#include <chrono>
#include <ctime>

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
  const std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](size_t at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i) {
      out[at + static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
      value /= 10;
    }
  };
  put(0, utc.tm_year + 1900, 4);
  put(5, utc.tm_mon + 1, 2);
  put(8, utc.tm_mday, 2);
  put(11, utc.tm_hour, 2);
  put(14, utc.tm_min, 2);
  put(17, utc.tm_sec, 2);
  put(20, static_cast<int>(unix_millis % 1000), 3);
  return out;
}

}  // namespace trustcoach::server
