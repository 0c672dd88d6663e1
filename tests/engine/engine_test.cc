#include "engine/engine.h"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <catch2/catch.hpp>

#include "engine/normalizer.h"
#include "tests/testing/dialogs.h"

namespace trustcoach {
namespace {

using testing::Joined;

std::string Position(const Reply& reply) {
  return reply.flow + "." + reply.node;
}

TEST_CASE("A conversation opens, matches intents and walks a flow",
          "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  Reply opening = engine->Start(42, &session);
  CHECK_THAT(Joined(opening), Catch::Contains("automated coach"));
  CHECK(Position(opening) == "welcome.hello");

  Reply hurt = engine->Respond("My HUSBAND cheated on me", &session);
  CHECK(hurt.intent == "hurt");
  CHECK(hurt.topic == "infidelity");
  CHECK(Position(hurt) == "hurt.open");
  CHECK_THAT(Joined(hurt), Catch::Contains("husband"));
  CHECK(hurt.messages.back().quick_replies ==
        std::vector<std::string>{"Yes", "No"});

  Reply yes = engine->Respond("yes", &session);
  CHECK(yes.intent == "yes");
  // `next` chains the exercise into the therapy node.
  CHECK(Joined(yes) ==
        "Sit down together and take turns listening.\n"
        "A couples therapist can help you both.");
  CHECK(Position(yes) == "hurt.therapy");
}

TEST_CASE("Variants are deterministic per seed and never repeat back to back",
          "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Session a, b;
    CHECK(Joined(engine->Start(seed, &a)) == Joined(engine->Start(seed, &b)));
    std::string previous;
    for (int i = 0; i < 4; ++i) {
      const std::string text = Joined(engine->Respond("he cheated", &a));
      CHECK(text != previous);
      previous = text;
      engine->Respond("hmm", &a);  // a miss, so the node is re-entered next
    }
  }
}

TEST_CASE("A miss reprompts, two misses show the menu", "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("he cheated", &session);
  Reply first = engine->Respond("purple elephants", &session);
  CHECK(first.fallback);
  CHECK(first.intent.empty());
  CHECK_THAT(Joined(first), Catch::Contains("exercise"));
  CHECK(Position(first) == "hurt.open");
  CHECK(first.messages.back().quick_replies.size() == 2);

  Reply second = engine->Respond("more elephants", &session);
  CHECK(second.fallback);
  CHECK(Position(second) == "menu.start");
  CHECK_THAT(Joined(second), Catch::Contains("I can help with"));

  Reply recovered = engine->Respond("therapy", &session);
  CHECK_FALSE(recovered.fallback);
  CHECK(Position(recovered) == "therapy.open");
}

TEST_CASE("A global intent interrupts a flow, which resumes after",
          "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("my wife lied", &session);
  Reply angry = engine->Respond("I am so angry", &session);
  CHECK(angry.intent == "anger");
  REQUIRE(angry.messages.size() == 4);
  CHECK(angry.messages[0].text == "Anger makes sense when trust is broken.");
  CHECK(angry.messages[1].text == "Therapy can help find root causes.");
  CHECK(angry.messages[2].text == "Back to what we were talking about.");
  CHECK_THAT(angry.messages[3].text, Catch::Contains("exercise"));
  CHECK(Position(angry) == "hurt.open");
  CHECK(session.stack.size() == 1);
}

TEST_CASE("Captured words are reflected and remembered for the next visit",
          "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("I want to make a promise", &session);
  Reply example = engine->Respond("give me an example", &session);
  CHECK(example.intent == "example");
  Reply confirm =
      engine->Respond("I will call my mum when I am late", &session);
  CHECK_THAT(Joined(confirm),
             Catch::Contains("\"you will call your mum when you are late\""));
  CHECK(session.slots.at("promise") == "i will call my mum when i am late");

  CHECK(Position(confirm) == "therapy.open");

  // A returning person is asked how it went.
  Reply back = engine->Respond("hello again", &session);
  CHECK(Position(back) == "welcome.back");
  CHECK_THAT(Joined(back),
             Catch::Contains(
                 "How did \"you will call your mum when you are late\" go?"));
}

TEST_CASE("Crisis overrides every flow and persists", "[engine][safety]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("he cheated", &session);
  Reply crisis =
      engine->Respond("honestly I want to KMS", &session, {.region = "en-GB"});
  CHECK(crisis.safety.kind == SafetyKind::kSuicide);
  CHECK(crisis.safety.level == SafetyLevel::kCrisis);
  CHECK(Position(crisis) == "safety.suicide");
  REQUIRE(crisis.resources.size() == 2);
  CHECK(crisis.resources[0].phone == "999");
  CHECK(session.stack.size() == 1);  // the coaching flow is not resumed

  Reply after = engine->Respond("I'm fine", &session);
  CHECK(after.safety.earlier);
  CHECK(after.safety.kind == SafetyKind::kSuicide);
  CHECK(after.safety.level == SafetyLevel::kNone);
  CHECK(Position(after) == "safety.still_here");
  CHECK_FALSE(after.resources.empty());
}

TEST_CASE("Negated statements get a check-in", "[engine][safety]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  Reply reply = engine->Respond("I would never kill myself", &session);
  CHECK(reply.safety.level == SafetyLevel::kCheckIn);
  CHECK(Position(reply) == "safety.check_in");
  CHECK(session.risk.empty());
}

TEST_CASE("After abuse, couples work is replaced by individual support",
          "[engine][safety]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("he hits me", &session);
  CHECK(session.abuse);
  engine->Respond("my husband cheated", &session);
  Reply yes = engine->Respond("yes", &session);
  CHECK_THAT(Joined(yes), !Catch::Contains("together"));
  CHECK_THAT(Joined(yes), Catch::StartsWith("Support just for you"));
  // The coaching flow ended there; the safety conversation it interrupted
  // resumes.
  CHECK(Position(yes) == "safety.abuse");
}

TEST_CASE("Odd input never breaks a conversation", "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  std::string huge(100 * 1024, 'a');
  huge += " cheated";
  auto text = GENERATE_COPY(
      as<std::string>{}, "", " ", std::string("\xff\xfe\x00", 3),
      "\U0001F494\U0001F494", "\u05d1\u05d2\u05d3 \u0627\u0644\u062d\u0628",
      huge, "{partner}", "%s%n", "\\b(");
  Session session;
  engine->Start(1, &session);
  Reply reply = engine->Respond(text, &session);
  CHECK_FALSE(reply.messages.empty());
  Session copy;
  REQUIRE(ParseSession(SerializeSession(session), &copy).ok());
  CHECK(copy == session);
  if (text.size() > kMaxInputBytes) {
    CHECK(reply.truncated);
    CHECK_THAT(Joined(reply), Catch::StartsWith("I read the first part"));
    CHECK(reply.intent.empty());  // "cheated" was past the limit
  }
}

TEST_CASE("The coach reminds the person it is automated", "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  std::string all;
  for (int i = 0; i < 5; ++i)
    all += Joined(engine->Respond("therapy", &session));
  CHECK_THAT(all, Catch::Contains("Reminder: I am an automated coach."));
}

TEST_CASE("Explain says why", "[engine][explain]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  Reply reply = engine->Respond("My fiancé lied, I'm angry", &session,
                                {.trace = Trace::kOn});
  const nlohmann::json& why = reply.explain;
  CHECK(why["input"] == "my fiance lied, i am angry");
  CHECK(why["chosen"]["intent"] == "hurt");
  CHECK(why["chosen"]["captures"]["partner"] == "fiance");
  CHECK(why["candidates"].size() == 2);
  CHECK(why["safety"]["kind"] == "none");
  CHECK(why["action"] == "start");
  CHECK(why["flow"] == "hurt");
  CHECK(why["slots"]["partner"] == "fiance");
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE("Abuse named beside a more urgent crisis still stops couples work",
          "[engine][safety]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  Reply reply =
      engine->Respond("he hits me and I want to end my life", &session);
  CHECK(reply.safety.kind == SafetyKind::kSuicide);
  CHECK(session.abuse);
}

TEST_CASE("Going back to the opening leaves interrupted flows behind",
          "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("my wife lied", &session);
  engine->Respond("I want to make a promise", &session);
  REQUIRE(session.stack.size() == 2);
  Reply hello = engine->Respond("hello", &session);
  CHECK(session.stack.size() == 1);
  CHECK(Position(hello) == "welcome.hello");
  CHECK_THAT(Joined(hello), !Catch::Contains("Back to"));
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE("At a node that captures free text, a topic intent is captured",
          "[engine][flow][capture]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  Reply ask = engine->Respond("let's make a plan", &session);
  REQUIRE(Position(ask) == "plan.person");

  SECTION("the answer is stored, not taken as a new topic") {
    Reply answer = engine->Respond("my sister", &session);
    CHECK(answer.intent.empty());
    CHECK(Position(answer) == "therapy.open");
    CHECK(session.slots.at("person") == "my sister");
    CHECK_THAT(Joined(answer), Catch::StartsWith("Someone to call: your "
                                                 "sister."));
    CHECK_THAT(Joined(answer), !Catch::Contains("Family"));
  }
  SECTION("an intent marked `interrupts` still takes over, then resumes") {
    // The question was asked a moment ago: it stands, unannounced (no
    // "Back to what we were talking about." with nothing after it).
    Reply thanks = engine->Respond("thank you", &session);
    CHECK(thanks.intent == "thanks");
    REQUIRE(thanks.messages.size() == 1);
    CHECK(thanks.messages[0].text == "You are welcome.");
    CHECK(Position(thanks) == "plan.person");
    CHECK(session.slots.count("person") == 0);
  }
  SECTION("an interrupting intent wins over a higher-priority topic") {
    Reply thanks = engine->Respond("thanks, my sister helps", &session);
    CHECK(thanks.intent == "thanks");
    CHECK(Position(thanks) == "plan.person");
  }
  SECTION("a crisis overrides the capture") {
    Reply crisis = engine->Respond(
        "my sister cannot help, I want to end my life", &session);
    CHECK(crisis.safety.level == SafetyLevel::kCrisis);
    CHECK(crisis.safety.kind == SafetyKind::kSuicide);
    CHECK(Position(crisis) == "safety.suicide");
    CHECK_FALSE(crisis.resources.empty());
    CHECK(session.slots.count("person") == 0);
    CHECK(session.stack.size() == 1);
  }
}

TEST_CASE("Intents a capture node expects still win over capturing",
          "[engine][flow][capture]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("I want to make a promise", &session);
  Reply example = engine->Respond("my sister needs an example", &session);
  CHECK(example.intent == "example");
  CHECK(Position(example) == "promise.example");
}

TEST_CASE("Away from capture nodes, topic intents still interrupt",
          "[engine][flow][capture]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("my wife lied", &session);
  Reply family = engine->Respond("my sister knew", &session);
  CHECK(family.intent == "family");
  CHECK(family.messages[0].text ==
        "Family can be one of the hardest places to feel understood.");
  CHECK(Position(family) == "hurt.open");  // resumed after the detour
}

TEST_CASE("Explain lists a held-back intent", "[engine][explain][capture]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("make a plan", &session);
  Reply reply = engine->Respond("my brother", &session, {.trace = Trace::kOn});
  const nlohmann::json& why = reply.explain;
  CHECK(why["action"] == "else");
  CHECK(why["chosen"] == nullptr);
  REQUIRE(why["candidates"].size() == 1);
  CHECK(why["candidates"][0]["intent"] == "family");
  CHECK(why["candidates"][0]["held"] == true);
}

TEST_CASE("A phrase substitution reads right in captured text",
          "[engine][normalizer]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  engine->Respond("make a plan", &session);
  Reply reply = engine->Respond("he's been there for me, he's kind", &session);
  CHECK(session.slots.at("person") == "he has been there for me, he is kind");
  CHECK_THAT(Joined(reply), Catch::Contains("he has been there for you"));
}

TEST_CASE("A question or a closing breaks out of a free-text question",
          "[engine][flow][capture]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  REQUIRE(Position(engine->Respond("let's make a plan", &session)) ==
          "plan.person");

  SECTION("a question is not the answer") {
    Reply q = engine->Respond("so how does therapy work?", &session);
    CHECK(q.intent == "how_therapy");
    CHECK(session.slots.count("person") == 0);
  }
  SECTION("the same words, not asked, are the answer") {
    Reply a =
        engine->Respond("my sister told me how does therapy work", &session);
    CHECK(a.intent.empty());
    CHECK(session.slots.count("person") == 1);
  }
  SECTION("a goodbye ends the conversation, nothing resumed") {
    Reply bye = engine->Respond("ok my sister maybe. bye", &session);
    CHECK(bye.intent == "bye");
    CHECK(Joined(bye) == "Take care.");
    CHECK(session.slots.count("person") == 0);
  }
}

TEST_CASE("A closing of higher priority beats the answer a node expects",
          "[engine][flow]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  REQUIRE(Position(engine->Respond("he cheated", &session)) == "hurt.open");
  Reply bye = engine->Respond("ok. bye", &session);
  CHECK(bye.intent == "bye");
  CHECK(Joined(bye) == "Take care.");
  CHECK_THAT(Joined(bye), !Catch::Contains("?"));
}

TEST_CASE("A node's `answer` says what answers its question",
          "[engine][flow][capture]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);
  REQUIRE(Position(engine->Respond("can we set a goal", &session)) ==
          "goal.ask");

  SECTION("text that answers is captured, topics held") {
    Reply a = engine->Respond("i want him to stop cheating", &session);
    CHECK(a.intent.empty());
    CHECK(session.slots.at("goal") == "i want him to stop cheating");
  }
  SECTION("text that does not answer is routed as usual") {
    Reply topic = engine->Respond("he cheated again", &session);
    CHECK(topic.intent == "hurt");
    CHECK(session.slots.count("goal") == 0);
  }
  SECTION("and captured when nothing else understands it") {
    Reply other = engine->Respond("purple elephants", &session);
    CHECK(other.intent.empty());
    CHECK(session.slots.at("goal") == "purple elephants");
  }
}

TEST_CASE("A clarifying question (`capture_unmatched`) is answered by a topic",
          "[engine][flow][capture]") {
  testing::ScratchDialogs dialogs;
  std::ifstream in(testing::TestDialogsDir() + "/flows/test.json");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const std::string from =
      R"("answer": ["\\b(i|we) (want|wish|hope)\\b", "\\b(more|less)\\b"])";
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  text.replace(at, from.size(), R"("capture_unmatched": true)");
  dialogs.Write("flows/test.json", text);
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(dialogs.dir(), &engine).ok());
  Session session;
  engine->Start(1, &session);
  REQUIRE(Position(engine->Respond("can we set a goal", &session)) ==
          "goal.ask");

  SECTION("a topic goes where it leads, in place of the question") {
    Reply topic = engine->Respond("my sister", &session);
    CHECK(topic.intent == "family");
    CHECK(session.slots.count("goal") == 0);
    REQUIRE(session.stack.size() == 1);
    CHECK(session.stack.back().flow != "goal");
    // Nothing to come back to: the question is not asked again.
    Reply next = engine->Respond("i am so angry", &session);
    CHECK_THAT(Joined(next), !Catch::Contains("What would you like"));
  }
  SECTION("what nothing understands is the answer") {
    Reply other = engine->Respond("purple elephants", &session);
    CHECK(other.intent.empty());
    CHECK(session.slots.at("goal") == "purple elephants");
  }
}

// The test dialogs with a return line that recaps, `again` lines on the
// hurt flow's question, and the anger line also a variant of the family one.
std::string RevisitFlows() {
  std::ifstream in(testing::TestDialogsDir() + "/flows/test.json");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const auto replace = [&](std::string_view from, std::string_view to) {
    const size_t at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
  };
  replace(
      R"("quick_replies": ["Yes", "No"],)",
      R"("again": ["Shall we try the exercise now?", "Would the exercise help now?"],
             "quick_replies": ["Yes", "No"],)");
  replace(
      R"(["Family can be one of the hardest places to feel understood."])",
      R"(["Anger makes sense when trust is broken.", "Family is hard too."])");
  return text;
}

TEST_CASE("A return recaps the topic and says the node's `again` lines",
          "[engine][flow][again]") {
  testing::ScratchDialogs dialogs;
  dialogs.Write("flows/test.json", RevisitFlows());
  std::ifstream in(testing::TestDialogsDir() + "/engine.json");
  std::string config((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
  const std::string from =
      R"("return": ["Back to what we were talking about."],)";
  config.replace(config.find(from), from.size(),
                 from + R"("return_recap": ["{recap} Back to that now."],)");
  dialogs.Write("engine.json", config);
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(dialogs.dir(), &engine).ok());
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Session session;
    engine->Start(seed, &session);
    const std::string first = Joined(engine->Respond("my wife lied", &session));
    CHECK_THAT(first, Catch::Contains("exercise"));
    Reply angry = engine->Respond("I am so angry", &session);
    REQUIRE(angry.messages.size() == 4);
    CHECK(angry.messages[2].text ==
          "We were talking about the cheating. Back to that now.");
    CHECK_THAT(angry.messages[3].text,
               Catch::Matches("(Shall we try|Would) the exercise.*now\\?"));
    CHECK(Position(angry) == "hurt.open");
  }
}

TEST_CASE("A return without `again` says only the node's question",
          "[engine][flow][again]") {
  testing::ScratchDialogs dialogs;
  std::ifstream in(testing::TestDialogsDir() + "/flows/test.json");
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  const std::string from =
      "I am sorry {partner|your partner} hurt you. Would you like";
  text.replace(
      text.find(from), from.size(),
      "I am sorry {partner|your partner} hurt you.\\n\\nWould you like");
  const std::string other = "That sounds painful. Would";
  text.replace(text.find(other), other.size(),
               "That sounds painful.\\n\\nWould");
  dialogs.Write("flows/test.json", text);
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(dialogs.dir(), &engine).ok());
  for (uint64_t seed = 0; seed < 10; ++seed) {
    Session session;
    engine->Start(seed, &session);
    CHECK_THAT(Joined(engine->Respond("my wife lied", &session)),
               Catch::Contains("\n\n"));
    Reply angry = engine->Respond("I am so angry", &session);
    REQUIRE(angry.messages.size() == 4);
    CHECK_THAT(angry.messages[3].text, Catch::StartsWith("Would"));
    CHECK(angry.messages[3].quick_replies ==
          std::vector<std::string>{"Yes", "No"});
  }
}

TEST_CASE("A line said in the last six turns is not said again",
          "[engine][flow][again]") {
  testing::ScratchDialogs dialogs;
  dialogs.Write("flows/test.json", RevisitFlows());
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(dialogs.dir(), &engine).ok());
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Session session;
    engine->Start(seed, &session);
    engine->Respond("I am so angry", &session);
    // The family node's variants: the anger line, said a turn ago, and its
    // own; whatever the seed, its own.
    CHECK_THAT(Joined(engine->Respond("my sister", &session)),
               Catch::StartsWith("Family is hard too."));
    // Lines said six or more turns ago are forgotten.
    for (int i = 0; i < 6; ++i) engine->Respond("ok", &session);
    for (const auto& [line, turn] : session.said) {
      CHECK(session.turns - turn < Session::kRecentTurns);
    }
  }
  // Sessions keep the lines said lately across a store round trip.
  Session session;
  engine->Start(3, &session);
  engine->Respond("I am so angry", &session);
  Session parsed;
  REQUIRE(ParseSession(SerializeSession(session), &parsed).ok());
  CHECK(parsed == session);
  CHECK_FALSE(parsed.said.empty());
}

// A feelings question whose feelings a clause about the partner does not
// answer ("my wife went cold" is the partner's), with the given words in
// the `~partner` concept.
std::unique_ptr<Engine> LoadFeelingsQuestion(
    const testing::ScratchDialogs& dialogs, std::string_view partner_words) {
  std::filesystem::create_directories(dialogs.dir() + "/concepts");
  dialogs.Write("concepts/people.json",
                R"({"concepts": [{"id": "partner", "words": [)" +
                    std::string(partner_words) + "]}]}");
  dialogs.Write("flows/feel.json", R"({
    "intents": [
      {"id": "check", "start": "feel", "patterns": ["\\bcheck in\\b"]},
      {"id": "cold", "kind": "feeling", "start": "feel.cold",
       "patterns": ["\\bcold\\b"]},
      {"id": "sad", "kind": "feeling", "start": "feel.sad",
       "patterns": ["\\bsad\\b"]},
      {"id": "numb", "kind": "feeling", "start": "feel.numb",
       "patterns": ["\\bnumb\\b"]}
    ],
    "flows": [{"id": "feel", "start": "ask", "nodes": {
      "ask": {"say": ["How are you feeling?"], "capture": "feeling",
              "on": {"cold": "cold", "sad": "sad", "numb": "numb"},
              "else": "heard"},
      "cold": {"say": ["Feeling cold inside is hard."]},
      "sad": {"say": ["Sadness makes sense."]},
      "numb": {"say": ["Numbness can be a way through."]},
      "heard": {"say": ["Thank you for telling me."]}
    }}]
  })");
  std::unique_ptr<Engine> engine;
  Status s = Engine::Load(dialogs.dir(), &engine);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return engine;
}

TEST_CASE("The partner words of a feeling's clause come from ~partner",
          "[engine][flow][partner]") {
  const auto position_after = [](const Engine& engine, std::string_view text) {
    Session session;
    engine.Start(1, &session);
    REQUIRE(Position(engine.Respond("check in", &session)) == "feel.ask");
    return Position(engine.Respond(text, &session));
  };
  testing::ScratchDialogs shipped_words;
  auto without = LoadFeelingsQuestion(shipped_words, R"("husband", "wife")");
  testing::ScratchDialogs added_word;
  auto with = LoadFeelingsQuestion(added_word, R"("husband", "wife", "beau")");
  // The person's own feeling answers the question in both.
  CHECK(position_after(*without, "i feel cold") == "feel.cold");
  CHECK(position_after(*with, "i feel cold") == "feel.cold");
  // The partner's, by a word of the concept or a pronoun, does not: the
  // node takes it as free text.
  for (const Engine* engine : {without.get(), with.get()}) {
    CHECK(position_after(*engine, "my wife went cold") == "feel.heard");
    CHECK(position_after(*engine, "and then he went cold") == "feel.heard");
  }
  // A word added to the concept reaches the clause.
  CHECK(position_after(*without, "my beau went cold") == "feel.cold");
  CHECK(position_after(*with, "my beau went cold") == "feel.heard");
}

TEST_CASE("\"Where were we\" resumes the last topic with a recap",
          "[engine][flow][resume]") {
  auto engine = testing::LoadTestEngine();
  Session session;
  engine->Start(1, &session);

  SECTION("nothing to resume: a welcome and the menu") {
    Reply back = engine->Respond("where were we", &session);
    CHECK(back.intent == "resume");
    CHECK(back.messages.front().text == "Welcome back.");
    CHECK(Position(back) == "menu.start");
  }
  SECTION("after a goodbye, back to the topic") {
    engine->Respond("my husband cheated", &session);
    engine->Respond("bye", &session);
    Reply back = engine->Respond("hi, where were we", &session);
    CHECK(back.intent == "resume");
    REQUIRE(back.messages.size() == 2);
    CHECK(back.messages[0].text ==
          "Welcome back. We were talking about the cheating.");
    CHECK(Position(back) == "hurt.open");
    CHECK(session.stack.size() == 1);
  }
}

}  // namespace
}  // namespace trustcoach
