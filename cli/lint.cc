// trustcoach lint [DIR]: validates a dialogs folder.
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/settings.h"
#include "engine/content_rules.h"
#include "engine/dialog_loader.h"

namespace trustcoach::cli {

int RunLint(int argc, char** argv) {
  LintSettings settings;
  const int exit = LoadSettingsOrExit(
      argc, argv,
      "Usage: trustcoach lint [OPTIONS] [DIR]\n\n"
      "Loads and validates every dialog file in DIR (default: the shipped\n"
      "dialogs), then checks the content rules: wording, every path to\n"
      "professional help, two variants per prompt, requests for help at\n"
      "free-text questions, and that examples and quick replies are\n"
      "understood where they are said (docs/authoring.md). Prints each\n"
      "problem as "
      "FILE: /json/pointer: message and exits 1 if there is any;\n"
      "unreachable nodes and unused concepts are warnings. DIR wins over\n"
      "--dialogs.\n",
      &settings);
  if (exit >= 0) return exit;
  const std::string& dir = settings.dialogs;
  std::unique_ptr<Engine> engine;
  std::vector<std::string> warnings;
  Status s = Engine::Load(dir, &engine, &warnings);
  for (const std::string& warning : warnings) {
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  }
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    std::fprintf(stderr, "lint: %s has errors\n", dir.c_str());
    return 1;
  }
  std::vector<std::string> problems = CheckContent(*engine);
  for (std::string& problem : CheckUnderstanding(*engine)) {
    problems.push_back(std::move(problem));
  }
  for (const std::string& problem : problems) {
    std::fprintf(stderr, "%s\n", problem.c_str());
  }
  if (!problems.empty()) {
    std::fprintf(stderr, "lint: %s breaks %zu content rules\n", dir.c_str(),
                 problems.size());
    return 1;
  }
  const DialogSet* dialogs = &engine->dialogs();
  size_t nodes = 0;
  for (const FlowSpec& flow : dialogs->spec().flows) nodes += flow.nodes.size();
  std::printf("lint: %s ok: %zu intents, %zu flows, %zu nodes, %zu warnings\n",
              dir.c_str(), dialogs->spec().intents.size(),
              dialogs->spec().flows.size(), nodes, warnings.size());
  return 0;
}

}  // namespace trustcoach::cli
