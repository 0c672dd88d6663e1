#include "server/api.h"

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include <catch2/catch.hpp>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "server/log.h"
#include "server/openapi.h"
#include "server/server.h"
#include "store/clock.h"
#include "store/store_memory.h"
#include "tests/testing/test_server.h"

namespace trustcoach::server {
namespace {

using json = nlohmann::json;

TEST_CASE("Every route the server has is in the OpenAPI spec, and no other",
          "[server][api][openapi]") {
  const json spec = json::parse(OpenApiJson());
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, item] : spec.at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      if (method == "parameters") continue;
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      documented.emplace(upper, path);
    }
  }
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& [method, path] : Api::Routes()) {
    served.emplace(std::string(method), std::string(path));
  }
  CHECK(served == documented);
}

TEST_CASE("Statuses map to HTTP codes in one place", "[server][api]") {
  auto [status, code] = GENERATE(table<Status, int>({
      {Status::OK(), 200},
      {Status::InvalidArgument("x"), 400},
      {Status::FailedPrecondition("x"), 400},
      {Status::PermissionDenied("x"), 403},
      {Status::NotFound("x"), 404},
      {Status::AlreadyExists("x"), 409},
      {Status::Aborted("x"), 409},
      {Status::ResourceExhausted("x"), 429},
      {Status::Internal("x"), 500},
      {Status::Unavailable("x"), 503},
  }));
  CHECK(HttpStatusFor(status) == code);
}

TEST_CASE("Paths map to route templates, never to ids", "[server][api]") {
  auto [path, route] = GENERATE(table<std::string, std::string>({
      {"/v1/conversations", "/v1/conversations"},
      {"/v1/conversations/abc", "/v1/conversations/{id}"},
      {"/v1/conversations/abc/messages", "/v1/conversations/{id}/messages"},
      {"/v1/conversations//messages", "other"},
      {"/v1/conversations/abc/other", "other"},
      {"/v1/nothing", "other"},
      {"/healthz", "/healthz"},
      {"/widget.js", "static"},
      {"/", "static"},
  }));
  CAPTURE(path);
  CHECK(RouteTemplate(path) == route);
  CHECK(AllowedMethods("/v1/conversations/{id}") ==
        "GET, HEAD, DELETE, OPTIONS");
}

using testing::TestServer;

httplib::Headers Bearer(const json& conversation) {
  return {{"Authorization",
           "Bearer " + conversation.at("token").get<std::string>()}};
}

TEST_CASE("The API talks, remembers and forgets over HTTP",
          "[server][api][http]") {
  TestServer test;
  const json created = test.Create();
  const std::string path =
      "/v1/conversations/" + created.at("id").get<std::string>();
  REQUIRE_FALSE(created.at("messages").empty());

  SECTION("A turn is answered and lands in the transcript") {
    auto reply =
        test.client().Post((path + "/messages").c_str(), Bearer(created),
                           R"({"text": "hello"})", "application/json");
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(json::parse(reply->body).at("turn") == 1);
    auto got = test.client().Get(path.c_str(), Bearer(created));
    REQUIRE(got);
    const json conversation = json::parse(got->body);
    CHECK(conversation.at("state").at("turns") == 1);
    CHECK(conversation.at("transcript").at(1).at("text") == "hello");
    CHECK(conversation.at("transcript").at(1).at("role") == "user");
  }

  SECTION("Idle conversations expire with the clock") {
    test.clock().Advance(ServerOptions{}.idle_expiry_seconds * 1000 + 1);
    auto got = test.client().Get(path.c_str(), Bearer(created));
    REQUIRE(got);
    CHECK(got->status == 404);
    CHECK(got->get_header_value("Content-Type") == "application/problem+json");
  }

  SECTION("A reload keeps the conversation going") {
    REQUIRE(test.server().ReloadDialogs().ok());
    auto reply =
        test.client().Post((path + "/messages").c_str(), Bearer(created),
                           R"({"text": "hi"})", "application/json");
    REQUIRE(reply);
    CHECK(reply->status == 200);
  }

  SECTION("Another conversation's token gets 404, as an unknown id does") {
    const json other = test.Create();
    auto got = test.client().Get(path.c_str(), Bearer(other));
    REQUIRE(got);
    CHECK(got->status == 404);
    auto said = test.client().Post((path + "/messages").c_str(), Bearer(other),
                                   R"({"text": "hello"})", "application/json");
    REQUIRE(said);
    CHECK(said->status == 404);
    auto deleted = test.client().Delete(path.c_str(), Bearer(other));
    REQUIRE(deleted);
    CHECK(deleted->status == 404);
    // The conversation itself is untouched.
    auto mine = test.client().Get(path.c_str(), Bearer(created));
    REQUIRE(mine);
    CHECK(mine->status == 200);
    CHECK(json::parse(mine->body).at("state").at("turns") == 0);
  }

  SECTION("Errors are problem+json, never HTML or empty") {
    for (const auto& [method, target, status] :
         std::vector<std::tuple<std::string, std::string, int>>{
             {"GET", path, 401},
             {"GET", "/v1/conversations/" + std::string(32, 'a'), 401},
             {"PUT", path, 405},
             {"GET", "/v1/unknown", 404},
         }) {
      CAPTURE(method, target);
      httplib::Request request;
      request.method = method;
      request.path = target;
      auto result = test.client().send(request);
      REQUIRE(result);
      CHECK(result->status == status);
      CHECK(result->get_header_value("Content-Type") ==
            "application/problem+json");
      const json problem = json::parse(result->body);
      CHECK(problem.at("status") == status);
      CHECK_FALSE(problem.at("detail").get<std::string>().empty());
    }
  }
}

TEST_CASE("A variant seed makes conversations choose the same replies",
          "[server][api][http]") {
  ServerOptions options;
  options.variant_seed = 7;
  options.conversation_rate = 0;
  TestServer test(options);
  auto replies = [&test] {
    const json created = test.Create();
    const std::string path =
        "/v1/conversations/" + created.at("id").get<std::string>();
    std::vector<std::string> said;
    for (const char* text :
         {R"({"text": "my husband cheated on me"})", R"({"text": "angry"})",
          R"({"text": "i feel so sad"})", R"({"text": "thanks"})"}) {
      auto reply =
          test.client().Post((path + "/messages").c_str(), Bearer(created),
                             text, "application/json");
      REQUIRE(reply);
      REQUIRE(reply->status == 200);
      said.push_back(json::parse(reply->body).at("messages").dump());
    }
    return std::make_pair(created.at("id").get<std::string>(), said);
  };
  const auto [first_id, first] = replies();
  const auto [second_id, second] = replies();
  CHECK(first == second);
  // Ids (and tokens) stay random.
  CHECK(first_id != second_id);
}

TEST_CASE("Per-node and per-intent counters reach /metrics, by dialog ids only",
          "[server][api][http][metrics]") {
  TestServer test;
  const json first = test.Create();
  test.Say(first, "My FIANCE cheated on me!!");
  const json second = test.Create();
  test.Say(second, "zorbly quexite fanwhistle");  // nothing understands it
  const std::string metrics = test.Body("/metrics");
  CHECK_THAT(metrics, Catch::Contains("trustcoach_turns_total 2\n"));
  CHECK_THAT(metrics, Catch::Contains("trustcoach_fallback_turns_total 1\n"));
  CHECK_THAT(metrics,
             Catch::Contains(
                 "trustcoach_intent_turns_total{intent=\"infidelity\"} 1\n"));
  CHECK_THAT(metrics,
             Catch::Contains("trustcoach_node_turns_total{flow=\"causes\","
                             "node=\"infidelity_hurt\"} 1\n"));
  // The fallback is counted at the node the coach did not understand at,
  // and at no other.
  size_t fallback_lines = 0;
  size_t at = 0;
  while ((at = metrics.find("\ntrustcoach_node_fallbacks_total{", at)) !=
         std::string::npos) {
    ++fallback_lines;
    const size_t end = metrics.find('\n', at + 1);
    CHECK(metrics.substr(end - 2, 2) == " 1");
    at = end;
  }
  CHECK(fallback_lines == 1);
  // Never the text, an id or a token.
  for (const std::string& secret :
       {std::string("zorbly"), std::string("FIANCE"),
        first.at("id").get<std::string>(), second.at("id").get<std::string>(),
        first.at("token").get<std::string>()}) {
    CHECK(metrics.find(secret) == std::string::npos);
  }
}

TEST_CASE("A conversation stops at its turn cap with a 409 problem",
          "[server][api][http]") {
  ServerOptions options;
  options.max_turns = 2;
  TestServer test(options);
  const json created = test.Create();
  const std::string path =
      "/v1/conversations/" + created.at("id").get<std::string>() + "/messages";
  for (int turn = 1; turn <= 3; ++turn) {
    CAPTURE(turn);
    auto reply = test.client().Post(path.c_str(), Bearer(created),
                                    R"({"text": "hello"})", "application/json");
    REQUIRE(reply);
    if (turn <= 2) {
      CHECK(reply->status == 200);
    } else {
      CHECK(reply->status == 409);
      const json problem = json::parse(reply->body);
      CHECK(problem.at("type") == "urn:trustcoach:problem:conversation-full");
      CHECK_THAT(problem.at("detail").get<std::string>(),
                 Catch::Contains("start a new conversation"));
    }
  }
}

// A memory store whose writes fail while `failing` is set, as a full disk
// makes SQLite's fail.
class FailingStore : public SessionStore {
 public:
  FailingStore(const Clock* clock, std::atomic<bool>* failing)
      : store_(NewMemoryStore(clock, {})), failing_(failing) {}
  Status Create(Conversation* conversation,
                const std::vector<std::string>& transcript) override {
    if (*failing_)
      return Status::Unavailable("sqlite: database or disk is full");
    return store_->Create(conversation, transcript);
  }
  Status Load(std::string_view id, Conversation* conversation) override {
    return store_->Load(id, conversation);
  }
  Status Save(Conversation* conversation,
              const std::vector<std::string>& transcript) override {
    if (*failing_)
      return Status::Unavailable("sqlite: database or disk is full");
    return store_->Save(conversation, transcript);
  }
  Status LoadTranscript(std::string_view id,
                        std::vector<std::string>* transcript) override {
    return store_->LoadTranscript(id, transcript);
  }
  Status Delete(std::string_view id) override { return store_->Delete(id); }
  Status ExpireIdle(size_t* removed) override {
    return store_->ExpireIdle(removed);
  }
  Status CountActive(size_t* count) override {
    return store_->CountActive(count);
  }
  Status Check() override { return Status::OK(); }  // reads still work

 private:
  std::unique_ptr<SessionStore> store_;
  std::atomic<bool>* failing_;
};

TEST_CASE("Store write errors are logged, rate-limited, and fail /readyz",
          "[server][api][http]") {
  std::atomic<bool> failing = false;
  char events[] = "/tmp/trustcoach-events-XXXXXX";
  const int fd = mkstemp(events);
  REQUIRE(fd >= 0);
  close(fd);
  {
    TestServer test(
        ServerOptions{},
        [&](const Clock* clock) {
          return std::make_unique<FailingStore>(clock, &failing);
        },
        events);
    const json created = test.Create();
    CHECK(test.client().Get("/readyz")->status == 200);
    failing = true;
    const std::string path = "/v1/conversations/" +
                             created.at("id").get<std::string>() + "/messages";
    for (int i = 0; i < 5; ++i) {
      auto reply = test.client().Post(path.c_str(), Bearer(created),
                                      R"({"text": "do not log me"})",
                                      "application/json");
      REQUIRE(reply);
      CHECK(reply->status == 503);
    }
    auto ready = test.client().Get("/readyz");
    REQUIRE(ready);
    CHECK(ready->status == 503);
    CHECK(ready->get_header_value("Retry-After") == "10");
    // Once the store writes again and the window has passed, ready again.
    failing = false;
    test.clock().Advance(10'001);
    CHECK(test.client().Get("/readyz")->status == 200);
  }
  std::ifstream in(events);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  std::remove(events);
  // Five failures in the same second: one line, and never the text.
  size_t lines = 0;
  for (size_t at = text.find("store_write_failed"); at != std::string::npos;
       at = text.find("store_write_failed", at + 1)) {
    ++lines;
  }
  CHECK(lines == 1);
  CHECK(text.find("disk is full") != std::string::npos);
  CHECK(text.find("do not log me") == std::string::npos);
}

}  // namespace
}  // namespace trustcoach::server
