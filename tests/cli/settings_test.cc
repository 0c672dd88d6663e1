#include "cli/settings.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace trustcoach::server {
namespace {

using cli::EnvLookup;
using cli::LoadServerOptions;
using cli::ServerUsage;

struct FakeEnv {
  std::map<std::string, std::string> values;
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = values.find(name);
      return it == values.end() ? nullptr : it->second.c_str();
    };
  }
};

Status Load(const std::vector<std::string>& args, const FakeEnv& env,
            ServerOptions* options) {
  bool help = false;
  return LoadServerOptions(args, env.lookup(), options, &help);
}

TEST_CASE("Server options come from flags, then env, then the file",
          "[server][config]") {
  const std::string path =
      (std::filesystem::temp_directory_path() / "trustcoach-config-test.conf")
          .string();
  {
    std::ofstream file(path);
    file << "# a comment\n"
            "port = 7000\n"
            "threads = 3   # trailing comment\n"
            "host = 0.0.0.0\n"
            "allowed-origin = https://a.example\n"
            "allowed-origin = https://b.example\n";
  }
  FakeEnv env;
  env.values["TRUSTCOACH_CONFIG"] = path;
  env.values["TRUSTCOACH_THREADS"] = "5";
  env.values["TRUSTCOACH_PORT"] = "7001";
  env.values["TRUSTCOACH_API_KEY"] = "k1, k2";
  ServerOptions options;
  REQUIRE(Load({"--port", "7002", "--store=memory"}, env, &options).ok());
  CHECK(options.port == 7002);       // flag over env and file
  CHECK(options.threads == 5);       // env over file
  CHECK(options.host == "0.0.0.0");  // file over default
  CHECK(options.store == "memory");
  CHECK(options.api_keys == std::vector<std::string>{"k1", "k2"});
  CHECK(options.allowed_origins ==
        std::vector<std::string>{"https://a.example", "https://b.example"});
  CHECK(options.max_body_bytes == ServerOptions{}.max_body_bytes);

  SECTION("A repeated list flag replaces the lower sources whole") {
    ServerOptions flagged;
    REQUIRE(
        Load({"--allowed-origin", "https://c.example"}, env, &flagged).ok());
    CHECK(flagged.allowed_origins ==
          std::vector<std::string>{"https://c.example"});
  }
  std::filesystem::remove(path);
}

TEST_CASE("Bad server options are refused with the key named",
          "[server][config]") {
  auto [args, message] = GENERATE(table<std::vector<std::string>, std::string>({
      {{"--port", "http"},
       "port: expected an integer from 0 to 65535, got 'http'"},
      {{"--port=70000"},
       "port: expected an integer from 0 to 65535, got '70000'"},
      {{"--threads", "0"},
       "threads: expected an integer from 1 to 1024, got '0'"},
      {{"--client-rate", "-1"},
       "client-rate: expected a number >= 0, got '-1'"},
      {{"--colour", "red"}, "unknown flag --colour"},
      {{"--port"}, "--port needs a value"},
      {{"stray"}, "unexpected argument 'stray'"},
      {{"--sqlite-sync", "off"},
       "sqlite-sync: expected full or normal, got 'off'"},
      {{"--config", "/nonexistent/trustcoach.conf"},
       "/nonexistent/trustcoach.conf: cannot read config file"},
  }));
  CAPTURE(args);
  ServerOptions options;
  Status status = Load(args, FakeEnv{}, &options);
  CHECK(status.IsInvalidArgument());
  CHECK(status.message() == message);
}

TEST_CASE("--help is reported, not an error", "[server][config]") {
  ServerOptions options;
  bool help = false;
  REQUIRE(
      LoadServerOptions({"--help"}, FakeEnv{}.lookup(), &options, &help).ok());
  CHECK(help);
  CHECK(ServerUsage().find("--allowed-origin") != std::string::npos);
}

// Moved from tests/server/operations_test.cc.
TEST_CASE("Drain and event-log options", "[server][operations][config]") {
  ServerOptions options;
  bool help = false;
  REQUIRE(LoadServerOptions(
              {"--drain-delay", "3", "--drain-timeout=20", "--event-log",
               "/var/log/trustcoach/events.log"},
              [](const char*) { return nullptr; }, &options, &help)
              .ok());
  CHECK(options.drain_delay_seconds == 3);
  CHECK(options.drain_timeout_seconds == 20);
  CHECK(options.event_log == "/var/log/trustcoach/events.log");
  ServerOptions defaults;
  CHECK(defaults.drain_delay_seconds == 0);
  CHECK(defaults.drain_timeout_seconds == 10);
  CHECK(defaults.event_log == "stderr");
  CHECK_FALSE(LoadServerOptions(
                  {"--drain-timeout", "-1"},
                  [](const char*) { return nullptr; }, &options, &help)
                  .ok());
}

}  // namespace
}  // namespace trustcoach::server

namespace trustcoach::cli {
namespace {

// A config file in the temp folder, removed at the end of the test.
class ConfigFile {
 public:
  explicit ConfigFile(const std::string& text)
      : path_((std::filesystem::temp_directory_path() /
               ("trustcoach-settings-" + std::to_string(::getpid()) + "-" +
                std::to_string(next_++) + ".conf"))
                  .string()) {
    std::ofstream(path_) << text;
  }
  ~ConfigFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int next_ = 0;
  std::string path_;
};

struct Env {
  std::map<std::string, std::string> values;
  EnvLookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = values.find(name);
      return it == values.end() ? nullptr : it->second.c_str();
    };
  }
};

template <typename Settings>
Status Load(const std::vector<std::string>& args, const Env& env,
            Settings* settings, std::string* source = nullptr) {
  bool help = false;
  std::string where;
  Status status = LoadSettings(args, env.lookup(), settings, &help, &where);
  if (source != nullptr) *source = where;
  return status;
}

TEST_CASE("serve's store comes from a flag, the environment or the file",
          "[cli][settings]") {
  const ConfigFile file("store = sqlite:/tmp/from-file.db\n");
  Env env;
  ServeSettings settings;
  SECTION("the default: SQLite in the data folder") {
    REQUIRE(Load({}, env, &settings).ok());
    CHECK(settings.store.empty());
    CHECK(settings.data_dir == "data");
    env.values["XDG_DATA_HOME"] = "/xdg";
    ServeSettings xdg;
    REQUIRE(Load({}, env, &xdg).ok());
    CHECK(xdg.data_dir == "/xdg/trustcoach");
  }
  SECTION("the file alone") {
    REQUIRE(Load({"--config", file.path()}, env, &settings).ok());
    CHECK(settings.store == "sqlite:/tmp/from-file.db");
  }
  SECTION("the environment over the file") {
    env.values["TRUSTCOACH_CONFIG"] = file.path();
    env.values["TRUSTCOACH_STORE"] = "redis://127.0.0.1:6379";
    REQUIRE(Load({}, env, &settings).ok());
    CHECK(settings.store == "redis://127.0.0.1:6379");
    SECTION("a flag over both") {
      ServeSettings flagged;
      REQUIRE(Load({"--store=memory"}, env, &flagged).ok());
      CHECK(flagged.store == "memory");
    }
  }
}

TEST_CASE(
    "chat's seed and explain come from a flag, the environment or "
    "the file",
    "[cli][settings]") {
  const ConfigFile file(
      "seed = 11\nexplain = true\n# serve's keys are "
      "ignored here\nport = 9000\n");
  Env env;
  ChatSettings settings;
  SECTION("the defaults") {
    REQUIRE(Load({}, env, &settings).ok());
    CHECK_FALSE(settings.seed.has_value());
    CHECK_FALSE(settings.explain);
    CHECK(settings.dialogs == TRUSTCOACH_DIALOGS_DIR);
  }
  SECTION("the file alone") {
    REQUIRE(Load({"--config", file.path()}, env, &settings).ok());
    CHECK(settings.seed == 11u);
    CHECK(settings.explain);
  }
  SECTION("the environment over the file, a flag over both") {
    env.values["TRUSTCOACH_CONFIG"] = file.path();
    env.values["TRUSTCOACH_SEED"] = "22";
    env.values["TRUSTCOACH_EXPLAIN"] = "no";
    env.values["TRUSTCOACH_DIALOGS"] = "/from/env";
    REQUIRE(Load({}, env, &settings).ok());
    CHECK(settings.seed == 22u);
    CHECK_FALSE(settings.explain);
    CHECK(settings.dialogs == "/from/env");
    ChatSettings flagged;
    REQUIRE(Load({"--seed", "33", "--explain"}, env, &flagged).ok());
    CHECK(flagged.seed == 33u);
    CHECK(flagged.explain);
  }
}

TEST_CASE("A bad value fails naming the key and where it came from",
          "[cli][settings]") {
  const ConfigFile file("seed = 12x\n");
  auto [args, env_name, env_value, message, source] =
      GENERATE(table<std::vector<std::string>, std::string, std::string,
                     std::string, std::string>({
          {{"--seed", "abc"},
           "",
           "",
           "seed: expected an integer from 0 to 18446744073709551615, got "
           "'abc'",
           "--seed"},
          {{},
           "TRUSTCOACH_SEED",
           "-1",
           "seed: expected an integer from 0 to 18446744073709551615, got "
           "'-1'",
           "TRUSTCOACH_SEED"},
          {{},
           "TRUSTCOACH_CONFIG",
           "FILE",
           "seed: expected an integer from 0 to 18446744073709551615, got "
           "'12x'",
           "FILE:1"},
          {{},
           "TRUSTCOACH_EXPLAIN",
           "maybe",
           "explain: expected true or false, got 'maybe'",
           "TRUSTCOACH_EXPLAIN"},
          {{"--port", "1"}, "", "", "unknown flag --port", ""},
      }));
  CAPTURE(args, env_name, env_value);
  Env env;
  if (!env_name.empty()) {
    env.values[env_name] = env_value == "FILE" ? file.path() : env_value;
  }
  ChatSettings settings;
  std::string where;
  const Status status = Load(args, env, &settings, &where);
  CHECK(status.IsInvalidArgument());
  CHECK(status.message() == message);
  CHECK(where == (source == "FILE:1" ? file.path() + ":1" : source));
}

TEST_CASE(
    "A file key that no command reads is an error; another "
    "command's is not",
    "[cli][settings]") {
  const ConfigFile file("dialogs = /d\nstroe = memory\n");
  ServeSettings serve;
  const Status status = Load({"--config", file.path()}, Env{}, &serve);
  CHECK(status.IsInvalidArgument());
  CHECK(status.message() == file.path() +
                                ":2: expected 'key = value' with a known "
                                "key, got 'stroe = memory'");
  const ConfigFile shared("port = 1\nsummary = yes\n");
  AnalyzeSettings analyze;
  REQUIRE(Load({"--config", shared.path()}, Env{}, &analyze).ok());
  CHECK(analyze.summary);
}

TEST_CASE("Positional arguments: lint's folder wins over --dialogs",
          "[cli][settings]") {
  LintSettings lint;
  REQUIRE(Load({"--dialogs", "/a", "/b"}, Env{}, &lint).ok());
  CHECK(lint.dialogs == "/b");
  LintSettings two;
  CHECK(Load({"/a", "/b"}, Env{}, &two).message() ==
        "unexpected argument '/b'");
  TestSettings test;
  REQUIRE(Load({"x.json", "--min-coverage", "75", "y"}, Env{}, &test).ok());
  CHECK(test.paths == std::vector<std::string>{"x.json", "y"});
  CHECK(test.min_coverage == 75);
  CHECK(Load({"--min-coverage", "101"}, Env{}, &test).message() ==
        "min-coverage: expected a number from 0 to 100, got '101'");
}

TEST_CASE("review export finds its file from --db or the review-queue key",
          "[cli][settings]") {
  Env env;
  env.values["TRUSTCOACH_REVIEW_QUEUE"] = "sqlite:/q.db";
  ReviewSettings from_env;
  REQUIRE(Load({"export"}, env, &from_env).ok());
  CHECK(from_env.action == std::vector<std::string>{"export"});
  CHECK(from_env.db == "/q.db");
  ReviewSettings flagged;
  REQUIRE(Load({"export", "--db", "/other.db"}, env, &flagged).ok());
  CHECK(flagged.db == "/other.db");
}

TEST_CASE("Every command's help lists its keys", "[cli][settings]") {
  CHECK(OptionsHelp("chat").find("--seed VALUE") != std::string::npos);
  CHECK(OptionsHelp("chat").find("--explain ") != std::string::npos);
  CHECK(OptionsHelp("serve").find("--store VALUE") != std::string::npos);
  CHECK(OptionsHelp("lint").find("--dialogs VALUE") != std::string::npos);
}

}  // namespace
}  // namespace trustcoach::cli
