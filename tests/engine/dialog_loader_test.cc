#include "engine/dialog_loader.h"

#include <catch2/catch.hpp>

#include "tests/testing/dialogs.h"

namespace trustcoach {
namespace {

using testing::ScratchDialogs;

Status LoadFrom(const ScratchDialogs& scratch,
                std::vector<std::string>* warnings = nullptr) {
  std::unique_ptr<DialogSet> set;
  Status s = DialogSet::Load(scratch.dir(), &set, warnings);
  CHECK(s.ok() == (set != nullptr));
  return s;
}

TEST_CASE("The test dialogs load cleanly", "[engine][loader]") {
  std::unique_ptr<DialogSet> set;
  std::vector<std::string> warnings;
  Status s = DialogSet::Load(testing::TestDialogsDir(), &set, &warnings);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(warnings == std::vector<std::string>{});
  CHECK(set->FindFlow("hurt") != nullptr);
  CHECK(set->FindNode("hurt", "exercise")->couples);
  FlowPosition p;
  CHECK(set->Resolve("hurt", "therapy", &p));
  CHECK(p == FlowPosition{"hurt", "therapy"});  // the flow's own node first
  CHECK(set->Resolve("anger", "therapy", &p));
  CHECK(p == FlowPosition{"therapy", "open"});
  CHECK(set->Resolve("", "promise.confirm", &p));
  CHECK_FALSE(set->Resolve("", "nowhere", &p));
}

TEST_CASE("Broken dialog files are refused with file, pointer and problem",
          "[engine][loader]") {
  ScratchDialogs scratch;
  const std::string flows = scratch.dir() + "/flows/";
  auto [file, contents,
        expected] = GENERATE(table<std::string, std::string, std::string>({
      {"flows/bad.json", "{not json",
       "flows/bad.json: invalid JSON: [json.exception.parse_error.101]"},
      {"flows/bad.json", R"({"intents":[{"id":"x","patterns":["(oops"]}]})",
       "flows/bad.json: intent 'x' pattern 0 \"(oops\": missing ): (oops"},
      {"flows/bad.json", R"({"intents":[{"id":"yes","patterns":["y"]}]})",
       "/intents/0/id: duplicate intent id 'yes' (also in "},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":"hi","next":"nowhere"}}}]})",
       "flows/bad.json: /flows/0/nodes/a/next: unknown target node 'nowhere'"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":"hi","on":{"nope":"a"}}}}]})",
       "flows/bad.json: /flows/0/nodes/a/on/nope: unknown intent 'nope'"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"zz","nodes":{"a":{"say":"hi"}}}]})",
       "flows/bad.json: /flows/0/start: unknown start node 'zz'"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"sya":"hi"}}}]})",
       "flows/bad.json: /flows/0/nodes/a/sya: unknown key"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":[]}}}]})",
       "flows/bad.json: /flows/0/nodes/a: a node must `say` something or "
       "`branch`"},
      {"flows/bad.json",
       R"({"intents":[{"id":"z","patterns":"x","start":"nowhere"}]})",
       "flows/bad.json: /intents/0/start: unknown flow or node 'nowhere'"},
      {"flows/bad.json",
       R"({"intents":[{"id":"z","patterns":"x","start":"welcome","interrupts":"yes"}]})",
       "flows/bad.json: /intents/0/interrupts: expected true or false"},
      {"flows/bad.json",
       R"({"intents":[{"id":"z","patterns":"x","scope":"local","interrupts":true}]})",
       "flows/bad.json: /intents/0/interrupts: a local intent only matches "
       "where a node names it in `on`; it cannot interrupt"},
      {"flows/bad.json",
       R"({"intents":[{"id":"z","patterns":"x","interrupts":true}]})",
       "flows/bad.json: /intents/0/interrupts: `interrupts` needs a `start` "
       "to go to"},
      {"flows/bad.json",
       R"({"intents":[{"id":"z","patterns":"x","kind":"topics"}]})",
       "flows/bad.json: /intents/0/kind: expected topic, feeling, event, "
       "question, closing or social"},
      {"flows/bad.json",
       R"({"intents":[{"id":"z","patterns":"x","about":"him"}]})",
       "flows/bad.json: /intents/0/about: expected self, partner or past"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":"hi","answer":"x"}}}]})",
       "flows/bad.json: /flows/0/nodes/a/answer: `answer` describes the "
       "answer to a free-text question: it needs `capture`"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":"hi","capture_unmatched":true}}}]})",
       "flows/bad.json: /flows/0/nodes/a/capture_unmatched: "
       "`capture_unmatched` needs `capture`"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":"hi","else":"a","capture":"c","answer":"x","capture_unmatched":true}}}]})",
       "flows/bad.json: /flows/0/nodes/a/capture_unmatched: a node has "
       "`answer` or `capture_unmatched`, not both"},
      {"flows/bad.json",
       R"({"flows":[{"id":"f","start":"a","nodes":{"a":{"say":"hi","else":"a","capture":"c","answer":"(x"}}}]})",
       "flows/bad.json: /flows/0/nodes/a/answer/0: missing ): (x"},
      {"substitutions.json", R"({"words":{},"phrases":{"hes":"he is"}})",
       "substitutions.json: /phrases/hes: keys must be two or more lower-case "
       "words, single-spaced"},
      {"substitutions.json",
       R"({"words":{},"phrases":{"He's been":"he has been"}})",
       "substitutions.json: /phrases/He's been: keys must be two or more "
       "lower-case words, single-spaced"},
      {"substitutions.json",
       R"({"words":{},"phrases":{"he's  been":"he has been"}})",
       "substitutions.json: /phrases/he's  been: keys must be two or more "
       "lower-case words, single-spaced"},
      {"substitutions.json", R"({"words":{},"phrases":{"he's been":1}})",
       "substitutions.json: /phrases/he's been: expected a string"},
      {"substitutions.json", R"({"words":{},"phrase":{}})",
       "substitutions.json: /phrase: unknown key"},
      {"reflections.json", R"({"words":{},"phrases":{"i am":"you are"}})",
       "reflections.json: /phrases: unknown key"},
      {"engine.json", R"({"start":"welcome"})",
       "engine.json: /menu: required string is missing"},
      // Found while writing fuzz/dialog_loader_fuzzer.cc: nlohmann throws
      // out_of_range, not parse_error, for a number past double; it escaped
      // the loader and aborted lint, startup and SIGHUP reloads.
      {"flows/bad.json", R"({"intents":[],"x":1e999})",
       "flows/bad.json: invalid JSON: [json.exception.out_of_range.406] "
       "number overflow parsing '1e999'"},
  }));
  CAPTURE(file, contents);
  scratch.Write(file, contents);
  Status s = LoadFrom(scratch);
  REQUIRE(s.IsInvalidArgument());
  CHECK_THAT(s.message(), Catch::Contains(expected));
}

TEST_CASE("A missing dialogs folder is an error, not a crash",
          "[engine][loader]") {
  std::unique_ptr<DialogSet> set;
  Status s = DialogSet::Load("/nonexistent/dialogs", &set);
  CHECK(s.message() == "/nonexistent/dialogs: not a dialogs folder");
}

TEST_CASE("Unreachable nodes are warnings", "[engine][loader]") {
  ScratchDialogs scratch;
  scratch.Write(
      "flows/extra.json",
      R"({"flows":[{"id":"extra","start":"a","nodes":{"a":{"say":"hi"},"lost":{"say":"never"}}}]})");
  std::vector<std::string> warnings;
  REQUIRE(LoadFrom(scratch, &warnings).ok());
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0],
             Catch::EndsWith("flows/extra.json: /flows/0/nodes/lost: node "
                             "'extra.lost' is unreachable"));
}

}  // namespace
}  // namespace trustcoach
