#include "engine/content_rules.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

namespace trustcoach {
namespace {

// Phrases that contain a blocked one but say the opposite: reassurance that
// something is not the person's fault, and the person's own request as a
// quick reply. They are set aside before the blocklist is checked.
const std::vector<std::string>& Allowed() {
  static const std::vector<std::string> list = {
      "not your fault",    "none of this is your fault",
      "never your fault",  "none of it is your fault",
      "help me calm down", "i want to calm down"};
  return list;
}

const std::vector<std::string>& HumanClaims() {
  static const std::vector<std::string> list = {
      "i am a human",     "i'm a human",        "i am human",
      "i'm human",        "i am a real person", "i'm a real person",
      "i am a therapist", "i'm a therapist",    "i am a counsellor",
      "i'm a counsellor", "i am a counselor",   "i'm a counselor"};
  return list;
}

std::string Fold(std::string_view in) {
  std::string text(in);
  // Curly apostrophes and quotes to ASCII, then lower case.
  const std::pair<std::string_view, std::string_view> folds[] = {
      {"\xE2\x80\x99", "'"},
      {"\xE2\x80\x98", "'"},
      {"\xE2\x80\x9C", "\""},
      {"\xE2\x80\x9D", "\""}};
  for (const auto& [from, to] : folds) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// True if `phrase` occurs in `text` with no letter or digit right before or
// after it.
bool ContainsPhrase(const std::string& text, const std::string& phrase) {
  for (size_t at = text.find(phrase); at != std::string::npos;
       at = text.find(phrase, at + 1)) {
    const bool left = at == 0 || !IsWordChar(text[at - 1]);
    const size_t end = at + phrase.size();
    const bool right = end >= text.size() || !IsWordChar(text[end]);
    if (left && right) return true;
  }
  return false;
}

struct Line {
  std::string where;
  const std::string* text;
};

std::string NodePointer(const FlowSpec& flow, const NodeSpec& node) {
  return flow.file + ": " + flow.pointer + "/nodes/" + node.id;
}

// Every line the coach can say: node `say`, `reprompt`, `quick_replies`,
// intents' `aside` clauses, and the engine's own messages.
std::vector<Line> CoachLines(const DialogSet& dialogs) {
  std::vector<Line> lines;
  const auto add = [&](const std::string& where,
                       const std::vector<std::string>& texts) {
    for (size_t i = 0; i < texts.size(); ++i) {
      lines.push_back({where + "/" + std::to_string(i), &texts[i]});
    }
  };
  for (const FlowSpec& flow : dialogs.spec().flows) {
    for (const NodeSpec& node : flow.nodes) {
      const std::string at = NodePointer(flow, node);
      add(at + "/say", node.say);
      add(at + "/again", node.again);
      add(at + "/reprompt", node.reprompt);
      add(at + "/quick_replies", node.quick_replies);
    }
  }
  for (const IntentSpec& intent : dialogs.spec().intents) {
    add(intent.file + ": " + intent.pointer + "/aside", intent.aside);
  }
  const EngineConfig& config = dialogs.config();
  add("engine.json: /truncated", config.truncated);
  add("engine.json: /returning", config.returning);
  add("engine.json: /return_recap", config.return_recap);
  add("engine.json: /resume", config.resume);
  add("engine.json: /resume_none", config.resume_none);
  add("engine.json: /fallback", config.fallback);
  add("engine.json: /reminder", config.reminder);
  return lines;
}

void CheckWording(const DialogSet& dialogs, std::vector<std::string>* out) {
  for (const Line& line : CoachLines(dialogs)) {
    for (const std::string& phrase : BlockedPhrases(*line.text)) {
      out->push_back(line.where + ": says \"" + phrase + "\": " + *line.text);
    }
    const std::string folded = Fold(*line.text);
    for (const std::string& claim : HumanClaims()) {
      if (ContainsPhrase(folded, claim)) {
        out->push_back(line.where + ": claims to be human (\"" + claim +
                       "\"): the coach says it is automated");
      }
    }
  }
}

bool IsTerminal(const NodeSpec& node) {
  return node.on.empty() && node.else_to.empty() && node.next.empty() &&
         node.branch.empty();
}

// Walks every path from a start; records each path that ends (a terminal
// node, @return, @end) without passing a node that points to help.
class PathWalker {
 public:
  explicit PathWalker(const DialogSet& dialogs) : dialogs_(dialogs) {}

  void Walk(const FlowPosition& from) {
    path_.clear();
    Visit(from, false);
  }

  std::vector<std::string>& failures() { return failures_; }

 private:
  bool PointsToHelp(const FlowPosition& at, const NodeSpec& node) const {
    // The safety flow points to help through its resources.
    return node.therapy ||
           (at.flow == dialogs_.config().safety_flow && node.resources);
  }

  void Visit(const FlowPosition& at, bool helped_before) {
    const NodeSpec* node = dialogs_.FindNode(at.flow, at.node);
    if (node == nullptr) return;
    const bool helped = helped_before || PointsToHelp(at, *node);
    const std::string key = at.flow + "." + at.node;
    if (!seen_.insert({key, helped}).second) return;
    path_.push_back(key);
    std::vector<const std::string*> targets;
    bool always_branches = false;
    for (const Branch& branch : node->branch) {
      targets.push_back(&branch.to);
      always_branches |= branch.if_slot.empty();
    }
    bool ends = false;
    // A branch that always holds means the node's own moves never happen.
    if (!always_branches) {
      for (const auto& [intent, target] : node->on) targets.push_back(&target);
      if (!node->else_to.empty()) targets.push_back(&node->else_to);
      if (!node->next.empty()) targets.push_back(&node->next);
      ends = IsTerminal(*node);
    }
    for (const std::string* target : targets) {
      FlowPosition next;
      if (*target == kTargetMenu) {
        dialogs_.Resolve("", dialogs_.config().menu, &next);
        Visit(next, helped);
      } else if (*target == kTargetContinue) {
        // Back to the interrupted flow, whose own paths are checked; with
        // none, the conversation stays where it was.
      } else if (dialogs_.Resolve(at.flow, *target, &next)) {
        Visit(next, helped);
      } else {
        ends = true;  // @return, @end
      }
    }
    // Once abuse was seen, entering a couples node goes to the redirect.
    FlowPosition redirect;
    if (node->couples &&
        dialogs_.Resolve("", dialogs_.config().abuse_redirect, &redirect)) {
      Visit(redirect, helped_before);
    }
    if (ends && !helped) {
      std::string text = "path ends without pointing to professional help: ";
      for (size_t i = 0; i < path_.size(); ++i) {
        text += (i ? " -> " : "") + path_[i];
      }
      failures_.push_back(std::move(text));
    }
    path_.pop_back();
  }

  const DialogSet& dialogs_;
  std::set<std::pair<std::string, bool>> seen_;
  std::vector<std::string> path_;
  std::vector<std::string> failures_;
};

void CheckHelp(const DialogSet& dialogs, std::vector<std::string>* out) {
  PathWalker walker(dialogs);
  for (const FlowSpec& flow : dialogs.spec().flows) {
    walker.Walk({flow.id, flow.start});
  }
  for (const IntentSpec& intent : dialogs.spec().intents) {
    FlowPosition at;
    if (!intent.start.empty() && dialogs.Resolve("", intent.start, &at)) {
      walker.Walk(at);
    }
  }
  for (std::string& failure : walker.failures()) {
    out->push_back(std::move(failure));
  }
}

void CheckVariety(const DialogSet& dialogs, std::vector<std::string>* out) {
  for (const FlowSpec& flow : dialogs.spec().flows) {
    if (flow.id == dialogs.config().safety_flow) continue;
    for (const NodeSpec& node : flow.nodes) {
      const bool prompts = !node.on.empty() || !node.else_to.empty();
      if (prompts && node.say.size() == 1) {
        out->push_back(NodePointer(flow, node) +
                       "/say: a prompt needs at least two variants, so a "
                       "returning person does not read the same sentence");
      }
    }
  }
}

std::vector<std::string> Defined(const DialogSet& dialogs,
                                 std::initializer_list<const char*> ids) {
  std::vector<std::string> out;
  for (const char* id : ids) {
    if (dialogs.FindIntent(id) != nullptr) out.emplace_back(id);
  }
  return out;
}

void CheckRequests(const DialogSet& dialogs, std::vector<std::string>* out) {
  const std::vector<std::string> therapy =
      Defined(dialogs, {"ask_therapy", "ask_find_therapist"});
  // A question about feelings (it names "anger") lets the other requests a
  // person makes instead of answering through too.
  const std::vector<std::string> feelings = Defined(
      dialogs, {"ask_stay_or_leave", "ask_therapy", "ask_find_therapist",
                "ask_too_late", "ask_rebuild_trust"});
  for (const FlowSpec& flow : dialogs.spec().flows) {
    for (const NodeSpec& node : flow.nodes) {
      if (node.capture.empty()) continue;
      for (const std::string& id :
           node.on.count("anger") > 0 ? feelings : therapy) {
        if (node.on.count(id) == 0) {
          out->push_back(NodePointer(flow, node) +
                         "/on: a free-text question must let '" + id +
                         "' through (docs/authoring.md)");
        }
      }
    }
  }
}

// Says `example` where it says it is said, as a person would, and returns
// the intent the engine chose ("" for none, "!safety" when the safety screen
// answered, unless an intent marked `safety_answer` answered for it); "!at"
// when its node is unknown.
std::string IntentAt(const Engine& engine, const IntentExample& example) {
  Session session;
  engine.Start(1, &session);
  if (!example.at.empty()) {
    FlowPosition at;
    if (!engine.dialogs().Resolve("", example.at, &at)) return "!at";
    session.stack = {at};
  }
  const Reply reply = engine.Respond(example.text, &session);
  if (reply.safety.level != SafetyLevel::kNone && reply.intent.empty()) {
    return "!safety";
  }
  return reply.intent;
}

void CheckExamples(const Engine& engine, std::vector<std::string>* out) {
  for (const IntentSpec& intent : engine.dialogs().spec().intents) {
    const auto check = [&](const std::vector<IntentExample>& examples,
                           const char* key, bool reaches) {
      for (size_t i = 0; i < examples.size(); ++i) {
        const IntentExample& example = examples[i];
        const std::string got = IntentAt(engine, example);
        const std::string where =
            intent.file + ": " + intent.pointer + "/" + key + "/" +
            std::to_string(i) + ": \"" + example.text + "\"" +
            (example.at.empty() ? "" : " at " + example.at);
        if (got == "!at") {
          out->push_back(where + ": unknown node");
        } else if (reaches && got != intent.id) {
          out->push_back(where + " reaches " +
                         (got == "!safety" ? "the safety screen"
                          : got.empty()    ? "no intent"
                                           : "'" + got + "'") +
                         ", not '" + intent.id + "'");
        } else if (!reaches && got == intent.id) {
          out->push_back(where + " reaches '" + intent.id +
                         "', which it must not");
        }
      }
    };
    check(intent.examples, "examples", true);
    check(intent.not_examples, "not_examples", false);
  }
}

// Quick replies must be understood where they are offered: tapping one
// reaches an intent the node expects, or one that starts a flow. A quick
// reply the safety screen answers ("I'm not safe") is understood by it. A
// node with `else` takes any reply.
void CheckQuickReplies(const DialogSet& dialogs,
                       std::vector<std::string>* out) {
  const std::vector<IntentSpec>& intents = dialogs.spec().intents;
  // A guess's label, offered as a quick reply, reaches its intent.
  const std::vector<GuessSpec>& guesses = dialogs.config().guesses;
  for (size_t g = 0; g < guesses.size(); ++g) {
    const IntentSpec* intent = dialogs.FindIntent(guesses[g].intent);
    const IntentMatch match = dialogs.matcher().Match(
        Normalize(guesses[g].label, dialogs.substitutions()), {});
    if (intent == nullptr || intent->start.empty() || match.intent < 0 ||
        intents[match.intent].id != guesses[g].intent) {
      out->push_back("engine.json: /guesses/" + std::to_string(g) +
                     ": label '" + guesses[g].label +
                     "' does not reach intent '" + guesses[g].intent +
                     "' (an intent with a `start`)");
    }
  }
  for (const FlowSpec& flow : dialogs.spec().flows) {
    for (const NodeSpec& node : flow.nodes) {
      if (!node.else_to.empty()) continue;
      for (size_t q = 0; q < node.quick_replies.size(); ++q) {
        const std::string text =
            Normalize(node.quick_replies[q], dialogs.substitutions());
        if (dialogs.safety().Check(text).level != SafetyLevel::kNone) {
          continue;
        }
        const IntentMatch match = dialogs.matcher().Match(
            text, {.flow = flow.id, .node = node.id, .expected = &node.on});
        const bool understood =
            match.intent >= 0 && (node.on.count(intents[match.intent].id) > 0 ||
                                  !intents[match.intent].start.empty());
        if (!understood) {
          out->push_back(NodePointer(flow, node) + "/quick_replies/" +
                         std::to_string(q) + ": quick reply '" +
                         node.quick_replies[q] +
                         "' is not understood at this node");
        }
      }
    }
  }
}

}  // namespace

const std::vector<std::string>& WordingBlocklist() {
  static const std::vector<std::string> list = {
      // Blaming the person.
      "you should have", "you shouldn't have", "you should not have",
      "your fault", "your own fault", "you brought it on yourself",
      "you asked for it", "deserved it", "what did you do to", "why didn't you",
      "why did you let", "what were you thinking", "you let it happen",
      "you provoked",
      // Dismissing feelings.
      "overreacting", "over-reacting", "over reacting", "get over it",
      "just get over", "move on already", "just move on", "let it go",
      "calm down", "not a big deal", "no big deal", "too sensitive",
      "oversensitive", "snap out of it", "cheer up", "man up", "toughen up",
      "stop crying", "it could be worse", "everyone cheats",
      "boys will be boys", "forgive and forget", "you need to forgive",
      "you must forgive", "should be over it", "in your head", "drama queen",
      "dramatic", "hysterical", "attention seeking", "attention-seeking",
      "just leave",
      // Labels for the person or the absent partner.
      "crazy", "insane", "stupid", "idiot", "dumb", "pathetic", "ridiculous",
      "silly", "psycho", "narcissist", "cheater", "cheaters", "liar", "liars",
      "abuser", "abusers", "homewrecker", "adulterer", "slut", "whore",
      "selfish", "needy", "clingy", "paranoid", "weak person",
      // Talking down.
      "obviously", "clearly you", "of course you should", "as i said",
      // Unsafe wording about suicide and self-harm.
      "commit suicide", "committed suicide", "successful suicide",
      "failed suicide", "kill yourself", "cutter"};
  return list;
}

std::vector<std::string> BlockedPhrases(std::string_view in) {
  std::string text = Fold(in);
  for (const std::string& allowed : Allowed()) {
    for (size_t at = text.find(allowed); at != std::string::npos;
         at = text.find(allowed, at)) {
      text.replace(at, allowed.size(), 1, ' ');
    }
  }
  std::vector<std::string> out;
  for (const std::string& phrase : WordingBlocklist()) {
    if (ContainsPhrase(text, phrase)) out.push_back(phrase);
  }
  return out;
}

std::vector<std::string> CheckContent(const Engine& engine) {
  const DialogSet& dialogs = engine.dialogs();
  std::vector<std::string> problems;
  CheckWording(dialogs, &problems);
  CheckHelp(dialogs, &problems);
  CheckVariety(dialogs, &problems);
  CheckRequests(dialogs, &problems);
  return problems;
}

std::vector<std::string> CheckUnderstanding(const Engine& engine) {
  std::vector<std::string> problems;
  CheckQuickReplies(engine.dialogs(), &problems);
  CheckExamples(engine, &problems);
  return problems;
}

}  // namespace trustcoach
