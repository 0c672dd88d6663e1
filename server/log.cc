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
  out->reset(new JsonLog(file, owned));
  return Status::OK();
}

JsonLog::~JsonLog() {
  if (owned_) std::fclose(file_);
}

void JsonLog::Write(const nlohmann::json& fields) {
  if (file_ == nullptr) return;
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

std::string FormatTime(int64_t unix_millis) {
  const std::time_t seconds = static_cast<std::time_t>(unix_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  const size_t size =
      std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buffer + size, sizeof(buffer) - size, ".%03dZ",
                static_cast<int>(unix_millis % 1000));
  return buffer;
}

}  // namespace trustcoach::server
