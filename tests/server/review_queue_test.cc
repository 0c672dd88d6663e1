// The opt-in review queue (docs/privacy.md), end to end: what lands there
// and what never does, retention, export, the report route, and nothing
// written when it is off.
#include "store/review_queue.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "server/options.h"
#include "store/crypto.h"
#include "tests/testing/test_server.h"

namespace trustcoach::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::TestServer;

constexpr int64_t kDay = 86'400'000;
// Nothing in the dialogs understands it.
constexpr const char* kNonsense = "zorbly quexite fanwhistle";

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("trustcoach-review-" + NewConversationId())) {
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

std::vector<ReviewItem> Export(const fs::path& db) {
  std::vector<ReviewItem> items;
  const Status status = ExportReviewQueue(
      db.string(), [&](const ReviewItem& item) { items.push_back(item); });
  INFO(status.ToString());
  REQUIRE(status.ok());
  return items;
}

ServerOptions WithQueue(const fs::path& db, int retention_days = 30) {
  ServerOptions options;
  options.review_queue = "sqlite:" + db.string();
  options.review_retention_days = retention_days;
  return options;
}

TEST_CASE("Review text loses e-mail addresses, links and long numbers",
          "[server][review]") {
  auto [in, out] = GENERATE(table<std::string, std::string>({
      {"he texts ana.b@example.com at night", "he texts <email> at night"},
      {"see https://example.com/x?y=1 and www.foo.org.",
       "see <link> and <link>"},
      {"call me on 07700 900123 tonight", "call me on <number> tonight"},
      {"my number is +44 (0)20-7946-0958", "my number is <number>"},
      {"we were together 12 years, since 2009",
       "we were together 12 years, "
       "since 2009"},
      {"i am 35 and he is 40.", "i am 35 and he is 40."},
      {"@ 5 pm", "@ 5 pm"},
  }));
  CHECK(RedactForReview(in) == out);
}

TEST_CASE("A fallback lands in the review queue with no id, token or address",
          "[server][review][http]") {
  TempDir dir;
  const fs::path db = dir.path() / "review.db";
  TestServer test(WithQueue(db));
  ReviewQueue* queue = test.server().review_queue();
  REQUIRE(queue != nullptr);
  const json conversation = test.Create();
  test.Say(conversation, kNonsense);
  test.Say(conversation, "my wife cheated on me");  // understood: not kept
  queue->Flush();

  const std::vector<ReviewItem> items = Export(db);
  REQUIRE(items.size() == 1);
  CHECK(items[0].text == kNonsense);
  CHECK(items[0].reason == "fallback");
  CHECK(items[0].intent.empty());
  CHECK_FALSE(items[0].node.empty());
  CHECK(items[0].count == 1);
  CHECK(items[0].day == test.clock().NowMillis() / kDay);

  // Nothing that ties it to the conversation or the person is in the file.
  const std::string bytes = ReadFile(db);
  CHECK(bytes.find(conversation.at("id").get<std::string>()) ==
        std::string::npos);
  CHECK(bytes.find(conversation.at("token").get<std::string>()) ==
        std::string::npos);
  CHECK(bytes.find(Sha256Hex(conversation.at("token").get<std::string>())) ==
        std::string::npos);
  CHECK(bytes.find("127.0.0.1") == std::string::npos);
  CHECK(bytes.find("my wife cheated") == std::string::npos);
  CHECK((fs::status(db).permissions() & fs::perms::others_all) ==
        fs::perms::none);

  SECTION("export gives one valid JSON line per item") {
    const json line = json::parse(ReviewItemJson(items[0]));
    CHECK(line.at("text") == kNonsense);
    CHECK(line.at("reason") == "fallback");
    CHECK(line.at("count") == 1);
    CHECK(line.at("turn") == json{{"say", kNonsense}});
    CHECK(line.at("day").get<std::string>().size() == 10);
    CHECK(line.at("day") == "2023-11-14");  // FakeClock's start
    CHECK(ReviewItemJson(items[0]).find('\n') == std::string::npos);
    CHECK_FALSE(line.contains("id"));
  }

  SECTION("retention deletes items once they are that many days old") {
    size_t removed = 0;
    test.clock().Advance(29 * kDay);
    REQUIRE(queue->DeleteExpired(&removed).ok());
    CHECK(removed == 0);
    test.clock().Advance(kDay);
    REQUIRE(queue->DeleteExpired(&removed).ok());
    CHECK(removed == 1);
    CHECK(Export(db).empty());
    // The message is overwritten, not only unlinked (secure_delete).
    queue->Flush();
    CHECK(ReadFile(db).find(kNonsense) == std::string::npos);
  }

  SECTION("the person can report a reply that missed the point") {
    const std::string path = "/v1/conversations/" +
                             conversation.at("id").get<std::string>() +
                             "/review";
    auto reported =
        test.client().Post(path.c_str(), TestServer::Bearer(conversation),
                           R"({"turn": 2})", "application/json");
    REQUIRE(reported);
    CHECK(reported->status == 204);
    auto no_token =
        test.client().Post(path.c_str(), R"({"turn": 2})", "application/json");
    REQUIRE(no_token);
    CHECK(no_token->status == 401);
    for (const char* body : {R"({"turn": 3})", R"({"turn": 0})",
                             R"({"turn": "2"})", R"({})", "[]"}) {
      CAPTURE(body);
      auto bad =
          test.client().Post(path.c_str(), TestServer::Bearer(conversation),
                             body, "application/json");
      REQUIRE(bad);
      CHECK(bad->status == 400);
    }
    queue->Flush();
    std::vector<ReviewItem> reports;
    for (const ReviewItem& item : Export(db)) {
      if (item.reason == "reported") reports.push_back(item);
    }
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].text == "my wife cheated on me");
  }
}

TEST_CASE("Review items past the retention are deleted when the queue opens",
          "[server][review]") {
  TempDir dir;
  const fs::path db = dir.path() / "review.db";
  FakeClock clock;
  {
    std::unique_ptr<ReviewQueue> queue;
    REQUIRE(OpenReviewQueue("sqlite:" + db.string(), &clock,
                            {.retention_days = 2}, &queue)
                .ok());
    for (int i = 0; i < 2; ++i) {
      queue->Add(
          {.text = "one", .reason = "check_in", .flow = "f", .node = "n"});
    }
    queue->Flush();
  }
  // The same message, fate and node on the same day is one counted item.
  const std::vector<ReviewItem> items = Export(db);
  REQUIRE(items.size() == 1);
  CHECK(items[0].count == 2);
  clock.Advance(2 * kDay);
  std::unique_ptr<ReviewQueue> queue;
  REQUIRE(OpenReviewQueue("sqlite:" + db.string(), &clock,
                          {.retention_days = 2}, &queue)
              .ok());
  CHECK(Export(db).empty());
  CHECK_FALSE(OpenReviewQueue("redis://x", &clock, {}, &queue).ok());
  CHECK_FALSE(OpenReviewQueue("sqlite:", &clock, {}, &queue).ok());
}

TEST_CASE("With the review queue off nothing is kept and reports get 409",
          "[server][review][http]") {
  TempDir dir;
  ServerOptions options;  // review_queue empty: the default
  CHECK(options.review_queue.empty());
  options.data_dir = dir.path().string();
  TestServer test(options);
  CHECK(test.server().review_queue() == nullptr);
  const json conversation = test.Create();
  test.Say(conversation, kNonsense);
  auto reported = test.client().Post(
      ("/v1/conversations/" + conversation.at("id").get<std::string>() +
       "/review")
          .c_str(),
      TestServer::Bearer(conversation), R"({"turn": 1})", "application/json");
  REQUIRE(reported);
  CHECK(reported->status == 409);
  CHECK(json::parse(reported->body).at("type") ==
        "urn:trustcoach:problem:review-queue-off");
  // Not a file anywhere the server might put one.
  CHECK(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace trustcoach::server
