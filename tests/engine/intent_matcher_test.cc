#include "engine/intent_matcher.h"

#include <catch2/catch.hpp>

namespace trustcoach {
namespace {

std::vector<IntentSpec> Intents() {
  std::vector<IntentSpec> intents(6);
  intents[0] = {.id = "yes", .patterns = {"^(yes|sure)\\b"}, .local = true};
  intents[1] = {.id = "hurt",
                .topic = "infidelity",
                .patterns = {"\\bcheat(ed|ing)\\b",
                             "\\bmy (?P<partner>husband|wife|fiance) lied\\b"},
                .priority = 5};
  intents[2] = {.id = "anger", .topic = "anger", .patterns = {"\\bangry\\b"}};
  intents[3] = {
      .id = "example", .patterns = {"\\bexample\\b"}, .scope = {"promise.ask"}};
  intents[4] = {.id = "sure_topic", .patterns = {"\\bsure\\b"}, .priority = 9};
  intents[5] = {.id = "thanks",
                .patterns = {"\\bthanks\\b"},
                .start = "closing",
                .interrupts = true};
  return intents;
}

TEST_CASE("IntentMatcher picks by expectation, then priority, then order",
          "[engine][intent]") {
  const std::vector<IntentSpec> intents = Intents();
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());

  SECTION("priority wins among global intents") {
    IntentMatch m = matcher->Match("i am angry he cheated", {});
    REQUIRE(m.intent == 1);
    CHECK(m.candidates.size() == 2);
  }
  SECTION("named captures fill slots") {
    IntentMatch m = matcher->Match("my fiance lied to me", {});
    REQUIRE(m.intent == 1);
    CHECK(m.pattern == 1);
    CHECK(m.captures.at("partner") == "fiance");
  }
  SECTION("local intents only where a node expects them") {
    CHECK(matcher->Match("yes please", {}).intent == -1);
    const std::map<std::string, std::string> on = {{"yes", "next"}};
    IntentMatch m =
        matcher->Match("sure", {.flow = "f", .node = "n", .expected = &on});
    CHECK(m.intent == 0);  // expected beats the higher-priority global intent
    CHECK(m.candidates.size() == 2);
  }
  SECTION("scoped intents only in their flow node") {
    CHECK(matcher->Match("an example", {}).intent == -1);
    CHECK(matcher->Match("an example", {.flow = "promise", .node = "other"})
              .intent == -1);
    CHECK(matcher->Match("an example", {.flow = "promise", .node = "ask"})
              .intent == 3);
  }
  SECTION(
      "at a node that captures text, only expected and interrupting "
      "intents win") {
    const std::map<std::string, std::string> on = {{"yes", "next"}};
    const MatchContext capture{
        .flow = "f", .node = "n", .expected = &on, .captures_text = true};
    IntentMatch held = matcher->Match("i am angry he cheated", capture);
    CHECK(held.intent == -1);
    REQUIRE(held.candidates.size() == 2);
    CHECK(held.candidates[0].held);
    CHECK(held.candidates[1].held);
    CHECK(held.captures.empty());
    // "thanks" interrupts; the higher-priority "hurt" is held back.
    IntentMatch thanks = matcher->Match("thanks, he cheated", capture);
    CHECK(thanks.intent == 5);
    CHECK(thanks.candidates.size() == 2);
    // Expected intents are never held.
    CHECK(matcher->Match("sure, he cheated", capture).intent == 0);
    // Elsewhere the same text is a topic.
    CHECK(matcher->Match("i am angry he cheated", {.flow = "f", .node = "n"})
              .intent == 1);
  }
  SECTION("nothing matches") {
    IntentMatch m = matcher->Match("hello there", {});
    CHECK(m.intent == -1);
    CHECK(m.candidates.empty());
  }
  SECTION("MatchAll ignores scope") {
    CHECK(matcher->MatchAll("sure, an example") ==
          std::vector<std::string>{"yes", "example", "sure_topic"});
  }
}

TEST_CASE("IntentMatcher::Prepare changes no match", "[engine][intent]") {
  std::vector<IntentSpec> intents = Intents();
  intents.push_back({.id = "free_text",
                     .patterns = {"^(?P<reason>.{1,40})", "\\S"},
                     .local = true});
  intents.push_back({.id = "no",
                     .patterns = {"^(no|nope)\\b", "\\bnot really\\b"},
                     .local = true});
  std::unique_ptr<IntentMatcher> plain, prepared;
  REQUIRE(IntentMatcher::Create(intents, &plain).ok());
  REQUIRE(IntentMatcher::Create(intents, &prepared).ok());
  const std::vector<std::map<std::string, std::string>> nodes = {
      {},
      {{"anger", "a"}},
      {{"yes", "a"}},
      {{"yes", "a"}, {"no", "b"}, {"anger", "c"}},
      {{"free_text", "a"}, {"thanks", "b"}},
      {{"example", "a"}, {"free_text", "b"}, {"no", "c"}},
  };
  for (const auto& on : nodes) REQUIRE(prepared->Prepare(on).ok());

  const auto text = GENERATE(as<std::string>(), "sure, he cheated",
                             "no, not really", "my fiance lied to me",
                             "thanks, an example", "hello there", "", "  ");
  for (const auto& on : nodes) {
    for (const bool captures_text : {false, true}) {
      const MatchContext context{.flow = "promise",
                                 .node = "ask",
                                 .expected = &on,
                                 .captures_text = captures_text};
      const IntentMatch a = plain->Match(text, context);
      const IntentMatch b = prepared->Match(text, context);
      CHECK(a.intent == b.intent);
      CHECK(a.pattern == b.pattern);
      CHECK(a.captures == b.captures);
      REQUIRE(a.candidates.size() == b.candidates.size());
      for (size_t i = 0; i < a.candidates.size(); ++i) {
        CHECK(a.candidates[i].intent == b.candidates[i].intent);
        CHECK(a.candidates[i].pattern == b.candidates[i].pattern);
        CHECK(a.candidates[i].expected == b.candidates[i].expected);
        CHECK(a.candidates[i].held == b.candidates[i].held);
      }
    }
  }
  CHECK(plain->MatchAll(text) == prepared->MatchAll(text));
}

TEST_CASE("IntentMatcher reports RE2's error with the intent and file",
          "[engine][intent]") {
  std::vector<IntentSpec> intents = {
      {.id = "broken", .patterns = {"(unclosed"}, .file = "flows/x.json"}};
  std::unique_ptr<IntentMatcher> matcher;
  Status s = IntentMatcher::Create(intents, &matcher);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() ==
        "flows/x.json: intent 'broken' pattern 0 \"(unclosed\": missing ): "
        "(unclosed");
  CHECK(matcher == nullptr);
}

TEST_CASE("LooksLikeQuestion reads a question mark or an opening word",
          "[engine][intent]") {
  for (const char* text :
       {"would couples therapy help us", "how much does it cost",
        "ok, how do i", "so what now", "she lied?", "is it normal",
        "and should i tell him",
        "we have our first counselling appt thursday. what should i bring up",
        "i have never been to therapy, how do i find one"}) {
    INFO(text);
    CHECK(LooksLikeQuestion(text));
  }
  for (const char* text : {"i have been seeing a counsellor", "my sister",
                           "whatever", "", "showing up", "so so tired",
                           "i lied to her, then i hid it. it was wrong",
                           "she knows. i told her everything"}) {
    INFO(text);
    CHECK_FALSE(LooksLikeQuestion(text));
  }
}

TEST_CASE("LooksLikeQuestion reads question frames without a question mark",
          "[engine][intent]") {
  for (const char* text : {"any cheap counselling in bangalore",
                           "anyone know a good counsellor near me",
                           "we live in melbourne where do we even look",
                           "i was wondering is there a cheaper option"}) {
    INFO(text);
    CHECK(LooksLikeQuestion(text));
  }
  for (const char* text :
       {"i do not know how to feel", "i know where he is", "honestly just numb",
        "anyway he left", "there is nothing there",
        "my sister told me how does therapy work"}) {
    INFO(text);
    CHECK_FALSE(LooksLikeQuestion(text));
  }
}

TEST_CASE("NegatedCheat reads a cheating word negated or supposed",
          "[engine][intent]") {
  const auto negated = [](std::string_view text, std::string_view match) {
    const size_t at = text.find(match);
    return NegatedCheat(text, {at, at + match.size()});
  };
  CHECK(negated("i have never been cheated on", "cheated on"));
  CHECK(negated("even though he has never cheated", "he has never cheated"));
  CHECK(negated("what if she cheats on me", "cheats"));
  CHECK_FALSE(negated("my wife cheated on me", "my wife cheated"));
  CHECK_FALSE(negated("prove to him i am not cheating", "cheating"));
  CHECK_FALSE(negated("i am not sure if he cheated", "cheated"));
}

TEST_CASE("PartnerClause reads a clause whose subject is the partner",
          "[engine][intent]") {
  const RE2 partner_words("(?:husband|wife|other half)\\b");
  const auto partner = [&](std::string_view text, std::string_view word) {
    return PartnerClause(text, text.find(word), &partner_words);
  };
  CHECK(partner("he just shut down when i asked", "shut down"));
  CHECK(partner("i asked, and then my wife went cold", "cold"));
  CHECK(partner("they just went numb", "numb"));
  CHECK(partner("um so my other half went quiet", "quiet"));
  CHECK(partner("like he just shut down", "shut down"));
  CHECK_FALSE(partner("i just shut down", "shut down"));
  CHECK_FALSE(partner("he makes me so angry", "angry"));
  CHECK_FALSE(partner("he left and i feel numb", "numb"));
  CHECK_FALSE(partner("my sister is angry", "angry"));
  CHECK_FALSE(partner("my wifes friend is angry", "angry"));

  // Without partner words, only a pronoun is the partner.
  const std::string_view text = "my wife went cold";
  CHECK_FALSE(PartnerClause(text, text.find("cold"), nullptr));
  const std::string_view pronoun = "she went cold";
  CHECK(PartnerClause(pronoun, pronoun.find("cold"), nullptr));
}

TEST_CASE("OpensAsQuestion reads the opening word only", "[engine][intent]") {
  for (const char* text : {"what if she laughs at me", "ok so how long",
                           "should i say it tonight", "is that selfish?"}) {
    INFO(text);
    CHECK(OpensAsQuestion(text));
  }
  for (const char* text : {"sunday morning?", "i feel hurt when you leave", "",
                           "maybe after dinner?"}) {
    INFO(text);
    CHECK_FALSE(OpensAsQuestion(text));
  }
}

TEST_CASE("OpensWithQuestionFrame needs a verb or a question word with one",
          "[engine][intent]") {
  for (const char* text :
       {"is one lie a dealbreaker", "so do people actually stay together",
        "how do people even get over this", "what if it doesnt work",
        "ok but how long", "should i forgive him", "whats the point"}) {
    INFO(text);
    CHECK(OpensWithQuestionFrame(text));
  }
  for (const char* text :
       {"when i found out i was sick", "what happened was she left",
        "how i feel is complicated", "my sister?", "", "i think so"}) {
    INFO(text);
    CHECK_FALSE(OpensWithQuestionFrame(text));
  }
}

TEST_CASE("A statement answer does not take a text that opens as a question",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(2);
  intents[0] = {.id = "attempt",
                .patterns = {"^(?P<said>.{1,120})"},
                .priority = -10,
                .local = true,
                .statement = true};
  intents[1] = {.id = "worry", .patterns = {"\\bwhat if\\b"}, .priority = 12};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  const std::map<std::string, std::string> on = {{"attempt", "check"}};
  MatchContext context{.expected = &on};

  context.opens_question = OpensAsQuestion("i feel hurt when you go quiet");
  CHECK(matcher->Match("i feel hurt when you go quiet", context).intent == 0);
  // An expected intent wins over others, but a question is not an attempt.
  context.opens_question = OpensAsQuestion("what if she laughs at me");
  CHECK(matcher->Match("what if she laughs at me", context).intent == 1);
  context.opens_question = OpensAsQuestion("how long should it last");
  CHECK(matcher->Match("how long should it last", context).intent == -1);
}

TEST_CASE("Questions and closings break out of a free-text question",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(4);
  intents[0] = {.id = "yes", .patterns = {"^(yes|ok)\\b"}, .local = true};
  intents[1] = {.id = "cost",
                .patterns = {"\\bcost\\b"},
                .priority = 3,
                .kind = "question"};
  intents[2] = {
      .id = "bye", .patterns = {"\\bbye$"}, .priority = 5, .kind = "closing"};
  intents[3] = {
      .id = "topic", .patterns = {"\\bsister\\b"}, .priority = 9, .kind = "topic"};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  const std::map<std::string, std::string> on = {{"yes", "next"}};
  MatchContext capture{.expected = &on, .captures_text = true};

  CHECK(matcher->Match("my sister and the cost", capture).intent == -1);
  capture.question = true;
  CHECK(matcher->Match("what about my sister and the cost", capture).intent ==
        1);
  CHECK(matcher->Match("my sister. bye", capture).intent == 2);
  // A topic asked about in a question frame breaks out too ("is my sister
  // right"), after any question it comes with; "my sister?" is an answer.
  CHECK(matcher->Match("my sister?", capture).intent == -1);
  capture.asks = true;
  CHECK(matcher->Match("is my sister right", capture).intent == 3);
  CHECK(matcher->Match("is my sister right about the cost", capture).intent ==
        1);
  capture.asks = false;
  // A closing of higher priority beats an expected answer; a lower one not.
  const MatchContext plain{.expected = &on};
  CHECK(matcher->Match("ok bye", plain).intent == 2);
  intents[2].priority = 0;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  CHECK(matcher->Match("ok bye", plain).intent == 0);
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE("PatternWords counts the words a pattern needs", "[engine][intent]") {
  CHECK(PatternWords("\\bcheat(ed|ing)?\\b") == 1);
  CHECK(PatternWords("\\bmy (husband|wife) cheated\\b") == 3);
  CHECK(PatternWords("^(please )?(restart|start over)\\W*$") == 1);
  CHECK(PatternWords("\\bgo(ing|es)? through (his|her) phone\\b") == 4);
  // Gaps and optional parts count nothing.
  CHECK(PatternWords("\\bthinks?\\b[^.?!]{0,40}\\bmy fault\\b") == 3);
  CHECK(PatternWords("(?:a|b c)") == 1);
  CHECK(PatternWords("^(?P<reason>.{1,240})") == 0);
  CHECK(TopLevelAlternatives("a|b(c|d)|[|]x") ==
        std::vector<std::string_view>{"a", "b(c|d)", "[|]x"});
}

TEST_CASE("Equal priorities: the more specific match wins, not file order",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(3);
  intents[0] = {.id = "bare", .patterns = {"\\bfault\\b"}};
  intents[1] = {.id = "specific",
                .patterns = {"\\bcheat\\b|\\bi think it is my fault\\b"}};
  intents[2] = {.id = "higher", .patterns = {"\\bnever\\b"}, .priority = 1};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());

  IntentMatch m = matcher->Match("i think it is my fault", {});
  CHECK(m.intent == 1);
  REQUIRE(m.candidates.size() == 2);
  CHECK(m.candidates[0].words == 1);
  CHECK(m.candidates[1].words == 6);
  // The alternative that matched counts, not the pattern's least.
  CHECK(matcher->Match("a fault, a cheat", {}).intent == 0);
  // Priority still comes first.
  CHECK(matcher->Match("i think it is my fault, never", {}).intent == 2);
  // No tie: nothing is counted.
  IntentMatch alone = matcher->Match("a fault", {});
  CHECK(alone.intent == 0);
  CHECK(alone.candidates[0].words == -1);
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE("A question asked as one beats a bare keyword outside it",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(4);
  intents[0] = {.id = "lying",
                .patterns = {"\\blied\\b"},
                .priority = 9,
                .kind = "event"};
  intents[1] = {.id = "point",
                .patterns = {"\\bwhat is the point of therapy\\b"},
                .priority = 5,
                .kind = "question"};
  intents[2] = {.id = "identity",
                .patterns = {"\\bbisexual\\b"},
                .priority = 14,
                .kind = "topic"};
  intents[3] = {.id = "tell_others",
                .patterns = {"\\bshould i tell my parents\\b"},
                .priority = 13,
                .kind = "question"};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  const MatchContext asked{.question = true};

  // The keyword in a clause after the question, or in another sentence.
  CHECK(
      matcher->Match("what is the point of therapy if he lied", asked).intent ==
      1);
  CHECK(matcher->Match("he lied. what is the point of therapy", asked).intent ==
        1);
  // Not a question: priority decides as before.
  CHECK(matcher->Match("he lied. what is the point of therapy", {}).intent ==
        0);
  // The keyword is what the question asks about: it keeps its priority.
  CHECK(matcher->Match("should i tell my parents that i am bisexual", asked)
            .intent == 2);
  // A keyword in a clause with no connector stays.
  CHECK(matcher->Match("what is the point of therapy he lied", asked).intent ==
        0);

  // Never over an expected answer.
  const std::map<std::string, std::string> on = {{"lying", "next"}};
  const MatchContext expecting{.expected = &on, .question = true};
  CHECK(matcher->Match("what is the point of therapy if he lied", expecting)
            .intent == 0);
}

TEST_CASE("An expected catch-all does not swallow a question asked as one",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(3);
  intents[0] = {
      .id = "any_text", .patterns = {"\\S"}, .priority = -10, .local = true};
  intents[1] = {.id = "words",
                .patterns = {"\\bwhat do i say\\b"},
                .priority = 11,
                .kind = "question"};
  intents[2] = {.id = "bare",
                .patterns = {"\\bsay\\b"},
                .priority = 11,
                .kind = "question"};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  const std::map<std::string, std::string> on = {{"any_text", "next"}};
  const MatchContext answer{.expected = &on};
  MatchContext asked{.expected = &on, .question = true};

  CHECK(matcher->Match("what do i say to her", asked).intent == 1);
  // A statement is the answer, and so is a question a bare word matches.
  CHECK(matcher->Match("what do i say to her", answer).intent == 0);
  CHECK(matcher->Match("did he say it?", asked).intent == 0);
}

TEST_CASE("A practical question beats a listed topic of lower priority",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(4);
  intents[0] = {.id = "infidelity",
                .topic = "infidelity",
                .patterns = {"\\baffair\\b"},
                .priority = 10,
                .kind = "event"};
  intents[1] = {.id = "intimacy_after",
                .topic = "intimacy",
                .patterns = {"\\bhave sex again after the affair\\b"},
                .priority = 16,
                .kind = "question"};
  intents[2] = {.id = "ask_too_late",
                .topic = "therapy",
                .patterns = {"\\bis there any hope\\b"},
                .priority = 9,
                .kind = "question"};
  intents[3] = {.id = "survive",
                .topic = "stay_or_leave",
                .patterns = {"\\bany hope\\b"},
                .priority = 16,
                .kind = "question"};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  const std::map<std::string, std::string> on = {{"infidelity", "x"},
                                                 {"ask_too_late", "y"}};
  MatchContext context{.expected = &on};
  const std::string text = "how do we have sex again after the affair";
  // Said as a statement, the listed topic keeps it.
  CHECK(matcher->Match(text, context).intent == 0);
  context.question = true;
  CHECK(matcher->Match(text, context).intent == 1);
  // A listed question keeps a question that is no more specific.
  CHECK(matcher->Match("is there any hope", context).intent == 2);
}

TEST_CASE("A keyword inside what the partner says is not the node's feeling",
          "[engine][intent]") {
  std::vector<IntentSpec> intents(3);
  intents[0] = {.id = "anxiety",
                .topic = "anxiety",
                .patterns = {"\\b(anxious|paranoid|worried)\\b"},
                .priority = 6,
                .kind = "feeling"};
  intents[1] = {
      .id = "labelled",
      .topic = "communication",
      .patterns = {"\\b(he|she) says i am (being )?(paranoid|crazy)\\b"},
      .priority = 13,
      .kind = "event",
      .about = "partner"};
  intents[2] = {.id = "fear_of_loss",
                .topic = "loss",
                .patterns = {"\\bworried (he|she) will leave me\\b"},
                .priority = 13,
                .kind = "feeling"};
  std::unique_ptr<IntentMatcher> matcher;
  REQUIRE(IntentMatcher::Create(intents, &matcher).ok());
  const std::map<std::string, std::string> on = {{"anxiety", "x"}};
  MatchContext context{.expected = &on};
  // The keyword is part of the partner's words: the label wins.
  CHECK(matcher->Match("he says i am being paranoid", context).intent == 1);
  // The keyword outside it is the person's own feeling: the node's answer.
  CHECK(matcher->Match("i am so anxious and he says i am crazy", context)
            .intent == 0);
  // A phrase not about the partner does not overrule the expected feeling.
  CHECK(matcher->Match("i am worried he will leave me", context).intent == 0);
  // Named by the node, the label is simply the expected answer.
  const std::map<std::string, std::string> both = {{"anxiety", "x"},
                                                   {"labelled", "y"}};
  MatchContext named{.expected = &both};
  CHECK(matcher->Match("he says i am paranoid", named).intent == 1);
}

}  // namespace
}  // namespace trustcoach
