// trustcoach test: runs conversation transcript tests (docs/dialog-format.md).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "engine/engine.h"

namespace trustcoach::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

std::string ReplyText(const Reply& reply) {
  std::string text;
  for (const Message& message : reply.messages) {
    if (!text.empty()) text += "\n";
    text += message.text;
  }
  return text;
}

std::vector<std::string> StringList(const json& value) {
  if (value.is_string()) return {value.get<std::string>()};
  return value.get<std::vector<std::string>>();
}

// Checks one turn's reply against `expect`; appends failures to `problems`.
void CheckTurn(const Reply& reply, const json& expect,
               std::vector<std::string>* problems) {
  const std::string text = ReplyText(reply);
  const std::string lower = Lower(text);
  auto fail = [&](const std::string& what) { problems->push_back(what); };
  for (const auto& [key, want] : expect.items()) {
    if (key == "intent") {
      const std::string got = reply.intent;
      if (want.is_null() ? !got.empty() : got != want.get<std::string>()) {
        fail("intent: want " + want.dump() + ", got \"" + got + "\"");
      }
    } else if (key == "node") {
      const std::string got = reply.flow + "." + reply.node;
      if (got != want.get<std::string>()) {
        fail("node: want " + want.dump() + ", got \"" + got + "\"");
      }
    } else if (key == "flow") {
      if (reply.flow != want.get<std::string>()) {
        fail("flow: want " + want.dump() + ", got \"" + reply.flow + "\"");
      }
    } else if (key == "topic") {
      if (reply.topic != want.get<std::string>()) {
        fail("topic: want " + want.dump() + ", got \"" + reply.topic + "\"");
      }
    } else if (key == "contains") {
      for (const std::string& part : StringList(want)) {
        if (lower.find(Lower(part)) == std::string::npos) {
          fail("reply does not contain \"" + part + "\"");
        }
      }
    } else if (key == "not_contains") {
      for (const std::string& part : StringList(want)) {
        if (lower.find(Lower(part)) != std::string::npos) {
          fail("reply contains \"" + part + "\"");
        }
      }
    } else if (key == "matches") {
      RE2 re(want.get<std::string>(), RE2::Quiet);
      if (!re.ok() || !RE2::PartialMatch(text, re)) {
        fail("reply does not match " + want.dump());
      }
    } else if (key == "safety") {
      const std::string got(reply.safety.level == SafetyLevel::kNone
                                ? "none"
                                : SafetyKindName(reply.safety.kind));
      if (got != want.get<std::string>()) {
        fail("safety: want " + want.dump() + ", got \"" + got + "\"");
      }
    } else if (key == "level") {
      const std::string got(SafetyLevelName(reply.safety.level));
      if (got != want.get<std::string>()) {
        fail("level: want " + want.dump() + ", got \"" + got + "\"");
      }
    } else if (key == "fallback") {
      if (reply.fallback != want.get<bool>()) {
        fail(std::string("fallback: want ") + want.dump());
      }
    } else if (key == "resources") {
      if (reply.resources.empty() == want.get<bool>()) {
        fail(std::string("resources: want ") + want.dump());
      }
    } else if (key == "quick_replies") {
      std::vector<std::string> offered;
      for (const Message& m : reply.messages) {
        offered.insert(offered.end(), m.quick_replies.begin(),
                       m.quick_replies.end());
      }
      for (const std::string& option : StringList(want)) {
        if (std::find(offered.begin(), offered.end(), option) ==
            offered.end()) {
          fail("quick reply \"" + option + "\" not offered");
        }
      }
    } else {
      fail("unknown expectation \"" + key + "\"");
    }
  }
}

// Runs one transcript file; returns false and prints why on failure.
bool RunTranscript(const Engine& engine, const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> problems;
  std::string name = path.filename().string();
  try {
    const json doc = json::parse(buffer.str());
    name = doc.value("name", name);
    const TurnOptions options{.region = doc.value("region", std::string())};
    Session session;
    Reply reply =
        engine.Start(doc.value("seed", uint64_t{1}), &session, options);
    if (doc.contains("start")) CheckTurn(reply, doc["start"], &problems);
    const json& turns = doc.at("turns");
    for (size_t i = 0; i < turns.size() && problems.empty(); ++i) {
      reply = engine.Respond(turns[i].at("say").get<std::string>(), &session,
                             options);
      CheckTurn(reply, turns[i].value("expect", json::object()), &problems);
      if (!problems.empty()) {
        problems.insert(problems.begin(),
                        "turn " + std::to_string(i + 1) + " (\"" +
                            turns[i]["say"].get<std::string>() + "\"):");
        problems.push_back("reply was: " + ReplyText(reply));
      }
    }
  } catch (const json::exception& e) {
    problems.push_back(std::string("bad transcript file: ") + e.what());
  }
  if (problems.empty()) {
    std::printf("PASS %s\n", path.filename().c_str());
    return true;
  }
  std::printf("FAIL %s: %s\n", path.filename().c_str(), name.c_str());
  for (const std::string& problem : problems) {
    std::printf("     %s\n", problem.c_str());
  }
  return false;
}

}  // namespace

int RunTest(int argc, char** argv) {
  Flags flags(argc, argv, {"dialogs"});
  if (flags.Has("help")) {
    std::printf(
        "Usage: trustcoach test [--dialogs DIR] FILE_OR_DIR...\n\n"
        "Runs transcript tests (JSON; see docs/dialog-format.md) and ends\n"
        "with the line 'N passed, N failed'. Exits 1 if any failed.\n");
    return 0;
  }
  if (!flags.error().empty() || !flags.Unknown({"help", "dialogs"}).empty() ||
      flags.positional().empty()) {
    std::fprintf(stderr,
                 "trustcoach test: usage: trustcoach test [--dialogs DIR] "
                 "FILE_OR_DIR...\n");
    return 2;
  }
  std::unique_ptr<Engine> engine =
      LoadEngineOrPrintErrors(flags.Get("dialogs", DefaultDialogsDir()));
  if (engine == nullptr) return 1;
  std::vector<fs::path> files;
  for (const std::string& arg : flags.positional()) {
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      for (const auto& entry : fs::directory_iterator(arg)) {
        if (entry.path().extension() == ".json") files.push_back(entry.path());
      }
    } else {
      files.emplace_back(arg);
    }
  }
  std::sort(files.begin(), files.end());
  int passed = 0;
  int failed = 0;
  for (const fs::path& file : files) {
    (RunTranscript(*engine, file) ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace trustcoach::cli
