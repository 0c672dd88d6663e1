// trustcoach analyze: one JSON object per input line, each line treated as
// the first thing a person says after the greeting. The evaluation hook.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/settings.h"
#include "engine/dialog_loader.h"
#include "engine/engine.h"

namespace trustcoach::cli {
namespace {

// Counts over every line, for --summary: what a dialog author needs to see
// where the coach misses and where intents compete.
class Summary {
 public:
  void Add(const Reply& reply, const std::vector<std::string>& matched) {
    ++lines_;
    ++intents_[reply.intent.empty() ? "(none)" : reply.intent];
    ++topics_[reply.topic.empty() ? "(none)" : reply.topic];
    ++levels_[std::string(SafetyLevelName(reply.safety.level)) +
              (reply.safety.level == SafetyLevel::kNone
                   ? ""
                   : " " + std::string(SafetyKindName(reply.safety.kind)))];
    fallbacks_ += reply.fallback;
    // Intents that matched the same line compete on it: the winner (or the
    // first that matched, on a safety turn) against each of the others.
    std::vector<std::string> ids = matched;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (size_t a = 0; a < ids.size(); ++a) {
      for (size_t b = a + 1; b < ids.size(); ++b) ++pairs_[{ids[a], ids[b]}];
    }
  }

  void Print() const {
    const auto share = [&](size_t n) {
      return lines_ == 0
                 ? 0.0
                 : 100.0 * static_cast<double>(n) / static_cast<double>(lines_);
    };
    std::printf("lines: %zu\nfallbacks: %zu (%.1f%%)\n", lines_, fallbacks_,
                share(fallbacks_));
    for (const auto& [title, counts] :
         {std::pair{"safety levels", &levels_}, std::pair{"topics", &topics_},
          std::pair{"intents", &intents_}}) {
      std::printf("\n%s:\n", title);
      for (const auto& [count, name] : Sorted(*counts)) {
        std::printf("  %6zu  %5.1f%%  %s\n", count, share(count), name.c_str());
      }
    }
    std::printf("\ncompeting intents (matched the same line):\n");
    std::vector<std::pair<size_t, std::string>> pairs;
    for (const auto& [pair, count] : pairs_) {
      pairs.push_back({count, pair.first + " + " + pair.second});
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    if (pairs.empty()) std::printf("  none\n");
    for (const auto& [count, name] : pairs) {
      std::printf("  %6zu  %s\n", count, name.c_str());
    }
  }

 private:
  static std::vector<std::pair<size_t, std::string>> Sorted(
      const std::map<std::string, size_t>& counts) {
    std::vector<std::pair<size_t, std::string>> out;
    for (const auto& [name, count] : counts) out.push_back({count, name});
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.first > b.first;
    });
    return out;
  }

  size_t lines_ = 0;
  size_t fallbacks_ = 0;
  std::map<std::string, size_t> intents_, topics_, levels_;
  std::map<std::pair<std::string, std::string>, size_t> pairs_;
};

}  // namespace

int RunAnalyze(int argc, char** argv) {
  AnalyzeSettings settings;
  const int exit = LoadSettingsOrExit(
      argc, argv,
      "Usage: trustcoach analyze [OPTIONS] < lines\n\n"
      "For each line on stdin, prints one JSON object on one line:\n"
      "  text, intent, topics (array), safety (\"none\" or the crisis "
      "kind),\n"
      "  safety_level, fallback, flow, node, reply.\n"
      "Each line starts a fresh conversation (seed 1).\n"
      "With --summary, prints instead the share of lines per intent, topic\n"
      "and safety level, the fallbacks, and the pairs of intents that\n"
      "matched the same lines (a confusion report for dialog authors).\n",
      &settings);
  if (exit >= 0) return exit;
  std::unique_ptr<Engine> engine = LoadEngineOrPrintErrors(settings.dialogs);
  if (engine == nullptr) return 1;
  const DialogSet& dialogs = engine->dialogs();
  const TurnOptions options{.region = settings.region};
  Session opened;
  engine->Start(1, &opened, options);
  Summary summary;
  const bool summarize = settings.summary;
  std::string line;
  while (std::getline(std::cin, line)) {
    Session session = opened;
    Reply reply = engine->Respond(line, &session, options);
    const std::vector<std::string> matched =
        dialogs.matcher().MatchAll(Normalize(line, dialogs.substitutions()));
    if (summarize) {
      // Local intents ("yes", free text) match only where a node asks.
      std::vector<std::string> global;
      for (const std::string& id : matched) {
        if (!dialogs.FindIntent(id)->local) global.push_back(id);
      }
      summary.Add(reply, global);
      continue;
    }
    // Topics: the winner's first, then every other intent that matched.
    nlohmann::json topics = nlohmann::json::array();
    std::set<std::string> seen;
    auto add = [&](const std::string& topic) {
      if (!topic.empty() && seen.insert(topic).second) topics.push_back(topic);
    };
    add(reply.topic);
    for (const std::string& id : matched) add(dialogs.FindIntent(id)->topic);
    std::string text;
    for (const Message& message : reply.messages) {
      if (!text.empty()) text += "\n";
      text += message.text;
    }
    const bool crisis = reply.safety.level == SafetyLevel::kCrisis;
    nlohmann::json out = {
        {"text", line},
        {"intent",
         reply.intent.empty() ? nullptr : nlohmann::json(reply.intent)},
        {"topics", topics},
        {"safety", crisis ? SafetyKindName(reply.safety.kind) : "none"},
        {"safety_level", SafetyLevelName(reply.safety.level)},
        {"fallback", reply.fallback},
        {"flow", reply.flow},
        {"node", reply.node},
        {"reply", text},
    };
    std::cout << out.dump(-1, ' ', false,
                          nlohmann::json::error_handler_t::replace)
              << '\n';
  }
  if (summarize) summary.Print();
  return 0;
}

}  // namespace trustcoach::cli
