#include "engine/concepts.h"

#include <algorithm>
#include <filesystem>

#include <catch2/catch.hpp>

#include "engine/dialog_loader.h"
#include "tests/testing/dialogs.h"

namespace trustcoach {
namespace {

using nlohmann::json;

Concepts Build(const char* text, std::vector<std::string>* errors) {
  Concepts concepts;
  concepts.AddFile(json::parse(text), "concepts/test.json", errors);
  concepts.Finish(errors);
  concepts.CheckPatterns(/*unused_only=*/false, errors);
  return concepts;
}

TEST_CASE("A concept expands to an alternation of its entries",
          "[engine][concepts]") {
  std::vector<std::string> errors;
  Concepts concepts = Build(R"({"concepts": [
      {"id": "partner", "words": ["husband", "wife", "partner"]},
      {"id": "close", "words": ["my ~partner", "him", "her"]},
      {"id": "pills", "words": ["pills?", "meds"]},
      {"id": "spare", "words": ["nothing names me"]}]})",
                            &errors);
  REQUIRE(errors.empty());

  std::string out, error;
  std::vector<std::string> used;
  REQUIRE(concepts.Expand("\\b~close ~pills\\b \\~x", &out, &error, &used));
  CHECK(out ==
        "\\b(?:my (?:husband|wife|partner)|him|her) (?:pills?|meds)\\b \\~x");
  CHECK(used == std::vector<std::string>{"close", "pills"});
  REQUIRE(concepts.Expand("\\b~close ~pills\\b", &out, &error));
  CHECK(RE2::PartialMatch("hide my wife pills", RE2(out)));
  CHECK_FALSE(RE2::PartialMatch("hide my wife's pills", RE2(out)));

  // A tilde not followed by a name stays as written.
  REQUIRE(concepts.Expand("a ~ b ~1", &out, &error));
  CHECK(out == "a ~ b ~1");

  CHECK_FALSE(concepts.Expand("~nowhere", &out, &error));
  CHECK(error == "unknown concept '~nowhere'");

  // Named through "close", "partner" is used; "spare" never is.
  CHECK(concepts.Unused() ==
        std::vector<std::string>{
            "concepts/test.json: /concepts/3: concept '~spare' is never used"});

  CHECK(concepts.Present("my husband hid his meds",
                         {"close", "pills", "partner", "unknown"}) ==
        std::vector<std::string>{"close", "pills", "partner"});
  // Whole words only: "herbs" is not "her".
  CHECK(concepts.Present("herbs", {"close"}).empty());
}

TEST_CASE("Broken concepts are refused with file, pointer and problem",
          "[engine][concepts]") {
  std::vector<std::string> errors;
  Build(R"({"concepts": [
      {"id": "a", "words": ["~b"]},
      {"id": "b", "words": ["~a"]},
      {"id": "c", "words": ["~missing"]},
      {"id": "Bad-Id", "words": ["x"]},
      {"id": "d", "words": []},
      {"id": "e", "words": ["x"], "colour": "red"},
      {"id": "f", "words": ["(unclosed"]},
      {"id": "f", "words": ["again"]}]})",
        &errors);
  const auto has = [&](const std::string& text) {
    for (const std::string& e : errors) {
      if (e.find(text) != std::string::npos) return true;
    }
    INFO(text);
    return false;
  };
  CHECK(has("concept '~a' names itself through other concepts"));
  CHECK(has("/concepts/2/words/0: unknown concept '~missing'"));
  CHECK(has("/concepts/3/id: expected an id of a-z, 0-9 and _"));
  CHECK(has("/concepts/4/words: expected a non-empty list of strings"));
  CHECK(has("/concepts/5/colour: unknown key"));
  CHECK(has("concept '~f' is not a valid pattern"));
  CHECK(has("/concepts/7/id: duplicate concept '~f'"));
}

TEST_CASE("Intents and safety rules name concepts; explain shows them",
          "[engine][concepts]") {
  testing::ScratchDialogs scratch;
  std::filesystem::create_directory(scratch.dir() + "/concepts");
  scratch.Write("concepts/test.json", R"({"concepts": [
      {"id": "furious", "words": ["furious", "livid", "seething"]},
      {"id": "spouse", "words": ["husband", "wife"]},
      {"id": "means", "words": ["pills? saved", "a rope"]}]})");
  scratch.Write("flows/angry.json", R"({"intents": [
      {"id": "angry", "topic": "anger", "start": "angry",
       "patterns": ["\\bi am ~furious\\b"]}],
    "flows": [{"id": "angry", "topic": "anger", "start": "open",
      "nodes": {"open": {"say": ["Anger makes sense here."]}}}]})");
  scratch.Write("safety.json", R"({"crisis": [
      {"id": "means", "kind": "suicide",
       "patterns": ["\\bi have ~means\\b"]}]})");
  std::unique_ptr<Engine> engine;
  std::vector<std::string> warnings;
  Status s = Engine::Load(scratch.dir(), &engine, &warnings);
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(std::count_if(warnings.begin(), warnings.end(), [](auto& w) {
          return w.find("concept '~spouse' is never used") != std::string::npos;
        }) == 1);

  Session session;
  engine->Start(1, &session);
  Reply reply = engine->Respond("I am LIVID", &session, {.trace = Trace::kOn});
  CHECK(reply.intent == "angry");
  CHECK(reply.explain["chosen"]["concepts"] == json::array({"furious"}));
  CHECK(reply.explain["chosen"]["pattern"] == "\\bi am ~furious\\b");

  reply =
      engine->Respond("i have pills saved", &session, {.trace = Trace::kOn});
  CHECK(reply.safety.level == SafetyLevel::kCrisis);
  CHECK(reply.explain["safety"]["rule"] == "means");
  CHECK(reply.explain["safety"]["concepts"] == json::array({"means"}));

  // A pattern naming an unknown concept is an error at its pointer.
  scratch.Write("safety.json", R"({"crisis": [
      {"id": "means", "kind": "suicide", "patterns": ["~nothing"]}]})");
  s = Engine::Load(scratch.dir(), &engine);
  CHECK(s.message().find("rule 'means': pattern 0 /~nothing/: unknown "
                         "concept '~nothing'") != std::string::npos);
  scratch.Write("flows/angry.json", R"({"intents": [
      {"id": "angry", "patterns": ["~nothing"]}]})");
  s = Engine::Load(scratch.dir(), &engine);
  CHECK(s.message().find("flows/angry.json: /intents/0/patterns/0: unknown "
                         "concept '~nothing'") != std::string::npos);
}

}  // namespace
}  // namespace trustcoach
