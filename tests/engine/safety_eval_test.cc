// Measures the safety screen on real and written messages (tests/data,
// see its README): every crisis message must raise the crisis answer, and at
// most 2% of the others may. Prints both figures.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/dialog_loader.h"
#include "engine/normalizer.h"
#include "engine/safety.h"

namespace trustcoach {
namespace {

using nlohmann::json;

constexpr double kMaxFalseCrisisRate = 0.02;

std::vector<json> ReadJsonLines(const std::string& name) {
  std::ifstream in(std::string(TRUSTCOACH_TESTDATA_DIR) + "/" + name);
  REQUIRE(in.good());
  std::vector<json> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

struct Message {
  std::string source;  // "lexicon", "counselchat", "cases"
  std::string id;
  std::string text;
  bool crisis = false;
  std::string expected_level;  // own cases only
  std::string expected_kind;   // own cases only
};

// Every evaluation message, labelled. CounselChat questions tagged
// domestic-violence or self-harm are crisis messages, and so are those our
// adjudication file lists; `tagged_only` ignores the adjudication.
std::vector<Message> LoadMessages(bool tagged_only = false) {
  std::vector<Message> messages;
  for (const json& line : ReadJsonLines("crisis_lexicon_dev.jsonl")) {
    messages.push_back({.source = "lexicon",
                        .id = line["id"],
                        .text = line["text"],
                        .crisis = true});
  }
  std::set<std::string> adjudicated;
  if (!tagged_only) {
    for (const json& line : ReadJsonLines("counselchat_adjudicated.jsonl")) {
      adjudicated.insert(line["id"].get<std::string>());
    }
  }
  for (const json& line : ReadJsonLines("counselchat_dev.jsonl")) {
    const std::string topic = line["topic"];
    const std::string id = line["id"];
    messages.push_back({.source = "counselchat",
                        .id = id,
                        .text = line["title"].get<std::string>() + "\n" +
                                line["text"].get<std::string>(),
                        .crisis = topic == "domestic-violence" ||
                                  topic == "self-harm" ||
                                  adjudicated.count(id) > 0});
  }
  int row = 0;
  // Written for the project as people type them (issue 14): 100 crisis
  // lines of every kind and 50 benign near-misses ("none").
  int extra = 0;
  for (const json& line : ReadJsonLines("crisis_dev_extra.jsonl")) {
    messages.push_back({.source = "extra",
                        .id = "line " + std::to_string(++extra),
                        .text = line["text"],
                        .crisis = line["kind"] != "none"});
  }
  for (const json& line : ReadJsonLines("safety_cases.jsonl")) {
    ++row;
    messages.push_back({.source = "cases",
                        .id = "line " + std::to_string(row),
                        .text = line["text"],
                        .crisis = line["level"] == "crisis",
                        .expected_level = line["level"],
                        .expected_kind = line.value("kind", "none")});
  }
  return messages;
}

struct Screen {
  std::unique_ptr<DialogSet> dialogs;

  SafetyVerdict Check(const std::string& text) const {
    return dialogs->safety().Check(Normalize(text, dialogs->substitutions()));
  }
};

// The shipped screen as the engine loads it: concepts expanded.
Screen LoadScreen() {
  Screen loaded;
  Status s = DialogSet::Load(TRUSTCOACH_DIALOGS_DIR, &loaded.dialogs);
  INFO(s.ToString());
  REQUIRE(s.ok());
  return loaded;
}

struct Tally {
  int total = 0;
  int hits = 0;  // crisis level given
  double Rate() const { return total == 0 ? 0 : double(hits) / total; }
};

std::string Percent(double rate) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f%%", 100 * rate);
  return buffer;
}

TEST_CASE("Every crisis message raises the crisis answer (recall 100%)",
          "[engine][safety][eval]") {
  const Screen screen = LoadScreen();
  std::map<std::string, Tally> by_source;
  Tally all;
  for (const Message& message : LoadMessages()) {
    if (!message.crisis) continue;
    const SafetyVerdict verdict = screen.Check(message.text);
    const bool caught = verdict.level == SafetyLevel::kCrisis;
    Tally& source = by_source[message.source];
    ++source.total, ++all.total;
    source.hits += caught, all.hits += caught;
    INFO(message.source << " " << message.id << ": " << message.text);
    CHECK(caught);
  }
  std::cout << "safety recall: " << all.hits << "/" << all.total << " = "
            << Percent(all.Rate());
  for (const auto& [source, tally] : by_source) {
    std::cout << "; " << source << " " << tally.hits << "/" << tally.total;
  }
  std::cout << "\n";
  CHECK(all.hits == all.total);
  CHECK(all.total > 300);
}

TEST_CASE("At most 2% of non-crisis messages raise the crisis answer",
          "[engine][safety][eval]") {
  const Screen screen = LoadScreen();
  std::map<std::string, Tally> by_source;
  Tally all;
  int check_ins = 0;  // gentle questions, not the crisis answer
  for (const Message& message : LoadMessages()) {
    if (message.crisis) continue;
    const SafetyVerdict verdict = screen.Check(message.text);
    const bool raised = verdict.level == SafetyLevel::kCrisis;
    check_ins += verdict.level == SafetyLevel::kCheckIn;
    Tally& source = by_source[message.source];
    ++source.total, ++all.total;
    source.hits += raised, all.hits += raised;
    if (raised) {
      // Reviewed over-triggers are listed by id, not hidden.
      std::cout << "safety: crisis raised on " << message.source << " "
                << message.id << " by " << verdict.rule << "\n";
    }
  }
  Tally tagged;  // the same, with CounselChat's tags only
  for (const Message& message : LoadMessages(/*tagged_only=*/true)) {
    if (message.crisis || message.source != "counselchat") continue;
    ++tagged.total;
    tagged.hits += screen.Check(message.text).level == SafetyLevel::kCrisis;
  }
  std::cout << "safety false crisis: " << all.hits << "/" << all.total << " = "
            << Percent(all.Rate());
  for (const auto& [source, tally] : by_source) {
    std::cout << "; " << source << " " << tally.hits << "/" << tally.total;
  }
  std::cout << "; counselchat by its tags alone " << tagged.hits << "/"
            << tagged.total << " = " << Percent(tagged.Rate()) << "; check-ins "
            << check_ins << "/" << all.total << "\n";
  CHECK(all.Rate() <= kMaxFalseCrisisRate);
  CHECK(by_source["cases"].hits == 0);
  CHECK(all.total > 500);
}

TEST_CASE("Every written case gets its expected level and kind",
          "[engine][safety][eval]") {
  const Screen screen = LoadScreen();
  int agree = 0, total = 0;
  for (const Message& message : LoadMessages()) {
    if (message.source != "cases") continue;
    const SafetyVerdict verdict = screen.Check(message.text);
    INFO(message.id << ": " << message.text << " -> " << verdict.rule);
    CHECK(SafetyLevelName(verdict.level) == message.expected_level);
    if (message.expected_level != "none") {
      CHECK(SafetyKindName(verdict.kind) == message.expected_kind);
    }
    ++total;
    agree += SafetyLevelName(verdict.level) == message.expected_level;
  }
  std::cout << "safety cases: " << agree << "/" << total
            << " at the expected level\n";
  CHECK(total > 400);
}

TEST_CASE("At most 2 of the 50 benign near-misses raise the crisis answer",
          "[engine][safety][eval]") {
  const Screen screen = LoadScreen();
  Tally raised;
  int check_ins = 0;
  for (const Message& message : LoadMessages()) {
    if (message.source != "extra" || message.crisis) continue;
    const SafetyVerdict verdict = screen.Check(message.text);
    ++raised.total;
    raised.hits += verdict.level == SafetyLevel::kCrisis;
    check_ins += verdict.level == SafetyLevel::kCheckIn;
    if (verdict.level == SafetyLevel::kCrisis) {
      std::cout << "safety: crisis raised on extra " << message.id << " by "
                << verdict.rule << "\n";
    }
  }
  std::cout << "safety near-misses (crisis_dev_extra): crisis " << raised.hits
            << "/" << raised.total << ", check-ins " << check_ins << "\n";
  CHECK(raised.total == 50);
  CHECK(raised.hits <= 2);
}

}  // namespace
}  // namespace trustcoach
