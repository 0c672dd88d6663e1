// trustcoach chat: a conversation in the terminal, or over piped input.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/settings.h"
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
  ChatSettings settings;
  const int exit = LoadSettingsOrExit(
      argc, argv,
      "Usage: trustcoach chat [OPTIONS]\n\n"
      "Talk with the coach: type a line, press Enter. Ctrl-D ends.\n",
      &settings);
  if (exit >= 0) return exit;
  const uint64_t seed =
      settings.seed.value_or(static_cast<uint64_t>(getpid()) * 2654435761u);
  std::unique_ptr<Engine> engine = LoadEngineOrPrintErrors(settings.dialogs);
  if (engine == nullptr) return 1;
  const bool explain = settings.explain;
  const TurnOptions options{
      .trace = explain ? Trace::kOn : Trace::kOff,
      .region = settings.region,
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
