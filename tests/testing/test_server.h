#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/log.h"
#include "server/options.h"
#include "server/server.h"
#include "store/clock.h"
#include "store/session_store.h"
#include "store/store_memory.h"

namespace trustcoach::testing {

// `trustcoach serve` in this process on a free loopback port, with a fake
// clock and, unless told otherwise, a memory store and the shipped dialogs.
// The server tests (api, operations, review queue) share it.
class TestServer {
 public:
  using Store = std::function<std::unique_ptr<server::SessionStore>(
      const server::Clock*)>;

  // Serves `options` (its port, access log and client rate are set here;
  // an empty dialogs_dir or web_dir means the source tree's) from `store` when
  // given (it must use the clock it is passed), else from a memory store;
  // events go to `events` ("off", or a file path).
  explicit TestServer(server::ServerOptions options = {}, Store store = {},
                      const std::string& events = "off") {
    options.port = 0;
    if (options.dialogs_dir.empty())
      options.dialogs_dir = TRUSTCOACH_DIALOGS_DIR;
    if (options.web_dir.empty()) options.web_dir = TRUSTCOACH_WEB_DIR;
    options.access_log = "off";
    options.threads = 4;
    options.client_rate = 0;
    REQUIRE(server::JsonLog::Open(events, &events_).ok());
    const trustcoach::Status status = server::Server::Create(
        options,
        store ? store(&clock_)
              : server::NewMemoryStore(
                    &clock_,
                    {.idle_expiry_millis = options.idle_expiry_seconds * 1000}),
        &clock_, events_.get(), &server_);
    INFO(status.ToString());
    REQUIRE(status.ok());
    REQUIRE(server_->Bind(&port_).ok());
    thread_ = std::thread([this] { server_->Run(); });
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!server_->running()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
    client_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
  }
  ~TestServer() {
    server_->Stop();
    thread_.join();
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  httplib::Client& client() { return *client_; }
  server::FakeClock& clock() { return clock_; }
  server::Server& server() { return *server_; }
  int port() const { return port_; }

  // Opens a conversation (201 required) and returns its JSON.
  nlohmann::json Create() {
    auto result = client_->Post("/v1/conversations", "{}", "application/json");
    REQUIRE(result);
    REQUIRE(result->status == 201);
    return nlohmann::json::parse(result->body);
  }

  // Sends `text` in `conversation` (200 required) and returns the reply.
  nlohmann::json Say(const nlohmann::json& conversation,
                     const std::string& text) {
    auto result = client_->Post(
        ("/v1/conversations/" + conversation.at("id").get<std::string>() +
         "/messages")
            .c_str(),
        Bearer(conversation), nlohmann::json{{"text", text}}.dump(),
        "application/json");
    REQUIRE(result);
    REQUIRE(result->status == 200);
    return nlohmann::json::parse(result->body);
  }

  // The status of GET `path`.
  int Status(const std::string& path) {
    auto result = client_->Get(path);
    REQUIRE(result);
    return result->status;
  }
  // The body of GET `path` (200 required).
  std::string Body(const std::string& path) {
    auto result = client_->Get(path);
    REQUIRE(result);
    REQUIRE(result->status == 200);
    return result->body;
  }

  static httplib::Headers Bearer(const nlohmann::json& conversation) {
    return {{"Authorization",
             "Bearer " + conversation.at("token").get<std::string>()}};
  }

 private:
  server::FakeClock clock_;
  std::unique_ptr<server::JsonLog> events_;
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
  std::thread thread_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace trustcoach::testing
