// What operators see of a running server: the version and dialog set in
// /healthz and trustcoach_build_info, /readyz while draining, log files
// reopened for logrotate, and the options that control them.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/build_info.h"
#include "server/log.h"
#include "server/server.h"
#include "store/clock.h"
#include "store/crypto.h"
#include "store/store_memory.h"
#include "tests/testing/test_server.h"

namespace trustcoach::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A fresh folder under the system temp dir, removed with its files.
class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("trustcoach-ops-" + NewConversationId())) {
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// A copy of the shipped dialogs that a test may change.
fs::path CopyOfDialogs(const TempDir& dir) {
  const fs::path copy = dir.path() / "dialogs";
  fs::copy(TRUSTCOACH_DIALOGS_DIR, copy, fs::copy_options::recursive);
  return copy;
}

// `trustcoach serve` in this process serving `dialogs`.
class RunningServer : public testing::TestServer {
 public:
  explicit RunningServer(const std::string& dialogs)
      : TestServer(WithDialogs(dialogs)) {}

 private:
  static ServerOptions WithDialogs(const std::string& dialogs) {
    ServerOptions options;
    options.dialogs_dir = dialogs;
    return options;
  }
};

TEST_CASE("The dialog hash follows the files' content, not their place",
          "[server][operations]") {
  TempDir a, b;
  const fs::path one = CopyOfDialogs(a);
  const fs::path two = CopyOfDialogs(b);
  const std::string hash = DialogsHash(one.string());
  CHECK(hash.size() == 16);
  CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(DialogsHash(two.string()) == hash);
  CHECK(DialogsHash(std::string(TRUSTCOACH_DIALOGS_DIR)) == hash);

  SECTION("one byte changed") {
    const fs::path file = two / "reflections.json";
    WriteFile(file, ReadFile(file) + " ");
    CHECK(DialogsHash(two.string()) != hash);
  }
  SECTION("a file renamed") {
    fs::rename(two / "flows" / "menu.json", two / "flows" / "menu2.json");
    CHECK(DialogsHash(two.string()) != hash);
  }
  SECTION("files that are not JSON do not count") {
    WriteFile(two / "README.txt", "notes");
    CHECK(DialogsHash(two.string()) == hash);
  }
  SECTION("a folder that cannot be read") {
    CHECK(DialogsHash((two / "missing").string()).empty());
  }
}

TEST_CASE("trustcoach_build_info escapes its label values",
          "[server][operations]") {
  const std::string metric = BuildInfoMetric("2\"b\\\n", "abc");
  CHECK(metric.find("# TYPE trustcoach_build_info gauge\n") !=
        std::string::npos);
  CHECK(metric.find("trustcoach_build_info{version=\"" +
                    std::string(Version()) +
                    "\",dialogs=\"2\\\"b\\\\\\n\",dialogs_hash=\"abc\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("/healthz and /metrics name the version and the dialog set",
          "[server][operations]") {
  TempDir dir;
  const fs::path dialogs = CopyOfDialogs(dir);
  const std::string shipped_version =
      json::parse(ReadFile(dialogs / "engine.json")).at("version");
  RunningServer running(dialogs.string());

  json health = json::parse(running.Body("/healthz"));
  CHECK(health.at("status") == "ok");
  CHECK(health.at("version") == Version());
  CHECK(health.at("dialogs").at("version") == shipped_version);
  const std::string hash = DialogsHash(dialogs.string());
  CHECK(health.at("dialogs").at("hash") == hash);
  CHECK(running.Body("/metrics")
            .find("\ntrustcoach_build_info{version=\"" +
                  std::string(Version()) + "\",dialogs=\"" + shipped_version +
                  "\",dialogs_hash=\"" + hash + "\"} 1\n") !=
        std::string::npos);

  // A reload shows the new set at once.
  json engine = json::parse(ReadFile(dialogs / "engine.json"));
  engine["version"] = "9.9.9-test";
  WriteFile(dialogs / "engine.json", engine.dump(2));
  REQUIRE(running.server().ReloadDialogs().ok());
  health = json::parse(running.Body("/healthz"));
  CHECK(health.at("dialogs").at("version") == "9.9.9-test");
  CHECK(health.at("dialogs").at("hash") == DialogsHash(dialogs.string()));
  CHECK(health.at("dialogs").at("hash") != hash);
  CHECK(running.Body("/metrics").find("dialogs=\"9.9.9-test\"") !=
        std::string::npos);
}

TEST_CASE("/readyz answers 503 once draining; the API keeps answering",
          "[server][operations]") {
  RunningServer running(TRUSTCOACH_DIALOGS_DIR);
  CHECK(running.Status("/readyz") == 200);
  running.server().BeginDrain();
  CHECK(running.Status("/readyz") == 503);
  CHECK(running.Status("/healthz") == 200);
  CHECK(running.Status("/widget.js") == 200);
}

TEST_CASE("A file log reopens its path after a rename (logrotate)",
          "[server][operations]") {
  TempDir dir;
  const fs::path path = dir.path() / "access.log";
  std::unique_ptr<JsonLog> log;
  REQUIRE(JsonLog::Open(path.string(), &log).ok());
  log->Write({{"n", 1}});
  fs::rename(path, dir.path() / "access.log.1");
  log->Write({{"n", 2}});  // still into the renamed file
  REQUIRE(log->Reopen().ok());
  log->Write({{"n", 3}});
  const std::string old = ReadFile(dir.path() / "access.log.1");
  const std::string now = ReadFile(path);
  CHECK(old.find("\"n\":1") != std::string::npos);
  CHECK(old.find("\"n\":2") != std::string::npos);
  CHECK(old.find("\"n\":3") == std::string::npos);
  CHECK(now.find("\"n\":3") != std::string::npos);
  CHECK(now.find("\"n\":2") == std::string::npos);

  SECTION("a path that cannot be opened keeps the old file") {
    fs::remove(path);
    fs::create_directory(path);  // a folder where the file was
    CHECK_FALSE(log->Reopen().ok());
    log->Write({{"n", 4}});
    CHECK(ReadFile(dir.path() / "access.log.1").find("\"n\":4") ==
          std::string::npos);
  }
  SECTION("stdout, stderr and off have nothing to reopen") {
    for (const char* target : {"-", "stderr", "off"}) {
      std::unique_ptr<JsonLog> other;
      REQUIRE(JsonLog::Open(target, &other).ok());
      CHECK(other->Reopen().ok());
    }
  }
}

}  // namespace
}  // namespace trustcoach::server
