#include "bench/bench_util.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <unordered_set>

#include <nlohmann/json.hpp>

namespace trustcoach::bench {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Plain words for generated patterns and padding, none of them in the
// shipped patterns' vocabulary.
constexpr std::string_view kSyllables[] = {"ka", "lo", "mi", "ne", "su",
                                           "ta", "vo", "ri", "de", "ga",
                                           "po", "zu", "fe", "hi", "ju"};

std::string Word(size_t n) {
  std::string word;
  do {
    word += kSyllables[n % std::size(kSyllables)];
    n /= std::size(kSyllables);
  } while (n > 0);
  return word + "x";
}

}  // namespace

std::string ShippedDialogsDir() { return TRUSTCOACH_DIALOGS_DIR; }

const std::vector<std::string>& NovelMessages() {
  static const std::vector<std::string> messages = [] {
    std::vector<fs::path> files;
    std::error_code error;
    for (const auto& entry :
         fs::directory_iterator(TRUSTCOACH_TEST_DATA_DIR, error)) {
      if (entry.path().extension() == ".jsonl") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::string> out;
    std::unordered_set<std::string> seen;
    auto add = [&](const nlohmann::json& text) {
      if (text.is_string() && seen.insert(text.get<std::string>()).second) {
        out.push_back(text.get<std::string>());
      }
    };
    for (const fs::path& file : files) {
      std::ifstream in(file);
      for (std::string line; std::getline(in, line);) {
        nlohmann::json item = nlohmann::json::parse(line, nullptr, false);
        if (!item.is_object()) continue;
        if (item.contains("text")) add(item["text"]);
        if (item.contains("turns") && item["turns"].is_array()) {
          for (const auto& turn : item["turns"]) {
            if (turn.is_object() && turn.contains("user")) add(turn["user"]);
          }
        }
      }
    }
    return out;
  }();
  return messages;
}

double ResidentMegabytes() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  if (!(statm >> pages >> resident)) return 0;
  return static_cast<double>(resident) * sysconf(_SC_PAGESIZE) / (1 << 20);
}

const std::vector<ScriptedTurn>& RealisticMix() {
  static const std::vector<ScriptedTurn> mix = {
      {Kind::kOpening, ""},
      {Kind::kCoaching, "hi"},
      {Kind::kCoaching, "my husband cheated on me and i found out last week"},
      {Kind::kCoaching, "i feel so betrayed and angry, i can't sleep"},
      {Kind::kCoaching, "yes"},
      {Kind::kFallback, "the purple elephant sang all night"},
      {Kind::kCoaching, "i don't know if i can ever trust him again"},
      {Kind::kCoaching, "how do we rebuild trust after an affair?"},
      {Kind::kCoaching, "give me an example"},
      {Kind::kFallback, "asdf qwerty"},
      {Kind::kCoaching, "we keep fighting whenever we try to talk about it"},
      {Kind::kCoaching, "should we see a couples therapist?"},
      {Kind::kCrisis, "sometimes i just want to end it all"},
      {Kind::kCoaching, "i am safe, i did not mean it like that"},
      {Kind::kCoaching, "thanks, that helps"},
  };
  return mix;
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kOpening:
      return "opening";
    case Kind::kCoaching:
      return "coaching";
    case Kind::kFallback:
      return "fallback";
    case Kind::kCrisis:
      return "crisis";
  }
  return "";
}

size_t WriteGrowthDialogs(const std::string& dir, size_t intents) {
  const fs::path shipped = ShippedDialogsDir();
  // The shipped flows lead into one another (welcome -> menu -> every
  // topic), so the whole shipped set is the base.
  fs::create_directories(dir);
  fs::copy(shipped, dir,
           fs::copy_options::recursive | fs::copy_options::overwrite_existing);
  json generated = {{"intents", json::array()}, {"flows", json::array()}};
  for (size_t i = 0; i < intents; ++i) {
    const std::string id = "gen" + std::to_string(i);
    const std::string a = Word(2 * i), b = Word(2 * i + 1);
    generated["intents"].push_back(
        {{"id", id},
         {"topic", "generated"},
         {"patterns",
          {"\\b(" + a + "|" + b + ")s? (again|today|now)\\b",
           "\\bmy (?P<thing>" + a + "|" + b + ") (is|was) (\\w+)\\b"}},
         {"start", id}});
    generated["flows"].push_back(
        {{"id", id},
         {"start", "open"},
         {"nodes",
          {{"open",
            {{"say", {"About your {thing|" + a + "}: tell me more."}},
             {"therapy", true}}}}}});
  }
  std::ofstream(fs::path(dir) / "flows/generated.json") << generated.dump(1);
  size_t total = intents;
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "flows")) {
    if (entry.path().filename() == "generated.json") continue;
    total += json::parse(std::ifstream(entry.path()))
                 .value("intents", json::array())
                 .size();
  }
  return total;
}

std::string GrowthMessage(size_t bytes, size_t index) {
  const std::string tail = " and my " + Word(2 * index) + " is broken";
  std::string text;
  size_t n = 7;
  while (text.size() + tail.size() < bytes) {
    text += kSyllables[n % std::size(kSyllables)];
    text += (n % 5 == 0) ? " " : "m ";
    n = n * 31 + 11;
  }
  text += tail;
  return text.substr(text.size() > bytes ? text.size() - bytes : 0);
}

}  // namespace trustcoach::bench
