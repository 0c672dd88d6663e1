// trustcoach chat: a conversation in the terminal, or over piped input.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"
#include "engine/engine.h"

namespace trustcoach::cli {
namespace {

void PrintReply(const Reply& reply, bool explain) {
  for (const Message& message : reply.messages) {
    std::printf("coach: %s\n", message.text.c_str());
    if (!message.quick_replies.empty()) {
      std::printf("       ");
      for (const std::string& option : message.quick_replies) {
        std::printf("[%s] ", option.c_str());
      }
      std::printf("\n");
    }
  }
  for (const Resource& resource : reply.resources) {
    std::printf("       * %s", resource.name.c_str());
    if (!resource.phone.empty())
      std::printf(" - call %s", resource.phone.c_str());
    if (!resource.sms.empty()) {
      // `sms` is a number, or already an instruction ("text HOME to 741741").
      const bool instruction = resource.sms.rfind("text", 0) == 0;
      std::printf(instruction ? " - %s" : " - text %s", resource.sms.c_str());
    }
    if (!resource.web.empty()) std::printf(" - %s", resource.web.c_str());
    std::printf("\n");
  }
  if (explain && !reply.explain.is_null()) {
    std::printf("why: %s\n", reply.explain.dump().c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int RunChat(int argc, char** argv) {
  Flags flags(argc, argv, {"dialogs", "seed", "region"});
  if (flags.Has("help")) {
    std::printf(
        "Usage: trustcoach chat [--dialogs DIR] [--explain] [--seed N] "
        "[--region CODE]\n\n"
        "Talk with the coach: type a line, press Enter. Ctrl-D ends.\n"
        "  --explain   print why after each reply, as JSON\n"
        "  --seed N    fix the variant choice (default: random)\n"
        "  --region    region for helplines, e.g. GB, US, en-IE\n");
    return 0;
  }
  const std::string unknown =
      flags.Unknown({"help", "dialogs", "seed", "region", "explain"});
  if (!flags.error().empty() || !unknown.empty()) {
    std::fprintf(stderr, "trustcoach chat: %s\n",
                 flags.error().empty() ? ("unknown option " + unknown).c_str()
                                       : flags.error().c_str());
    return 2;
  }
  uint64_t seed = static_cast<uint64_t>(getpid()) * 2654435761u;
  if (flags.Has("seed")) {
    // The whole value must be a number: "abc" or "12x" is an error, not 0.
    const std::string text = flags.Get("seed");
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, seed);
    if (text.empty() || error != std::errc() || stop != end) {
      std::fprintf(stderr,
                   "trustcoach chat: --seed: expected a whole number, got "
                   "'%s'\n",
                   text.c_str());
      return 2;
    }
  }
  std::unique_ptr<Engine> engine =
      LoadEngineOrPrintErrors(flags.Get("dialogs", DefaultDialogsDir()));
  if (engine == nullptr) return 1;
  const bool explain = flags.Has("explain");
  const TurnOptions options{
      .trace = explain ? Trace::kOn : Trace::kOff,
      .region = flags.Get("region"),
  };
  Session session;
  PrintReply(engine->Start(seed, &session, options), explain);
  const bool interactive = isatty(STDIN_FILENO) != 0;
  std::string line;
  while (true) {
    if (interactive) {
      std::printf("you: ");
      std::fflush(stdout);
    }
    if (!std::getline(std::cin, line)) break;
    if (!interactive) std::printf("you: %s\n", line.c_str());
    PrintReply(engine->Respond(line, &session, options), explain);
  }
  return 0;
}

}  // namespace trustcoach::cli
