// Content checks over the shipped dialog files. The rules themselves live in
// engine/content_rules.cc, so that `trustcoach lint` and the server (at load
// and on reload) hold any dialogs folder to them; here they run on the
// shipped dialogs, and each rule is shown to catch what it is for.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/content_rules.h"
#include "tests/testing/dialogs.h"

namespace trustcoach {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

fs::path DialogsDir() { return fs::path(TRUSTCOACH_DIALOGS_DIR); }

json ReadJson(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return json::parse(buffer.str());
}

std::vector<fs::path> FlowFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(DialogsDir() / "flows")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> ContentProblems(const std::string& dir) {
  std::unique_ptr<Engine> engine;
  Status s = Engine::Load(dir, &engine);
  INFO(s.ToString());
  REQUIRE(s.ok());
  std::vector<std::string> problems = CheckContent(*engine);
  for (std::string& problem : CheckUnderstanding(*engine)) {
    problems.push_back(std::move(problem));
  }
  return problems;
}

bool AnyContains(const std::vector<std::string>& problems,
                 const std::string& part) {
  for (const std::string& p : problems) {
    if (p.find(part) != std::string::npos) return true;
  }
  return false;
}

// A small dialog set that keeps every rule, to break one rule at a time.
constexpr char kGoodFlows[] = R"({
  "intents": [
    {"id": "yes", "scope": "local", "patterns": ["^yes\\b"]},
    {"id": "ask_therapy", "topic": "therapy", "start": "therapy",
     "patterns": ["\\btherapy\\b"],
     "examples": ["would therapy help", {"text": "therapy?", "at": "ask.what"}],
     "not_examples": ["the rapist", {"text": "yes", "at": "welcome.open"}]}],
  "flows": [
    {"id": "welcome", "start": "open", "nodes": {
      "open": {"say": ["Hello, I am an automated coach. Talk?", "Hi, I am an automated coach. Talk?"],
               "quick_replies": ["Yes"], "on": {"yes": "therapy.open"}}}},
    {"id": "menu", "start": "open", "nodes": {
      "open": {"say": ["A therapist can help."], "therapy": true}}},
    {"id": "therapy", "start": "open", "nodes": {
      "open": {"say": ["A therapist can help you both."], "therapy": true}}},
    {"id": "ask", "start": "what", "nodes": {
      "what": {"say": ["What happened?", "What went on?"], "capture": "what",
               "on": {"ask_therapy": "therapy.open"}, "else": "therapy.open"}}},
    {"id": "safety", "start": "check_in", "nodes": {
      "check_in": {"say": ["Are you safe?"], "resources": true}}}]})";

}  // namespace

TEST_CASE("content: the blocklist matches whole words only", "[content]") {
  CHECK(BlockedPhrases("That's not CRAZY at all") ==
        std::vector<std::string>{"crazy"});
  CHECK(BlockedPhrases("It\xE2\x80\x99s your fault") ==
        std::vector<std::string>{"your fault"});
  CHECK(BlockedPhrases("obviousness").empty());
  CHECK(BlockedPhrases("reliable").empty());
  CHECK(BlockedPhrases("a liar.") == std::vector<std::string>{"liar"});
  CHECK(BlockedPhrases("Calm down.") == std::vector<std::string>{"calm down"});
  // Reassurance is set aside: it says the opposite.
  CHECK(BlockedPhrases("None of this is your fault.").empty());
}

TEST_CASE("content: the shipped dialogs keep every content rule", "[content]") {
  const std::vector<std::string> problems =
      ContentProblems(DialogsDir().string());
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

TEST_CASE("content: each rule catches what it is for", "[content]") {
  testing::ScratchDialogs scratch(testing::TestDialogsDir());
  fs::remove_all(scratch.dir() + "/flows");
  fs::create_directory(scratch.dir() + "/flows");
  scratch.Write("flows/all.json", kGoodFlows);
  scratch.Write("engine.json", R"({"start": "welcome", "menu": "menu",
      "safety_flow": "safety", "abuse_redirect": "therapy.open", "messages": {
      "fallback": ["Could you say more?", "Tell me a bit more?"],
      "truncated": ["I read the first part."], "return": ["Back to it."],
      "reminder": ["I am an automated coach."]}})");
  REQUIRE(ContentProblems(scratch.dir()).empty());

  std::string flows = kGoodFlows;
  const auto broken = [&](const std::string& from, const std::string& to) {
    std::string text = flows;
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    scratch.Write("flows/all.json", text);
    return ContentProblems(scratch.dir());
  };
  SECTION("wording") {
    const auto problems = broken("A therapist can help you both.",
                                 "You are overreacting; see a therapist.");
    CHECK(AnyContains(problems,
                      "/flows/2/nodes/open/say/0: says "
                      "\"overreacting\""));
  }
  SECTION("claiming to be human") {
    CHECK(AnyContains(broken("I am an automated coach. Talk?\", \"Hi",
                             "I'm a real person. Talk?\", \"Hi"),
                      "claims to be human"));
  }
  SECTION("a path without help") {
    CHECK(AnyContains(broken("\"therapy\": true}}},\n    {\"id\": \"ask\"",
                             "\"therapy\": false}}},\n    {\"id\": \"ask\""),
                      "path ends without pointing to professional help: "
                      "welcome.open -> therapy.open"));
  }
  SECTION("one wording for a prompt") {
    CHECK(AnyContains(
        broken("\"What happened?\", \"What went on?\"", "\"What happened?\""),
        "/nodes/what/say: a prompt needs at least two variants"));
  }
  SECTION("an example that misses its intent, a not-example that reaches it") {
    const auto problems = broken("\"examples\": [\"would therapy help\"",
                                 "\"examples\": [\"would counselling help\"");
    CHECK(AnyContains(problems,
                      "/intents/1/examples/0: \"would counselling "
                      "help\" reaches no intent, not 'ask_therapy'"));
    flows = kGoodFlows;
    CHECK(AnyContains(broken("\"the rapist\"", "\"a therapy question\""),
                      "/intents/1/not_examples/0: \"a therapy question\" "
                      "reaches 'ask_therapy', which it must not"));
    CHECK(AnyContains(broken("\"at\": \"ask.what\"", "\"at\": \"ask.nowhere\""),
                      "at ask.nowhere: unknown node"));
  }
  SECTION("a quick reply not understood where it is offered") {
    CHECK(AnyContains(broken("\"quick_replies\": [\"Yes\"]",
                             "\"quick_replies\": [\"Banana\"]"),
                      "flows/all.json: /flows/0/nodes/open/quick_replies/0: "
                      "quick reply 'Banana' is not understood at this node"));
  }
  SECTION("a free-text question that holds back a request for help") {
    CHECK(
        AnyContains(broken("\"on\": {\"ask_therapy\": \"therapy.open\"}, ", ""),
                    "a free-text question must let 'ask_therapy' through"));
  }
}

TEST_CASE("content: patterns hold no control characters", "[content]") {
  // In JSON, "\b" is a backspace, not RE2's word boundary: write "\\b".
  std::vector<std::string> problems;
  for (const fs::path& file : FlowFiles()) {
    const json doc = ReadJson(file);
    const json intents = doc.value("intents", json::array());
    for (const json& intent : intents) {
      for (const json& pattern : intent.value("patterns", json::array())) {
        const std::string text = pattern.get<std::string>();
        if (std::any_of(text.begin(), text.end(),
                        [](unsigned char c) { return c < 0x20; })) {
          problems.push_back(file.filename().string() + ": " +
                             intent.value("id", std::string("?")));
        }
      }
    }
  }
  for (const std::string& p : problems) UNSCOPED_INFO(p);
  CHECK(problems.empty());
}

}  // namespace trustcoach
