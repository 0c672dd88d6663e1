// trustcoach analyze: one JSON object per input line, each line treated as
// the first thing a person says after the greeting. The evaluation hook.
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "engine/dialog_loader.h"
#include "engine/engine.h"

namespace trustcoach::cli {

int RunAnalyze(int argc, char** argv) {
  Flags flags(argc, argv, {"dialogs", "region"});
  if (flags.Has("help")) {
    std::printf(
        "Usage: trustcoach analyze [--dialogs DIR] [--region CODE] < lines\n\n"
        "For each line on stdin, prints one JSON object on one line:\n"
        "  text, intent, topics (array), safety (\"none\" or the crisis "
        "kind),\n"
        "  safety_level, fallback, flow, node, reply.\n"
        "Each line starts a fresh conversation (seed 1).\n");
    return 0;
  }
  const std::string unknown = flags.Unknown({"help", "dialogs", "region"});
  if (!flags.error().empty() || !unknown.empty()) {
    std::fprintf(stderr, "trustcoach analyze: bad option %s\n",
                 unknown.empty() ? flags.error().c_str() : unknown.c_str());
    return 2;
  }
  std::unique_ptr<Engine> engine =
      LoadEngineOrPrintErrors(flags.Get("dialogs", DefaultDialogsDir()));
  if (engine == nullptr) return 1;
  const DialogSet& dialogs = engine->dialogs();
  const TurnOptions options{.region = flags.Get("region")};
  Session opened;
  engine->Start(1, &opened, options);
  std::string line;
  while (std::getline(std::cin, line)) {
    Session session = opened;
    Reply reply = engine->Respond(line, &session, options);
    // Topics: the winner's first, then every other intent that matched.
    nlohmann::json topics = nlohmann::json::array();
    std::set<std::string> seen;
    auto add = [&](const std::string& topic) {
      if (!topic.empty() && seen.insert(topic).second) topics.push_back(topic);
    };
    add(reply.topic);
    for (const std::string& id :
         dialogs.matcher().MatchAll(Normalize(line, dialogs.substitutions()))) {
      add(dialogs.FindIntent(id)->topic);
    }
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
  return 0;
}

}  // namespace trustcoach::cli
