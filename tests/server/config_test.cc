#include "server/config.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace trustcoach::server {
namespace {

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

}  // namespace
}  // namespace trustcoach::server
