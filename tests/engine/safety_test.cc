#include "engine/safety.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <re2/re2.h>

#include "engine/dialog_loader.h"
#include "engine/engine.h"
#include "engine/normalizer.h"
#include "engine/risk.h"

namespace trustcoach {
namespace {

using nlohmann::json;

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  return json::parse(in);
}

std::string Dialogs(const std::string& relative) {
  return std::string(TRUSTCOACH_DIALOGS_DIR) + "/" + relative;
}

// The shipped screen, helplines and substitutions (concepts expanded, as
// the engine loads them), built once for every test here.
struct Shipped {
  std::unique_ptr<DialogSet> dialogs;
  const SafetyScreen* screen = nullptr;
  const ResourceDirectory* resources = nullptr;

  SafetyVerdict Check(const std::string& text,
                      const SafetyContext& context = {}) const {
    return screen->Check(Normalize(text, dialogs->substitutions()), context);
  }
};

const Shipped& LoadShipped() {
  static const Shipped* shipped = [] {
    auto* loaded = new Shipped();
    Status s = DialogSet::Load(TRUSTCOACH_DIALOGS_DIR, &loaded->dialogs);
    INFO(s.ToString());
    REQUIRE(s.ok());
    loaded->screen = &loaded->dialogs->safety();
    loaded->resources = &loaded->dialogs->resources();
    return loaded;
  }();
  return *shipped;
}

TEST_CASE("SafetyScreen flags crisis phrasings of every kind",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [text, kind] = GENERATE(table<std::string, SafetyKind>({
      {"i want to end it all", SafetyKind::kSuicide},
      {"I just want to die", SafetyKind::kSuicide},
      {"everyone would be better off without me", SafetyKind::kSuicide},
      {"I can't go on", SafetyKind::kSuicide},
      {"there's no reason to live anymore", SafetyKind::kSuicide},
      {"I've been writing goodbye letters", SafetyKind::kSuicide},
      {"I'm thinking about stepping in front of a train", SafetyKind::kSuicide},
      {"I cut myself again last night", SafetyKind::kSelfHarm},
      {"the urge to self-harm is back", SafetyKind::kSelfHarm},
      {"I burn myself when it gets too much", SafetyKind::kSelfHarm},
      {"my husband hits me", SafetyKind::kAbuse},
      {"he strangled me during the fight", SafetyKind::kAbuse},
      {"she controls all my money and takes my phone", SafetyKind::kAbuse},
      {"he tracks my location and won't let me see my friends",
       SafetyKind::kAbuse},
      {"he threatens to take the kids if I leave", SafetyKind::kAbuse},
      {"I'm afraid of my boyfriend", SafetyKind::kAbuse},
      {"my partner is emotionally abusive", SafetyKind::kAbuse},
      {"he raped me", SafetyKind::kSexualViolence},
      {"he pressures me into sex when I say no", SafetyKind::kSexualViolence},
      {"she forced me to have sex", SafetyKind::kSexualViolence},
      {"I want to kill the guy she cheated with", SafetyKind::kViolence},
      {"sometimes I hit her when I get angry", SafetyKind::kViolence},
      {"he is outside with a knife", SafetyKind::kDangerNow},
      {"she locked me in the bedroom", SafetyKind::kDangerNow},
      {"I just took a bunch of pills", SafetyKind::kDangerNow},
      {"my daughter was molested by her coach", SafetyKind::kChildSafety},
  }));
  CAPTURE(text);
  const SafetyVerdict verdict = shipped.Check(text);
  CHECK(verdict.level == SafetyLevel::kCrisis);
  CHECK(verdict.kind == kind);
  CHECK_FALSE(verdict.rule.empty());
}

TEST_CASE("Idioms are not crises", "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto text =
      GENERATE(as<std::string>{}, "this week is killing me",
               "I could die of embarrassment", "I'm dying to see him",
               "I would kill for a coffee", "my feet are killing me",
               "it kills me that he lied", "I cut him off", "hit me up later",
               "it finally hit me", "beats me why", "I'm dead tired",
               "I want to end it with him", "his drug abuse ruined us",
               "he pushed me away", "she kicked me out",
               "we watched Suicide Squad", "the affair killed my self esteem",
               "I need to cut ties with her", "I burned myself out");
  CAPTURE(text);
  CHECK(shipped.Check(text).level == SafetyLevel::kNone);
}

TEST_CASE("Negated statements get a check-in, not the crisis answer",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [text, kind] = GENERATE(table<std::string, SafetyKind>({
      {"I would never hurt myself", SafetyKind::kSelfHarm},
      {"I am not suicidal, just tired", SafetyKind::kSuicide},
      {"I'd never kill myself, I have my kids", SafetyKind::kSuicide},
      {"I don't want to die, I want the pain to stop", SafetyKind::kSuicide},
      {"i'm not suicidal but sometimes i wish i was never born",
       SafetyKind::kSuicide},
      {"he has never hit me", SafetyKind::kAbuse},
      {"I would never hurt her", SafetyKind::kViolence},
  }));
  CAPTURE(text);
  const SafetyVerdict verdict = shipped.Check(text);
  CHECK(verdict.level == SafetyLevel::kCheckIn);
  CHECK(verdict.kind == kind);
}

TEST_CASE("An idiom or a negation does not hide a crisis in the same message",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [text, kind] = GENERATE(table<std::string, SafetyKind>({
      {"this week is killing me and i want to kill myself",
       SafetyKind::kSuicide},
      {"i am not suicidal but i cut myself yesterday", SafetyKind::kSelfHarm},
      {"i would never kill myself but i want to die", SafetyKind::kSuicide},
      {"he's not abusive, he only chokes me when he's drunk",
       SafetyKind::kAbuse},
      {"I could die of embarrassment, he hits me in front of people",
       SafetyKind::kAbuse},
  }));
  CAPTURE(text);
  const SafetyVerdict verdict = shipped.Check(text);
  CHECK(verdict.level == SafetyLevel::kCrisis);
  CHECK(verdict.kind == kind);
}

TEST_CASE("Misspellings, upper case and chat spellings do not defeat it",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [text, kind] = GENERATE(table<std::string, SafetyKind>({
      {"I WANT TO KILL MYSELF", SafetyKind::kSuicide},
      {"kms", SafetyKind::kSuicide},
      {"i wanna kil myself", SafetyKind::kSuicide},
      {"i want to kill my self", SafetyKind::kSuicide},
      {"im feeling sucidal", SafetyKind::kSuicide},
      {"having suicde thoughts again", SafetyKind::kSuicide},
      {"I feel suicidal", SafetyKind::kSuicide},
      {"I want to unalive myself", SafetyKind::kSuicide},
      {"i dont want to live anymore", SafetyKind::kSuicide},
      {"I can\u2019t go on", SafetyKind::kSuicide},
      {"my bf hits me", SafetyKind::kAbuse},
      {"HE CHOKED ME", SafetyKind::kAbuse},
      {"i keep cuting myself", SafetyKind::kSelfHarm},
      {"selfharm again", SafetyKind::kSelfHarm},
  }));
  CAPTURE(text);
  const SafetyVerdict verdict = shipped.Check(text);
  CHECK(verdict.level == SafetyLevel::kCrisis);
  CHECK(verdict.kind == kind);
}

TEST_CASE("A minor is noticed, and abuse of a minor is child safety",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  SECTION("abuse or sexual content from a minor") {
    auto text = GENERATE(as<std::string>{},
                         "I'm being forced to have sex and I'm only 12",
                         "im 14 and my boyfriend hits me",
                         "I'm in middle school and my uncle touched me",
                         "i am in high school and he raped me",
                         "I'm 15 and an older guy keeps asking me for nudes");
    CAPTURE(text);
    const SafetyVerdict verdict = shipped.Check(text);
    CHECK(verdict.level == SafetyLevel::kCrisis);
    CHECK(verdict.kind == SafetyKind::kChildSafety);
    CHECK(verdict.minor);
  }
  SECTION("a minor with no crisis") {
    const SafetyVerdict verdict =
        shipped.Check("I'm 16 and my boyfriend cheated on me");
    CHECK(verdict.level == SafetyLevel::kNone);
    CHECK(verdict.minor);
  }
  SECTION("a minor at risk of suicide keeps the kind, with youth resources") {
    const SafetyVerdict verdict = shipped.Check("I'm 13 and I want to die");
    CHECK(verdict.kind == SafetyKind::kSuicide);
    CHECK(verdict.minor);
  }
  SECTION("ages and school in the past are not a minor") {
    auto text = GENERATE(as<std::string>{}, "when I was 15 my parents split",
                         "I met my wife in high school", "I am 35",
                         "I'm 19 and he cheated", "i am 15 minutes late");
    CAPTURE(text);
    CHECK_FALSE(shipped.Check(text).minor);
  }
}

TEST_CASE("Some rules count only when the person says they are a minor",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  const SafetyVerdict minor =
      shipped.Check("I'm 14 and he keeps asking me for nudes");
  CHECK(minor.level == SafetyLevel::kCrisis);
  CHECK(minor.kind == SafetyKind::kChildSafety);
  CHECK(shipped.Check("he keeps asking me for nudes").level ==
        SafetyLevel::kNone);
  CHECK(shipped.Check("I'm 15 and my boyfriend is 23").kind ==
        SafetyKind::kChildSafety);
  CHECK(shipped.Check("I'm 24 and my boyfriend is 23").level ==
        SafetyLevel::kNone);
}

TEST_CASE(
    "Words of harm near the person get a check-in when no rule explains "
    "them",
    "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [text, kind] = GENERATE(table<std::string, SafetyKind>({
      {"sometimes I think about death a lot", SafetyKind::kSuicide},
      {"I have dark thoughts at night", SafetyKind::kSuicide},
      {"sex with him makes me scared", SafetyKind::kSexualViolence},
      {"my boyfriend scares me when he drinks", SafetyKind::kAbuse},
  }));
  CAPTURE(text);
  const SafetyVerdict verdict = shipped.Check(text);
  CHECK(verdict.level == SafetyLevel::kCheckIn);
  CHECK(verdict.kind == kind);
}

TEST_CASE("Abuse is flagged even when a more urgent kind decides",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  const SafetyVerdict verdict =
      shipped.Check("he beats me and I want to kill myself");
  CHECK(verdict.kind == SafetyKind::kSuicide);
  CHECK(verdict.abuse);
  CHECK_FALSE(shipped.Check("I want to kill myself").abuse);
}

TEST_CASE("Safety kinds and levels have stable names", "[engine][safety]") {
  for (SafetyKind kind :
       {SafetyKind::kNone, SafetyKind::kSuicide, SafetyKind::kSelfHarm,
        SafetyKind::kAbuse, SafetyKind::kViolence, SafetyKind::kDangerNow,
        SafetyKind::kSexualViolence, SafetyKind::kChildSafety}) {
    CHECK(ParseSafetyKind(SafetyKindName(kind)) == kind);
  }
  CHECK(SafetyKindName(SafetyKind::kDangerNow) == "danger_now");
  CHECK_FALSE(ParseSafetyKind("crisis").has_value());
  CHECK(SafetyLevelName(SafetyLevel::kCheckIn) == "check_in");
  CHECK(SafetyLevelName(SafetyLevel::kCrisis) == "crisis");
  CHECK(SafetyLevelName(SafetyLevel::kNone) == "none");
}

TEST_CASE("A broken safety.json gives a Status naming the file and rule",
          "[engine][safety]") {
  auto [spec, expected] = GENERATE(table<std::string, std::string>({
      {R"({"crisis": [{"id": "s.x", "kind": "suicide", "patterns": ["(oops"]}]})",
       "safety.json: /crisis/0: rule 's.x': pattern 0 /(oops/: missing ): "
       "(oops"},
      {R"({"crisis": [{"id": "s.x", "kind": "sadness", "patterns": ["x"]}]})",
       "safety.json: /crisis/0: rule 's.x': unknown kind 'sadness'"},
      {R"({"crisis": [{"kind": "suicide", "patterns": ["x"]}]})",
       "safety.json: /crisis/0/id: required string is missing"},
      {R"({"crisis": [{"id": "s.x", "kind": "suicide", "patterns": []}]})",
       "safety.json: /crisis/0: rule 's.x': needs a list of patterns"},
      {R"({"crisis": [{"id": "s.x", "kind": "suicide", "patern": ["x"]}]})",
       "safety.json: /crisis/0/patern: unknown key"},
      {R"({"crisis": {}})", "safety.json: /crisis: expected a list of rules"},
      {R"({"idioms": []})",
       "safety.json: /crisis: required list of rules is missing"},
      {R"({"crisis": [], "extra": 1})", "safety.json: /extra: unknown key"},
      {R"({"crisis": [], "minor_upgrades": ["grief"]})",
       "safety.json: /minor_upgrades: unknown kind 'grief'"},
      {R"({"crisis": [{"id": "s.x", "kind": "suicide", "patterns": [7]}]})",
       "safety.json: [json.exception.type_error.302] (/0) type must be "
       "string, but is number"},
      {R"([1, 2])", "safety.json: expected an object"},
  }));
  CAPTURE(spec);
  std::unique_ptr<SafetyScreen> screen;
  Status s = SafetyScreen::Create(json::parse(spec), "safety.json", &screen);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == expected);
  CHECK(screen == nullptr);
}

TEST_CASE(
    "risk_kinds limits a while_risk rule to some states; answer names its node",
    "[engine][safety]") {
  const std::string spec = R"({"crisis": [
      {"id": "risk.fear", "while_risk": true, "risk_kinds": ["abuse"],
       "answer": "fear_return", "patterns": ["\\bscared\\b"]},
      {"id": "s.die", "kind": "suicide", "patterns": ["\\bwant to die\\b"]}]})";
  std::unique_ptr<SafetyScreen> screen;
  REQUIRE(SafetyScreen::Create(json::parse(spec), "safety.json", &screen).ok());
  CHECK(screen->AnswerNodes() == std::vector<std::string>{"fear_return"});
  // Outside a risk state, and in a suicide state, it does not count.
  CHECK(screen->Check("i am scared").level == SafetyLevel::kNone);
  const SafetyVerdict suicide_state =
      screen->Check("i am scared", {.risk = SafetyKind::kSuicide});
  CHECK(suicide_state.level == SafetyLevel::kNone);
  // After abuse it does, with the state's kind and its own answer.
  const SafetyVerdict abuse_state =
      screen->Check("i am scared", {.risk = SafetyKind::kAbuse});
  CHECK(abuse_state.level == SafetyLevel::kCrisis);
  CHECK(abuse_state.kind == SafetyKind::kAbuse);
  CHECK(abuse_state.answer == "fear_return");
  // A more urgent kind in the same message decides, with its own node.
  const SafetyVerdict both = screen->Check("i am scared and i want to die",
                                           {.risk = SafetyKind::kAbuse});
  CHECK(both.kind == SafetyKind::kSuicide);
  CHECK(both.answer.empty());
}

TEST_CASE("a check-in that counts only in a risk state is risk_only",
          "[engine][safety]") {
  const std::string spec = R"({"crisis": [
      {"id": "s.die", "kind": "suicide", "patterns": ["\\bwant to die\\b"]}],
      "check_in": [
      {"id": "risk.change_subject", "while_risk": true,
       "patterns": ["\\bsomething else\\b"]},
      {"id": "c.passive", "kind": "suicide", "patterns": ["\\bno point\\b"]}]})";
  std::unique_ptr<SafetyScreen> screen;
  REQUIRE(SafetyScreen::Create(json::parse(spec), "safety.json", &screen).ok());
  const SafetyContext risk{.risk = SafetyKind::kSuicide};
  // The risk state's own check-in: a safety node's `on` may answer it.
  const SafetyVerdict change = screen->Check("something else", risk);
  CHECK(change.level == SafetyLevel::kCheckIn);
  CHECK(change.kind == SafetyKind::kSuicide);
  CHECK(change.risk_only);
  // A check-in that counts anywhere is not, alone or beside it.
  CHECK_FALSE(screen->Check("no point", risk).risk_only);
  CHECK_FALSE(screen->Check("no point, something else", risk).risk_only);
  CHECK_FALSE(screen->Check("no point").risk_only);
}

TEST_CASE("The long-tail net: a means and hopelessness together ask a check-in",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  for (const std::string text :
       {"the knot is tied, i just need the house empty",
        "meds all counted, nothing left for me here",
        "no way out of this, the rope is in the shed"}) {
    INFO(text);
    const SafetyVerdict verdict = shipped.Check(text);
    CHECK(verdict.level != SafetyLevel::kNone);
    CHECK(verdict.kind == SafetyKind::kSuicide);
  }
  for (const std::string text :
       {"we tied the knot in june", "i gave up the sleeping pills last month",
        "last time i took those pills i felt sick",
        "we are better off taking the train, no point driving"}) {
    INFO(text);
    CHECK(shipped.Check(text).level == SafetyLevel::kNone);
  }
}

TEST_CASE("risk_kinds needs while_risk and known kinds", "[engine][safety]") {
  for (
      const char* spec :
      {R"({"crisis": [{"id": "r", "kind": "abuse", "risk_kinds": ["abuse"], "patterns": ["x"]}]})",
       R"({"crisis": [{"id": "r", "while_risk": true, "risk_kinds": ["grief"], "patterns": ["x"]}]})",
       R"({"crisis": [{"id": "r", "while_risk": true, "risk_kinds": [], "patterns": ["x"]}]})"}) {
    CAPTURE(spec);
    std::unique_ptr<SafetyScreen> screen;
    CHECK(SafetyScreen::Create(json::parse(spec), "safety.json", &screen)
              .IsInvalidArgument());
  }
}

TEST_CASE("Regions resolve from locales, codes and aliases",
          "[engine][safety][resources]") {
  const Shipped& shipped = LoadShipped();
  auto [input, region] = GENERATE(table<std::string, std::string>({
      {"en-GB", "GB"},
      {"gb", "GB"},
      {"UK", "GB"},
      {"en_IE", "IE"},
      {"ga-IE", "IE"},
      {"AU", "AU"},
      {"en-AU", "AU"},
      {"fr-CA", "CA"},
      {"en-US", "US"},
      {"en-GB,en;q=0.9", "GB"},
      {"zh-Hant-TW", "INTL"},
      {"es-419", "INTL"},
      {"en", "INTL"},
      {"ca-ES", "INTL"},
      {"", "INTL"},
      {"xx", "INTL"},
  }));
  CAPTURE(input);
  CHECK(shipped.resources->ResolveRegion(input) == region);
}

TEST_CASE("Resources put the emergency number first and fit the kind",
          "[engine][safety][resources]") {
  const Shipped& shipped = LoadShipped();
  const ResourceDirectory& directory = *shipped.resources;
  const auto kinds = [](const std::vector<Resource>& resources) {
    std::vector<std::string> out;
    for (const Resource& resource : resources) out.push_back(resource.kind);
    return out;
  };

  std::vector<Resource> suicide =
      directory.ResourcesFor(SafetyKind::kSuicide, false, "US");
  REQUIRE(suicide.size() >= 2);
  CHECK(suicide[0].phone == "911");
  CHECK(suicide[1].phone == "988");

  CHECK(kinds(directory.ResourcesFor(SafetyKind::kAbuse, false, "GB")) ==
        std::vector<std::string>{"emergency", "abuse", "crisis", "crisis"});
  std::vector<Resource> minor =
      directory.ResourcesFor(SafetyKind::kChildSafety, true, "AU");
  CHECK(kinds(minor).at(1) == "youth");
  CHECK(minor.at(1).phone == "1800 55 1800");
  CHECK(kinds(directory.ResourcesFor(SafetyKind::kSuicide, true, "IE")).at(1) ==
        "youth");
  CHECK(directory.ResourcesFor(SafetyKind::kSexualViolence, false, "IE")
            .at(1)
            .phone == "1800 77 8888");

  // Unknown regions get the international default.
  std::vector<Resource> unknown =
      directory.ResourcesFor(SafetyKind::kSuicide, false, "ZZ");
  REQUIRE_FALSE(unknown.empty());
  CHECK(unknown[0].kind == "emergency");
  CHECK(unknown == directory.ResourcesFor(SafetyKind::kSuicide, false,
                                          directory.ResolveRegion("")));
}

TEST_CASE("Every shipped region has emergency, crisis, abuse and youth lines",
          "[engine][safety][resources]") {
  const json spec = ReadJson(Dialogs("resources.json"));
  for (const char* region : {"US", "GB", "IE", "CA", "AU", "INTL"}) {
    CAPTURE(region);
    REQUIRE(spec["regions"].contains(region));
    std::set<std::string> kinds;
    for (const json& resource : spec["regions"][region]["resources"]) {
      kinds.insert(resource["kind"].get<std::string>());
      CHECK_FALSE(resource.value("source", "").empty());
    }
    for (const char* kind : {"emergency", "crisis", "abuse", "youth"}) {
      CAPTURE(kind);
      CHECK(kinds.count(kind) == 1);
    }
  }
}

TEST_CASE("A broken resources.json gives a Status naming the file",
          "[engine][safety][resources]") {
  auto [spec, expected] = GENERATE(table<std::string, std::string>({
      {R"({"default": "US", "regions": {}})",
       "resources.json: /default: 'US' is not a region"},
      {R"({"default": "US", "regions": {"US": {"resources": []}}})",
       "resources.json: /regions/US: has no resources"},
      {R"({"default": "US", "regions": {"US": {"resources": [
         {"kind": "crisis", "name": "988", "phone": "988"}]}}})",
       "resources.json: /regions/US/resources/0/source: say where '988' is "
       "published"},
      {R"({"default": "US", "regions": {"US": {"resources": [
         {"kind": "crisis", "name": "988", "web": "http://988lifeline.org",
          "source": "x"}]}}})",
       "resources.json: /regions/US/resources/0/web: must start with "
       "https://"},
      {R"({"default": "US", "regions": {"US": {"resources": [
         {"kind": "crisis", "name": "988", "source": "x"}]}}})",
       "resources.json: /regions/US/resources/0: '988' needs a phone, sms or "
       "web"},
      {R"({"default": "US", "aliases": {"UK": "GB"}, "regions": {"US":
         {"resources": [{"kind": "crisis", "name": "x", "phone": "1",
          "source": "x"}]}}})",
       "resources.json: /aliases/UK: 'GB' is not a region"},
      {R"({"default": "US", "by_kind": {"grief": []}, "regions": {"US":
         {"resources": [{"kind": "crisis", "name": "x", "phone": "1",
          "source": "x"}]}}})",
       "resources.json: /by_kind/grief: unknown safety kind"},
  }));
  CAPTURE(spec);
  std::unique_ptr<ResourceDirectory> directory;
  Status s = ResourceDirectory::Create(json::parse(spec), "resources.json",
                                       &directory);
  CHECK(s.IsInvalidArgument());
  CHECK(s.message() == expected);
}

// Every text the coach says, from every dialog file: say, reprompt, quick
// replies and engine messages. Patterns are what people write, not what the
// coach says, so they are left out.
void CollectSaid(const json& value, const std::string& key,
                 std::vector<std::string>* out) {
  if (value.is_object()) {
    for (const auto& [child_key, child] : value.items()) {
      if (child_key == "patterns") continue;
      CollectSaid(child, child_key, out);
    }
  } else if (value.is_array()) {
    for (const json& item : value) CollectSaid(item, key, out);
  } else if (value.is_string() &&
             (key == "say" || key == "reprompt" || key == "quick_replies" ||
              key == "truncated" || key == "return" || key == "fallback" ||
              key == "reminder")) {
    out->push_back(value.get<std::string>());
  }
}

TEST_CASE("Nothing the coach says uses unsafe wording", "[engine][safety]") {
  std::vector<std::string> said;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(TRUSTCOACH_DIALOGS_DIR)) {
    if (entry.path().extension() != ".json") continue;
    CollectSaid(ReadJson(entry.path().string()), "", &said);
  }
  REQUIRE(said.size() > 100);
  // Safe-messaging and respect: "died by suicide", no method or means, no
  // labels for a partner, no claim to be a therapist or a person, no promise
  // of confidentiality the product cannot keep.
  const RE2 unsafe(
      "(?i)\\b(commit(ted|ting|s)? suicide|successful suicide|failed "
      "(suicide|attempt)|overdos\\w*|noose|hang(ing)? (yourself|himself|"
      "herself)|slit\\w*|razor|lethal|how to (kill|hurt|cut)|abuser|abusers|"
      "cheater|cheaters|liar|liars|psycho|crazy ex|i am a (therapist|"
      "counsell?or|psychologist|doctor|human|person)|i'm a (therapist|"
      "counsell?or|psychologist|doctor|human|person)|as your therapist|"
      "(this|our) (chat|conversation) is (private|confidential|secret)|"
      "between (just )?(you and me|us)|no one will know|i will not tell "
      "anyone|i won't tell anyone|i will keep (this|it) (a )?secret)\\b");
  REQUIRE(unsafe.ok());
  for (const std::string& text : said) {
    CAPTURE(text);
    CHECK_FALSE(RE2::PartialMatch(text, unsafe));
  }
}

}  // namespace
}  // namespace trustcoach

namespace trustcoach {
namespace {

TEST_CASE(
    "While a risk state lasts, means, a time and a change of subject count",
    "[engine][safety][risk]") {
  const Shipped& shipped = LoadShipped();
  const SafetyContext risk{.risk = SafetyKind::kSuicide};
  for (const char* text :
       {"my meds are hidden", "tonight", "probably this weekend",
        "yeah. ive thought about it", "the rope is in the garage"}) {
    CAPTURE(text);
    CHECK(shipped.Check(text).level == SafetyLevel::kNone);
    const SafetyVerdict verdict = shipped.Check(text, risk);
    CHECK(verdict.level == SafetyLevel::kCrisis);
    CHECK(verdict.kind == SafetyKind::kSuicide);
    CHECK(verdict.rule == "risk.means_time");
  }
  // A change of subject or a dismissal: a warm check of the state's kind.
  for (const char* text :
       {"can we talk about something else", "forget i said that",
        "im fine i promise", "nah im not gonna do anything. just talk"}) {
    CAPTURE(text);
    CHECK(shipped.Check(text).level == SafetyLevel::kNone);
    const SafetyVerdict verdict =
        shipped.Check(text, {.risk = SafetyKind::kAbuse});
    CHECK(verdict.level == SafetyLevel::kCheckIn);
    CHECK(verdict.kind == SafetyKind::kAbuse);
  }
  // Handing the means to someone is not a new crisis.
  CHECK(
      shipped.Check("maybe ill give her the pills to hold onto", risk).level ==
      SafetyLevel::kNone);
  // Ordinary plans with a time stay ordinary.
  CHECK(shipped.Check("my sister is coming over tonight", risk).level !=
        SafetyLevel::kCrisis);
}

TEST_CASE("A planned talk is set aside only outside a risk state",
          "[engine][safety][risk]") {
  const Shipped& shipped = LoadShipped();
  // calm_only: "gotta go" after "going to do it tonight" is the talk the
  // person planned, unless they spoke of ending their life a moment ago.
  const char* talk = "ok im going to do it tonight, gotta go";
  CHECK(shipped.Check(talk).level == SafetyLevel::kNone);
  const SafetyVerdict in_risk =
      shipped.Check(talk, {.risk = SafetyKind::kSuicide});
  CHECK(in_risk.level == SafetyLevel::kCrisis);
  CHECK(in_risk.kind == SafetyKind::kDangerNow);
  // A threat taken back at once is a joke; "not joking" is not.
  CHECK(shipped.Check("im going to murder him lol, not literally").level ==
        SafetyLevel::kNone);
  CHECK(shipped.Check("im going to kill him, not joking").level ==
        SafetyLevel::kCrisis);
}

TEST_CASE("A kind-less risk rule ranks as the state's kind",
          "[engine][safety][risk]") {
  const Shipped& shipped = LoadShipped();
  // Marks hidden under clothes: self-harm on their own, the abuse or
  // sexual violence of the state after such a disclosure.
  const char* marks = "i wear long sleeves so nobody sees the marks";
  CHECK(shipped.Check(marks).kind == SafetyKind::kSelfHarm);
  CHECK(shipped.Check(marks, {.risk = SafetyKind::kSexualViolence}).kind ==
        SafetyKind::kSexualViolence);
  CHECK(shipped.Check(marks, {.risk = SafetyKind::kAbuse}).kind ==
        SafetyKind::kAbuse);
}

TEST_CASE("Means at home and a place visited to look are suicide",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  for (const char* text :
       {"my grandads old revolver is in the closet, last night i took it out "
        "and held it",
        "i drove up to the lookout tonight just to look over the edge",
        "i counted out all my sleeping pills on the table"}) {
    CAPTURE(text);
    const SafetyVerdict verdict = shipped.Check(text);
    CHECK(verdict.level == SafetyLevel::kCrisis);
    CHECK(verdict.kind == SafetyKind::kSuicide);
  }
  for (const char* text :
       {"we drove up to the lookout to watch the sunset",
        "my husband took his rifle out hunting this weekend"}) {
    CAPTURE(text);
    CHECK(shipped.Check(text).level == SafetyLevel::kNone);
  }
}

TEST_CASE("Reassurance is never read as danger", "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  for (const char* text :
       {"I'm safe right now", "I'm safe for now", "im safe now",
        "I'm safe, let's go on", "i am not in danger right now"}) {
    CAPTURE(text);
    CHECK(shipped.Check(text).level == SafetyLevel::kNone);
    CHECK(shipped.Check(text, {.risk = SafetyKind::kDangerNow}).level ==
          SafetyLevel::kNone);
  }
  CHECK(shipped.Check("I'm not safe right now").kind == SafetyKind::kDangerNow);
}

TEST_CASE("Quick replies of the safety flow do not raise the screen",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  const FlowSpec* flow = shipped.dialogs->FindFlow("safety");
  REQUIRE(flow != nullptr);
  for (const NodeSpec& node : flow->nodes) {
    for (const std::string& reply : node.quick_replies) {
      if (reply == "I'm not safe" || reply == "I'm struggling") continue;
      CAPTURE(node.id, reply);
      CHECK(shipped.Check(reply).level == SafetyLevel::kNone);
    }
  }
}

TEST_CASE("Negations, jokes, fiction and the distant past, both ways",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [benign, crisis] = GENERATE(table<std::string, std::string>({
      {"hes never been violent or anything, just a liar",
       "hes never been violent before but last night he choked me"},
      {"i swear i could kill him lol",
       "he said he would kill me if i left lol"},
      {"i could honestly strangle him",
       "i am going to strangle him when he gets home"},
      {"the film ended with her jumping off a bridge",
       "after that film i keep thinking about jumping off a bridge"},
      {"my ex was abusive years ago and now i am in a healthy relationship",
       "my ex was abusive years ago and now he is stalking me"},
      {"i self harmed when i was 15 but ive been fine for ten years",
       "i self harmed when i was 15 and started cutting again last night"},
      {"im overdosing on coffee just to get through this week lol",
       "im planning to overdose this weekend"},
      {"id rather die than sit through another work party haha",
       "i want to die, no joke"},
      // Fear denied is not fear; fear said after the denial still is.
      {"no, i am not afraid of him",
       "i am not afraid of him, i am terrified of him"},
      {"she does not scare me, she just annoys me",
       "i am scared of my husband"},
      {"im not really scared of my ex anymore",
       "im scared of what he will do to me"},
      // Images: someone else's, or the person's own.
      {"my gf has been sending nudes to her ex",
       "he sent my nudes to his friends"},
      {"he leaked nudes of some celebrity", "he posted nudes of me online"},
  }));
  CAPTURE(benign, crisis);
  CHECK(shipped.Check(benign).level == SafetyLevel::kNone);
  CHECK(shipped.Check(crisis).level == SafetyLevel::kCrisis);
}

TEST_CASE("What is the point of a thing is a question, not despair",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  auto [text, level] = GENERATE(table<std::string, SafetyLevel>({
      {"whats the point of therapy for this", SafetyLevel::kNone},
      {"what is the point of couples counselling if he wont go",
       SafetyLevel::kNone},
      {"whats the point of this exercise", SafetyLevel::kNone},
      {"what is the point in talking to him", SafetyLevel::kNone},
      {"whats the point", SafetyLevel::kCheckIn},
      {"what is the point anymore", SafetyLevel::kCheckIn},
      {"what is the point of anything", SafetyLevel::kCheckIn},
      {"whats the point of therapy, whats the point of anything",
       SafetyLevel::kCheckIn},
  }));
  CAPTURE(text);
  CHECK(shipped.Check(text).level == level);
}

TEST_CASE("The minors' lens applies to later messages", "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  const SafetyContext minor{.minor = true};
  for (const char* text :
       {"he keeps asking for pics. like not normal pics",
        "she says i cant tell my parents about her",
        "she wants me to send a video and then shell send one back",
        "we could meet without my parents knowing"}) {
    CAPTURE(text);
    CHECK(shipped.Check(text).level != SafetyLevel::kCrisis);
    const SafetyVerdict verdict = shipped.Check(text, minor);
    CHECK(verdict.level == SafetyLevel::kCrisis);
    CHECK(verdict.kind == SafetyKind::kChildSafety);
  }
  CHECK(shipped.Check("he doesnt like me seeing my friends", minor).level ==
        SafetyLevel::kCheckIn);
}

TEST_CASE("The grammar names the rule and the concepts that fired",
          "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  const std::string text = Normalize("i bought a gun and i know where he lives",
                                     shipped.dialogs->substitutions());
  const SafetyVerdict verdict = shipped.screen->Check(text);
  CHECK(verdict.rule == "violence.threat_other");
  const std::vector<std::string> concepts = shipped.dialogs->concepts().Present(
      text, shipped.screen->ConceptsOf(verdict.rule));
  CHECK(std::find(concepts.begin(), concepts.end(), "weapon") !=
        concepts.end());
}

TEST_CASE("After a crisis the conversation stays in a risk state",
          "[engine][safety][risk]") {
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(TRUSTCOACH_DIALOGS_DIR, &engine).ok());
  Session session;
  engine->Start(1, &session);
  engine->Respond("honestly i dont see the point of anything anymore",
                  &session);
  Reply crisis = engine->Respond(
      "yeah. ive thought about it. ive been saving up my pills", &session);
  CHECK(crisis.safety.level == SafetyLevel::kCrisis);
  CHECK(crisis.safety.kind == SafetyKind::kSuicide);
  CHECK(session.risk_left == kRiskTurns);

  // A change of subject: a short, warm check, the helplines kept.
  Reply change = engine->Respond(
      "can we just talk about something else. like the house", &session);
  CHECK(change.safety.level == SafetyLevel::kCheckIn);
  CHECK_FALSE(change.resources.empty());
  // A time alone is a crisis while the state lasts.
  Reply time = engine->Respond("probably tonight", &session);
  CHECK(time.safety.level == SafetyLevel::kCrisis);
  CHECK(session.risk_left == kRiskTurns);
  // Every reply carries the helplines, whatever is talked about.
  for (uint32_t i = 1; i < kRiskTurns; ++i) {
    Reply reply =
        engine->Respond("how do i talk to him about the house", &session);
    CAPTURE(i);
    CHECK_FALSE(reply.resources.empty());
  }
  Reply number = engine->Respond("can you give me that number again", &session);
  CHECK_FALSE(number.resources.empty());
  CHECK(number.flow == "safety");
  CHECK(number.node == "lines");
  // kRiskTurns messages without a crisis do not end it on their own: it is
  // held until a clear safe signal, and "i'm fine" is not one.
  CHECK(session.risk_left == 1);
  Reply fine = engine->Respond("im fine i wont do anything", &session);
  CHECK_FALSE(fine.resources.empty());
  CHECK_FALSE(fine.fallback);
  Reply held =
      engine->Respond("how do i talk to him about the house", &session);
  CHECK_FALSE(held.resources.empty());
  CHECK(session.risk_left == 1);
  // A safe signal, then kCalmTurns calm messages end it.
  Reply safe = engine->Respond("i am safe right now", &session);
  CHECK_FALSE(safe.resources.empty());
  for (uint32_t i = 0; i < kCalmTurns; ++i) {
    Reply calm =
        engine->Respond("how do i talk to him about the house", &session);
    CAPTURE(i);
    CHECK_FALSE(calm.resources.empty());
  }
  CHECK(session.risk_left == 0);
  Reply later =
      engine->Respond("how do i talk to him about the house", &session);
  CHECK(later.resources.empty());
  CHECK(engine->Respond("probably tonight", &session).safety.level ==
        SafetyLevel::kNone);
}

TEST_CASE("A check-in about suicide opens a short watch",
          "[engine][safety][risk]") {
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(TRUSTCOACH_DIALOGS_DIR, &engine).ok());
  {
    Session session;
    engine->Start(1, &session);
    Reply passive = engine->Respond(
        "what am i even doing anymore, whats it all for", &session);
    CHECK(passive.safety.level == SafetyLevel::kCheckIn);
    CHECK(passive.safety.kind == SafetyKind::kSuicide);
    CHECK(session.risk.empty());  // a watch, not a crisis state
    CHECK(session.risk_left == kWatchTurns);
    // A means said without a verb, in the light of the check-in.
    Reply means = engine->Respond(
        "theres a gun in the safe and i know the code", &session);
    CHECK(means.safety.level == SafetyLevel::kCrisis);
    CHECK(means.safety.kind == SafetyKind::kSuicide);
    CHECK_FALSE(means.resources.empty());
    // Someone offered to hold the means: a good, strong step, the
    // helplines kept.
    Reply away = engine->Respond(
        "my brother could hold onto the gun for a while", &session);
    CHECK(away.node == "step");
    CHECK_FALSE(away.resources.empty());
  }
  {
    Session session;
    engine->Start(1, &session);
    engine->Respond("no reason to keep going honestly", &session);
    Reply yes =
        engine->Respond("yeah sometimes. i think about it at night", &session);
    CHECK(yes.safety.level == SafetyLevel::kCrisis);
    CHECK(yes.safety.kind == SafetyKind::kSuicide);
  }
  {
    // The same words with no check-in before them are not a crisis, and
    // the watch ends after kWatchTurns messages.
    Session session;
    engine->Start(1, &session);
    CHECK(engine->Respond("theres a gun in the safe", &session).safety.level ==
          SafetyLevel::kNone);
    engine->Respond("whats the point of any of it", &session);
    for (uint32_t i = 0; i < kWatchTurns; ++i) {
      engine->Respond("how do i talk to him about the house", &session);
    }
    CHECK(session.risk_left == 0);
    CHECK(engine->Respond("i think about it at night", &session).safety.level ==
          SafetyLevel::kNone);
  }
}

TEST_CASE("A means beside thoughts of suicide in one message is a crisis",
          "[safety]") {
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(TRUSTCOACH_DIALOGS_DIR, &engine).ok());
  for (const char* text : {
           "no point going on. theres rope in the shed",
           "been thinking about ending things and theres a gun in the safe",
           "whats the point of any of it, i have a whole box of pills upstairs",
           "stocked up on paracetamol, just in case i need a way out",
       }) {
    Session session;
    engine->Start(1, &session);
    CAPTURE(text);
    Reply reply = engine->Respond(text, &session);
    CHECK(reply.safety.level == SafetyLevel::kCrisis);
    CHECK(reply.safety.kind == SafetyKind::kSuicide);
  }
  for (const char* text : {
           "i keep my meds in the bathroom cabinet",
           "my wife keeps a gun for the farm, its locked away",
           "whats the point of arguing about it anymore",
       }) {
    Session session;
    engine->Start(1, &session);
    CAPTURE(text);
    CHECK(engine->Respond(text, &session).safety.level != SafetyLevel::kCrisis);
  }
}

TEST_CASE("A minor's later messages are read through the minors' lens",
          "[engine][safety][risk]") {
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(TRUSTCOACH_DIALOGS_DIR, &engine).ok());
  Session session;
  engine->Start(1, &session);
  engine->Respond("im 16 and my boyfriend is 22", &session);
  CHECK(session.minor);
  Reply pics = engine->Respond(
      "he keeps asking for pics. he says if i really loved him i would",
      &session);
  CHECK(pics.safety.level == SafetyLevel::kCrisis);
  CHECK(pics.safety.kind == SafetyKind::kChildSafety);
  CHECK_FALSE(pics.resources.empty());
  CHECK(pics.resources[1].kind == "youth");
}

TEST_CASE(
    "A clear reassurance beside a negation asks no check-in, outside a "
    "risk state only (safety8)",
    "[engine][safety]") {
  const Shipped& shipped = LoadShipped();
  SafetyVerdict calm =
      shipped.Check("i'm safe and i'm not going to do anything stupid");
  CHECK(calm.level == SafetyLevel::kNone);
  CHECK(calm.rule == "idiom.safe_said");
  // The negation alone is still a check-in.
  CHECK(shipped.Check("i'm not going to do anything stupid").level ==
        SafetyLevel::kCheckIn);
  // "I am not okay" is not a reassurance.
  CHECK(shipped.Check("i am not okay and i am not going to do anything stupid")
            .level == SafetyLevel::kCheckIn);
  // A means beside it is still a crisis.
  CHECK(shipped
            .Check("im safe, not going to do anything stupid, but i have the "
                   "pills saved up")
            .level == SafetyLevel::kCrisis);
  // In a risk state (or a watch) the check-in stays.
  SafetyContext risk;
  risk.risk = SafetyKind::kSuicide;
  CHECK(shipped.Check("i'm safe and i'm not going to do anything stupid", risk)
            .level == SafetyLevel::kCheckIn);
}

}  // namespace
}  // namespace trustcoach
