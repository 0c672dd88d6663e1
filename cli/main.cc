// trustcoach: the command-line entry point. Each subcommand lives in its own
// file under cli/.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "cli/commands.h"
#include "engine/engine.h"

namespace trustcoach::cli {

std::unique_ptr<Engine> LoadEngineOrPrintErrors(const std::string& dir) {
  std::unique_ptr<Engine> engine;
  Status s = Engine::Load(dir, &engine);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.message().c_str());
  return engine;
}

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

constexpr Command kCommands[] = {
#ifdef TRUSTCOACH_HAVE_SERVER
    {"serve", RunServe, "serve the HTTP API and the web widget"},
    {"review", RunReview, "export the opt-in review queue as JSON lines"},
#endif
    {"chat", RunChat, "talk with the coach in the terminal"},
    {"lint", RunLint, "validate dialog files"},
    {"test", RunTest, "run conversation transcript tests"},
    {"analyze", RunAnalyze, "one JSON line per input line (evaluation)"},
    {"graph", RunGraph, "print the flows as Graphviz DOT or Mermaid"},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "Usage: trustcoach COMMAND [OPTIONS]\n\n"
               "A rule-based coach for relationships hurt by broken trust.\n\n"
               "Commands:\n");
  for (const Command& command : kCommands) {
    std::fprintf(out, "  %-9s %s\n", command.name, command.summary);
  }
  std::fprintf(out,
               "\nRun 'trustcoach COMMAND --help' for a command's options.\n"
               "  --version  print the version\n");
}

}  // namespace
}  // namespace trustcoach::cli

int main(int argc, char** argv) {
  using namespace trustcoach::cli;
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (name == "--version") {
    std::printf("trustcoach %s\n", TRUSTCOACH_VERSION);
    return 0;
  }
  for (const Command& command : kCommands) {
    if (name == command.name) return command.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "trustcoach: unknown command '%s'\n\n", argv[1]);
  PrintUsage(stderr);
  return 2;
}
