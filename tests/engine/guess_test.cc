#include "engine/guess.h"

#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "engine/content_rules.h"
#include "engine/engine.h"
#include "tests/testing/dialogs.h"

namespace trustcoach {
namespace {

using testing::Joined;

TEST_CASE("Echo says plain statements back, never insults or questions",
          "[engine][guess]") {
  const Reflections reflections{{"i", "you"},  {"my", "your"}, {"me", "you"},
                                {"am", "are"}, {"we", "you"},  {"our", "your"}};
  auto [text, echo] = GENERATE(table<std::string, std::string>({
      {"i want to believe him", "you want to believe him"},
      {"we barely talk now.", "you barely talk now"},
      {"i do not want to lose her", "you don't want to lose her"},
      {"everything reminds me of it", "everything reminds you of it"},
      {"i feel so stupid", ""},            // self-blame is not echoed
      {"it is all my fault", ""},          // nor blame
      {"he is a liar and a cheater", ""},  // nor a label for the partner
      {"can we start fresh", ""},          // a question
      {"why was i not enough?", ""},
      {"toll on my health", ""},  // a fragment, no subject
      {"ok", ""},                 // too short to echo
      {"i found out last week that he has been seeing her for months", ""},
  }));
  CAPTURE(text);
  CHECK(Echo(text, reflections) == echo);
}

// The test dialogs with two guesses over two concepts.
void AddGuesses(const testing::ScratchDialogs& dialogs) {
  std::filesystem::create_directories(dialogs.dir() + "/concepts");
  dialogs.Write("concepts/guesses.json", R"({"concepts": [
    {"id": "g_anger", "words": ["fuming", "seething", "livid"]},
    {"id": "g_help", "words": ["counsell?ing", "help"]},
    {"id": "g_money", "words": ["money", "bank"]}]})");
  std::ifstream in(testing::TestDialogsDir() + "/engine.json");
  std::string config((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  const std::string from = R"("messages": {)";
  config.replace(config.find(from), from.size(), R"(
  "guesses": [
    {"label": "I am angry", "about": "anger", "intent": "anger",
     "concepts": ["g_anger"]},
    {"label": "Therapy", "about": "therapy", "intent": "therapy",
     "concepts": ["g_help"]}],
  "messages": {
    "guess": ["{echo}This may be about {about}."],
    "choices": ["{echo}Which is nearest?"],
    "echo": ["So {said}."],)");
  dialogs.Write("engine.json", config);
}

TEST_CASE("A message nothing understands gets a best guess from concepts",
          "[engine][guess]") {
  testing::ScratchDialogs dialogs;
  AddGuesses(dialogs);
  std::unique_ptr<Engine> engine;
  Status s = Engine::Load(dialogs.dir(), &engine);
  INFO(s.ToString());
  REQUIRE(s.ok());
  Session session;
  engine->Start(1, &session);

  SECTION("one guess leads: taken, with the person's words said back") {
    Reply reply = engine->Respond("i am absolutely seething", &session);
    CHECK_FALSE(reply.fallback);
    CHECK(reply.intent == "anger");
    CHECK(reply.messages.front().text ==
          "So you are absolutely seething. This may be about anger.");
    CHECK(reply.messages.at(1).text ==
          "Anger makes sense when trust is broken.");
    CHECK(session.slots.count("echo") == 0);
  }
  SECTION("two guesses tie: both offered as quick replies") {
    Reply reply = engine->Respond("seething, need help", &session);
    CHECK(reply.fallback);
    CHECK(reply.messages.back().text == "Which is nearest?");
    CHECK(reply.messages.back().quick_replies ==
          std::vector<std::string>{"I am angry", "Therapy"});
  }
  SECTION("no concept: the plain fallback") {
    Reply reply = engine->Respond("purple elephants", &session);
    CHECK(reply.fallback);
    CHECK_THAT(Joined(reply), Catch::Contains("another way") ||
                                  Catch::Contains("differently"));
  }
}

TEST_CASE("A guess must name known concepts and a label that reaches it",
          "[engine][guess]") {
  testing::ScratchDialogs dialogs;
  AddGuesses(dialogs);
  std::ifstream in(dialogs.dir() + "/engine.json");
  std::string config((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  std::unique_ptr<Engine> engine;
  SECTION("an unknown concept") {
    config.replace(config.find("\"g_help\""), 8, "\"g_nope\"");
    dialogs.Write("engine.json", config);
    Status s = Engine::Load(dialogs.dir(), &engine);
    REQUIRE_FALSE(s.ok());
    CHECK_THAT(s.message(), Catch::Contains("/guesses/1/concepts") &&
                                Catch::Contains("g_nope"));
  }
  SECTION("a label that does not reach the intent") {
    // Checked with the quick replies, by lint (CheckUnderstanding()).
    config.replace(config.find("\"Therapy\""), 9, "\"Purple\"");
    dialogs.Write("engine.json", config);
    REQUIRE(Engine::Load(dialogs.dir(), &engine).ok());
    CHECK_THAT(CheckUnderstanding(*engine),
               Catch::VectorContains(std::string(
                   "engine.json: /guesses/1: label 'Purple' does not reach "
                   "intent 'therapy' (an intent with a `start`)")));
  }
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE("EchoFeeling says back one feeling clause, with verbs agreeing",
          "[engine][guess]") {
  const Reflections reflections{
      {"i", "you"},  {"my", "your"},  {"me", "you"},         {"am", "are"},
      {"we", "you"}, {"our", "your"}, {"myself", "yourself"}};
  auto [text, echo] = GENERATE(table<std::string, std::string>({
      {"i feel so alone since she left", "you feel so alone since she left"},
      {"honestly i am scared all the time", "you are scared all the time"},
      {"he left. i was not ready for it", "you weren't ready for it"},
      {"ok but i keep thinking about it", "you keep thinking about it"},
      {"my wife left and i feel lost", "you feel lost"},
      {"i feel like a terrible person", ""},         // self-condemnation
      {"i deserve all of it. i am a disgrace", ""},  // a label, not a feeling
      {"honestly i am such a mess", ""},             // a label
      {"i feel like a fraud around him", ""},        // a label
      {"i was an idiot to trust him", ""},           // a label
      {"i feel like i want to disappear", ""},       // could be harm
      {"i am so stupid for not seeing it", ""},      // self-blame
      {"he is a liar and i feel used by him", "you feel used by him"},
      // After any of the clause joiners (engine/clause.h), not after "like":
      // what the partner makes the person feel is not said back as theirs.
      {"but i still cant sleep most nights",
       "you still cant sleep most nights"},
      {"he makes me feel like i am nothing", ""},
      {"she cheated on me", ""},      // no feeling clause
      {"how do i feel better?", ""},  // a question
  }));
  CAPTURE(text);
  CHECK(EchoFeeling(text, reflections) == echo);
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE("StatesOwnFeeling holds only where the person says how they feel",
          "[engine][guess]") {
  auto [text, says] = GENERATE(table<std::string, bool>({
      {"my wife cheated and i am furious", true},
      {"honestly i feel sick", true},
      {"it makes me so sad", true},
      {"he lied again, i have been crying all day", true},
      {"should i confront him tonight or wait till i have calmed down", false},
      {"we have 2 kids i can not just blow up our whole life over a text",
       false},
      {"do i tell her i looked? she would be so pissed", false},
      {"he has been secretive with his phone lately, face down on the table",
       false},
      {"i am going to talk to him tonight", false},
      {"she says he is angry all the time", false},
      {"how do i feel better?", false},
  }));
  CAPTURE(text);
  CHECK(StatesOwnFeeling(text) == says);
}

}  // namespace
}  // namespace trustcoach
