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

  // False for "off": callers may skip building lines nobody reads.
  bool enabled() const { return file_ != nullptr; }

 private:
  JsonLog(std::FILE* file, bool owned) : file_(file), owned_(owned) {}
  std::mutex mu_;
  std::FILE* file_;
  bool owned_;
};

// "2026-11-26T14:25:44.123Z".
std::string FormatTime(int64_t unix_millis);

}  // namespace trustcoach::server
