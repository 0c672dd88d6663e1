// Conversation behaviour over the shipped dialogs (issue 15): ranking by
// specificity, restarting, thanks mid-flow, fallbacks that help, no
// repeats and reflection.
#include <deque>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "tests/testing/dialogs.h"

namespace trustcoach {
namespace {

using testing::Joined;

const Engine& Shipped() {
  static const std::unique_ptr<Engine> engine = [] {
    std::unique_ptr<Engine> loaded;
    Status s = Engine::Load(TRUSTCOACH_DIALOGS_DIR, &loaded);
    INFO(s.ToString());
    REQUIRE(s.ok());
    return loaded;
  }();
  return *engine;
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE(
    "No reply text is said twice within six turns of the dev "
    "conversations",
    "[dialogs][repeats]") {
  std::ifstream in(std::string(TRUSTCOACH_TESTDATA_DIR) +
                   "/conversations_dev.jsonl");
  REQUIRE(in.good());
  struct Said {
    std::string user;
    std::vector<std::string> texts;
  };
  int conversations = 0;
  int turns = 0;
  int repeats = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const nlohmann::json conversation = nlohmann::json::parse(line);
    ++conversations;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      Session session;
      Shipped().Start(seed, &session);
      std::deque<Said> recent;  // the five turns before this one
      for (const auto& turn : conversation["turns"]) {
        const std::string user = turn["user"].get<std::string>();
        const Reply reply = Shipped().Respond(user, &session);
        ++turns;
        Said now{user, {}};
        for (const Message& message : reply.messages) {
          for (const Said& before : recent) {
            // Asked for again: the same message.
            if (before.user == user) continue;
            for (const std::string& text : before.texts) {
              if (text == message.text) {
                ++repeats;
                UNSCOPED_INFO(conversation["id"] << " seed " << seed << ": \""
                                                 << user << "\" repeats \""
                                                 << text << "\"");
              }
            }
          }
          now.texts.push_back(message.text);
        }
        recent.push_back(std::move(now));
        if (recent.size() > 5) recent.pop_front();
      }
    }
  }
  CHECK(conversations >= 40);
  CHECK(turns > 300);
  // A ratchet, not yet the goal of none: 129 repeats over 3 seeds when
  // this test was written, most of them a node's question said again on
  // return from a detour, the return lines, and the safety flow's crisis
  // and check-in lines (which are kept on purpose while the risk lasts).
  // 60 once a recap is said once in six turns and a question asked lately
  // is not replayed after a detour (issue 15, follow3); what is left is
  // mostly the safety flow's lines. Lower the bound as they are fixed.
  // 40 once an offer is made at most twice in six turns and taken as yes
  // when asked for again, and an exercise step gives way to what is not an
  // attempt (issue 15, fallback4; 32 then).
  CHECK(repeats <= 40);
}

TEST_CASE("Equal priorities go to the more specific pattern, not file order",
          "[dialogs][ranking]") {
  Session session;
  Shipped().Start(1, &session);
  // self_blame and blamed_by_others share priority 11; "i think" is not
  // someone else's blame, and the self-blame pattern needs more words.
  Reply reply = Shipped().Respond(
      "my husband cheated and honestly i think its my fault", &session);
  CHECK(reply.intent == "self_blame");
}

TEST_CASE("A lone 'start over' is asked about; a request restarts",
          "[dialogs][ranking]") {
  Session session;
  Shipped().Start(1, &session);
  Shipped().Respond("my wife cheated on me", &session);
  const std::string before = session.stack.back().flow;

  Reply ask = Shipped().Respond("start over", &session);
  CHECK(ask.intent == "restart_ask");
  CHECK(ask.flow + "." + ask.node == "restart.ask");
  REQUIRE_FALSE(ask.messages.empty());
  CHECK(ask.messages.back().quick_replies ==
        std::vector<std::string>{"Yes", "No"});

  SECTION("no: back to the topic, its question not replayed") {
    Reply no = Shipped().Respond("no", &session);
    CHECK(no.flow == before);
    CHECK(session.stack.size() == 1);
  }
  SECTION("yes: the opening, nothing left to resume") {
    Reply yes = Shipped().Respond("yes", &session);
    CHECK(yes.flow == "welcome");
    CHECK(session.stack.size() == 1);
  }
  SECTION("a whole request restarts at once") {
    Session other;
    Shipped().Start(1, &other);
    Shipped().Respond("my wife cheated on me", &other);
    Reply restart = Shipped().Respond("can we start over please", &other);
    CHECK(restart.intent == "restart");
    CHECK(restart.flow == "welcome");
  }
  SECTION("'start over' in a sentence is not a restart") {
    Reply life =
        Shipped().Respond("I am 34 and I don't want to start over", &session);
    CHECK(life.intent != "restart");
    CHECK(life.intent != "restart_ask");
  }
}

TEST_CASE("Thanks mid-flow is short and does not replay the question",
          "[dialogs][thanks]") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Session session;
    Shipped().Start(seed, &session);
    const Reply topic = Shipped().Respond("my wife cheated on me", &session);
    REQUIRE_FALSE(topic.messages.empty());
    const std::string question = topic.messages.back().text.substr(
        topic.messages.back().text.rfind("\n\n") == std::string::npos
            ? 0
            : topic.messages.back().text.rfind("\n\n") + 2);
    const FlowPosition at = session.stack.back();

    const Reply thanks = Shipped().Respond("thank you", &session);
    const std::string text = Joined(thanks);
    INFO(text);
    CHECK(thanks.intent == "thanks");
    CHECK((Has(text, "welcome") || Has(text, "glad")));
    CHECK_FALSE(Has(text, question));
    // Still at the question: its answers still work.
    CHECK(session.stack.back() == at);
    CHECK(thanks.messages.back().quick_replies ==
          topic.messages.back().quick_replies);
  }
}

TEST_CASE("Fallbacks offer guesses and ask to rephrase once at most",
          "[dialogs][fallback]") {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Session session;
    Shipped().Start(seed, &session);
    int rephrase = 0;
    for (const char* text : {"zxcv bnm", "hjkl", "my wife cheated on me",
                             "qwerty uiop", "asdf", "poiu"}) {
      const Reply reply = Shipped().Respond(text, &session);
      const std::string said = Joined(reply);
      if (Has(said, "another way") || Has(said, "different words")) {
        ++rephrase;
      }
      if (reply.fallback && !reply.messages.empty()) {
        INFO(said);
        CHECK(reply.messages.back().quick_replies.size() >= 2);
        CHECK(reply.messages.back().quick_replies.size() <= 5);
      }
    }
    CHECK(rephrase <= 1);
  }
}

TEST_CASE("A second miss in a row gets a warmer line and guesses",
          "[dialogs][fallback]") {
  Session session;
  Shipped().Start(3, &session);
  const Reply first = Shipped().Respond("zxcv bnm", &session);
  CHECK(first.fallback);
  const Reply second = Shipped().Respond("hjkl", &session);
  CHECK(second.fallback);
  const std::string text = Joined(second);
  INFO(text);
  CHECK((Has(text, "sorry") || Has(text, "bearing with me")));
  CHECK_FALSE(Has(text, "another way"));
  REQUIRE_FALSE(second.messages.empty());
  const std::vector<std::string>& offered =
      second.messages.back().quick_replies;
  CHECK(offered.size() >= 2);
  CHECK(offered.size() <= 3);
}

TEST_CASE("Emotional turns say one phrase back; never blame or harm",
          "[dialogs][reflection]") {
  const auto reply_to = [](const std::string& text) {
    Session session;
    Shipped().Start(1, &session);
    return Joined(Shipped().Respond(text, &session));
  };
  CHECK(Has(reply_to("i feel so alone since she left"),
            "you feel so alone since she left"));
  CHECK(Has(reply_to("honestly i feel so angry and let down"),
            "you feel so angry and let down"));
  // Never an accusation, self-blame, or the partner's feeling.
  CHECK_FALSE(Has(reply_to("i feel like a terrible person"), "you feel like"));
  CHECK_FALSE(Has(reply_to("i feel stupid for not seeing it"),
                  "you feel stupid for not seeing it"));
  CHECK_FALSE(Has(reply_to("he was really hurt when i told him"),
                  "he was really hurt"));
}

TEST_CASE("An \"I\" statement step takes only what looks like an attempt",
          "[dialogs][exercise]") {
  auto [text, attempt] = GENERATE(table<std::string, bool>({
      {"I feel scared when you come home late without texting", true},
      {"i need you to tell me when plans change", true},
      {"it hurts me when you go quiet", true},
      {"what if she just laughs at me?", false},
      {"she wants to talk tonight. i always get defensive", false},
      {"grand", false},
      {"ta ra", false},
      {"honestly i'm just exhausted by all of it", false},
  }));
  CAPTURE(text);
  Session session;
  Shipped().Start(1, &session);
  Shipped().Respond("i statements", &session);
  REQUIRE(session.stack.back().node == "i_intro");
  const Reply reply = Shipped().Respond(text, &session);
  CHECK((reply.intent == "text_i_statement") == attempt);
  CHECK(!reply.fallback);
}

}  // namespace
}  // namespace trustcoach
