#pragma once

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace trustcoach::server {

// A sink for JSON lines (access log, events). Each Write() is one line,
// written whole even when threads race. Callers never pass message text.
class JsonLog {
 public:
  // `target` is "-" (stdout), "stderr", "off" (discard) or a file path,
  // opened for appending.
  static Status Open(std::string_view target, std::unique_ptr<JsonLog>* out);
  ~JsonLog();
  JsonLog(const JsonLog&) = delete;
  JsonLog& operator=(const JsonLog&) = delete;

  // Adds "time" (UTC, RFC 3339 with milliseconds) and writes `fields`.
  void Write(const nlohmann::json& fields);
  // Writes `line`, one JSON object the caller wrote (with its "time"), and a
  // newline: for the access log, which writes a line per request.
  void WriteLine(std::string_view line);

  // For a file: opens its path again and switches to the new file, so that
  // logrotate can rename the old one without copytruncate (then SIGHUP).
  // On error the old file stays in use. Does nothing for the others.
  Status Reopen();

  // False for "off": callers may skip building lines nobody reads.
  // (file_ changes only for owned files, under mu_.)
  bool enabled() const { return owned_ || file_ != nullptr; }

 private:
  JsonLog(std::FILE* file, bool owned, std::string path)
      : file_(file), owned_(owned), path_(std::move(path)) {}
  std::mutex mu_;
  std::FILE* file_;
  const bool owned_;
  const std::string path_;  // the file's path when owned_
};

// "2026-11-26T14:25:44.123Z".
std::string FormatTime(int64_t unix_millis);

}  // namespace trustcoach::server
