// trustcoach test: runs conversation transcript tests (docs/dialog-format.md).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "cli/commands.h"
#include "cli/settings.h"
#include "engine/dialog_loader.h"
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

// What the transcripts reach, against what the dialogs define: nodes,
// intents, transitions (a node's `on` entries, `else`, `next` and branches)
// and the safety screen's rules.
class Coverage {
 public:
  explicit Coverage(const DialogSet& dialogs) : dialogs_(dialogs) {
    for (const FlowSpec& flow : dialogs.spec().flows) {
      for (const NodeSpec& node : flow.nodes) {
        const std::string at = flow.id + "." + node.id;
        nodes_[at] = false;
        for (const auto& [intent, target] : node.on) {
          transitions_[at + " -" + intent + "-> " + target] = false;
        }
        if (!node.else_to.empty()) {
          transitions_[at + " -else-> " + node.else_to] = false;
        }
        if (!node.next.empty()) {
          transitions_[at + " -next-> " + node.next] = false;
        }
        for (const Branch& branch : node.branch) {
          transitions_[at + " -branch-> " + branch.to] = false;
        }
      }
    }
    for (const IntentSpec& intent : dialogs.spec().intents) {
      intents_[intent.id] = false;
    }
    for (const std::string& rule : dialogs.safety().RuleIds()) {
      rules_[rule] = false;
    }
  }

  // Records one turn: `before` is the session before it, `reply` was made
  // with Trace::kOn.
  void Record(const Session& before, const Session& after, const Reply& reply) {
    std::set<std::string> entered;
    for (const auto& [key, count] : after.visits) {
      auto was = before.visits.find(key);
      if (was == before.visits.end() || was->second != count) {
        entered.insert(key);
      }
    }
    for (const std::string& key : entered) Mark(&nodes_, key);
    if (!reply.intent.empty()) Mark(&intents_, reply.intent);
    const json& explain = reply.explain;
    const std::string rule =
        explain.contains("safety")
            ? explain.at("safety").value("rule", std::string())
            : std::string();
    if (!rule.empty()) Mark(&rules_, rule.substr(0, rule.find('+')));
    const std::string action = explain.value("action", std::string());
    if (!before.stack.empty()) {
      const FlowPosition& from = before.stack.back();
      const std::string at = from.flow + "." + from.node;
      if (const NodeSpec* node = dialogs_.FindNode(from.flow, from.node)) {
        auto on = node->on.find(reply.intent);
        if (action == "on" && on != node->on.end()) {
          Mark(&transitions_, at + " -" + reply.intent + "-> " + on->second);
        } else if (action == "else") {
          Mark(&transitions_, at + " -else-> " + node->else_to);
        }
      }
    }
    // `next` and branches move within a turn: taken when both ends were
    // entered in it.
    for (const std::string& key : entered) {
      const size_t dot = key.find('.');
      const NodeSpec* node =
          dialogs_.FindNode(key.substr(0, dot), key.substr(dot + 1));
      if (node == nullptr) continue;
      const auto reached = [&](const std::string& target) {
        FlowPosition to;
        return dialogs_.Resolve(key.substr(0, dot), target, &to) &&
               entered.count(to.flow + "." + to.node) > 0;
      };
      if (!node->next.empty() && reached(node->next)) {
        Mark(&transitions_, key + " -next-> " + node->next);
      }
      for (const Branch& branch : node->branch) {
        if (reached(branch.to)) {
          Mark(&transitions_, key + " -branch-> " + branch.to);
        }
      }
    }
  }

  // Prints the totals and what is never reached; returns the lowest share
  // of nodes and intents reached, in percent.
  double Print() const {
    std::printf("coverage:\n");
    double lowest = 100;
    for (const auto& [name, items] :
         {std::pair{"nodes", &nodes_}, std::pair{"intents", &intents_},
          std::pair{"transitions", &transitions_},
          std::pair{"safety rules", &rules_}}) {
      size_t hit = 0;
      for (const auto& [key, reached] : *items) hit += reached;
      const double share = items->empty()
                               ? 100
                               : 100.0 * static_cast<double>(hit) /
                                     static_cast<double>(items->size());
      std::printf("  %-13s %4zu / %4zu  %5.1f%%\n", name, hit, items->size(),
                  share);
      if (items == &nodes_ || items == &intents_) {
        lowest = std::min(lowest, share);
      }
    }
    for (const auto& [name, items] :
         {std::pair{"node", &nodes_}, std::pair{"intent", &intents_},
          std::pair{"transition", &transitions_},
          std::pair{"safety rule", &rules_}}) {
      for (const auto& [key, reached] : *items) {
        if (!reached)
          std::printf("  never reached %s: %s\n", name, key.c_str());
      }
    }
    return lowest;
  }

 private:
  static void Mark(std::map<std::string, bool>* items, const std::string& key) {
    auto it = items->find(key);
    if (it != items->end()) it->second = true;
  }

  const DialogSet& dialogs_;
  std::map<std::string, bool> nodes_, intents_, transitions_, rules_;
};

// One transcript's result, for the summary and --junit.
struct Result {
  std::string file;
  std::string name;
  std::vector<std::string> problems;
};

std::string XmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        // XML 1.0 allows no control characters but tab and newlines.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') {
          out += c;
        }
    }
  }
  return out;
}

bool WriteJunit(const std::string& path, const std::vector<Result>& results) {
  std::ofstream out(path, std::ios::trunc);
  size_t failures = 0;
  for (const Result& r : results) failures += !r.problems.empty();
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites>\n<testsuite name=\"transcripts\" tests=\""
      << results.size() << "\" failures=\"" << failures << "\">\n";
  for (const Result& r : results) {
    out << "  <testcase classname=\"transcripts\" name=\"" << XmlEscape(r.file)
        << "\">";
    if (!r.problems.empty()) {
      std::string text;
      for (const std::string& p : r.problems) text += p + "\n";
      out << "\n    <failure message=\"" << XmlEscape(r.name) << "\">"
          << XmlEscape(text) << "</failure>\n  ";
    }
    out << "</testcase>\n";
  }
  out << "</testsuite>\n</testsuites>\n";
  return out.good();
}

// Runs one transcript file; returns false and prints why on failure.
bool RunTranscript(const Engine& engine, const fs::path& path,
                   Coverage* coverage, std::vector<Result>* results) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::vector<std::string> problems;
  std::string name = path.filename().string();
  try {
    const json doc = json::parse(buffer.str());
    name = doc.value("name", name);
    const TurnOptions options{
        .trace = coverage != nullptr ? Trace::kOn : Trace::kOff,
        .region = doc.value("region", std::string())};
    Session session;
    Reply reply =
        engine.Start(doc.value("seed", uint64_t{1}), &session, options);
    if (coverage != nullptr) coverage->Record(Session(), session, reply);
    if (doc.contains("start")) CheckTurn(reply, doc["start"], &problems);
    const json& turns = doc.at("turns");
    for (size_t i = 0; i < turns.size() && problems.empty(); ++i) {
      const Session before = coverage != nullptr ? session : Session();
      reply = engine.Respond(turns[i].at("say").get<std::string>(), &session,
                             options);
      if (coverage != nullptr) coverage->Record(before, session, reply);
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
  results->push_back({path.filename().string(), name, problems});
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
  TestSettings settings;
  const int exit = LoadSettingsOrExit(
      argc, argv,
      "Usage: trustcoach test [OPTIONS] FILE_OR_DIR...\n\n"
      "Runs transcript tests (JSON; see docs/dialog-format.md) and ends\n"
      "with the line 'N passed, N failed'. Exits 1 if any failed.\n",
      &settings);
  if (exit >= 0) return exit;
  if (settings.paths.empty()) {
    std::fprintf(stderr,
                 "trustcoach test: usage: trustcoach test [OPTIONS] "
                 "FILE_OR_DIR...\n");
    return 2;
  }
  const double min_coverage = settings.min_coverage;
  std::unique_ptr<Engine> engine = LoadEngineOrPrintErrors(settings.dialogs);
  if (engine == nullptr) return 1;
  std::unique_ptr<Coverage> coverage;
  if (settings.coverage) {
    coverage = std::make_unique<Coverage>(engine->dialogs());
  }
  std::vector<Result> results;
  std::vector<fs::path> files;
  for (const std::string& arg : settings.paths) {
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
    (RunTranscript(*engine, file, coverage.get(), &results) ? passed
                                                            : failed)++;
  }
  bool covered = true;
  if (coverage != nullptr) {
    const double lowest = coverage->Print();
    if (lowest < min_coverage) {
      std::printf("coverage below %.1f%%: %.1f%% of nodes or intents\n",
                  min_coverage, lowest);
      covered = false;
    }
  }
  if (!settings.junit.empty() && !WriteJunit(settings.junit, results)) {
    std::fprintf(stderr, "trustcoach test: cannot write %s\n",
                 settings.junit.c_str());
    return 1;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 && covered ? 0 : 1;
}

}  // namespace trustcoach::cli
