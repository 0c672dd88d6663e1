#include "engine/engine.h"

#include <algorithm>

#include "engine/dialog_loader.h"
#include "engine/normalizer.h"
#include "engine/template.h"

namespace trustcoach {
namespace {

using nlohmann::json;

// Enough for any sensible chain of `next`, `branch` and returns; a loop in
// the dialogs stops here instead of hanging a request thread.
constexpr int kMaxHops = 12;
constexpr size_t kMaxStack = 4;
constexpr size_t kMaxCaptureBytes = 300;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash(std::string_view text) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string Key(const FlowPosition& p) { return p.flow + "." + p.node; }

bool IsTerminal(const NodeSpec& node) {
  return node.on.empty() && node.else_to.empty() && node.next.empty() &&
         node.branch.empty();
}

json ScopeJson(const IntentSpec& intent) {
  if (intent.local) return "local";
  if (intent.scope.empty()) return "global";
  return intent.scope;
}

// Builds one reply: the node walk of a single turn.
class Turn {
 public:
  Turn(const DialogSet& dialogs, Session* session, const TurnOptions& options,
       Reply* reply)
      : dialogs_(dialogs),
        session_(*session),
        options_(options),
        reply_(*reply) {}

  const NodeSpec* CurrentNode() const {
    if (session_.stack.empty()) return nullptr;
    return dialogs_.FindNode(session_.stack.back().flow,
                             session_.stack.back().node);
  }

  // Says one of `variants`, rotating per `key` so that a variant is never
  // the one said on the previous visit.
  void Say(const std::vector<std::string>& variants, const std::string& key,
           const std::vector<std::string>& quick_replies = {}) {
    if (variants.empty()) return;
    uint32_t& count = session_.visits[key];
    const uint64_t first = Mix(session_.seed ^ Hash(key)) % variants.size();
    const std::string& chosen = variants[(first + count) % variants.size()];
    ++count;
    reply_.messages.push_back(
        {RenderTemplate(chosen, session_.slots, dialogs_.reflections()),
         quick_replies});
  }

  // Moves to `target` as named from the current flow.
  void Go(const std::string& target) {
    if (target == kTargetReturn) return Return();
    if (target == kTargetEnd) return EndFlow();
    if (target == kTargetMenu) return Replace(Resolved(dialogs_.config().menu));
    const std::string_view from = session_.stack.empty()
                                      ? std::string_view()
                                      : session_.stack.back().flow;
    FlowPosition position;
    if (dialogs_.Resolve(from, target, &position)) Replace(position);
  }

  // Starts `position` on top of the current flow, which resumes when the new
  // one ends, unless the current flow had already ended.
  void Interrupt(const FlowPosition& position) {
    const NodeSpec* current = CurrentNode();
    if (current == nullptr || IsTerminal(*current) ||
        session_.stack.back().flow == position.flow) {
      return Replace(position);
    }
    // The opening and the menu are hubs, not detours: going there ("start
    // over", "menu") leaves every interrupted flow behind.
    if (position.flow == dialogs_.config().start ||
        position.flow == dialogs_.config().menu) {
      session_.stack.clear();
      return Replace(position);
    }
    if (session_.stack.size() >= kMaxStack) {
      session_.stack.erase(session_.stack.begin());
    }
    session_.stack.push_back(position);
    Enter(position);
  }

  void Replace(const FlowPosition& position) {
    if (session_.stack.empty()) {
      session_.stack.push_back(position);
    } else {
      session_.stack.back() = position;
    }
    Enter(position);
  }

  // `position` may be the stack's top: nothing changes the stack before
  // the last use of `position` but the assignment to that same top.
  void Enter(const FlowPosition& position) {
    if (++hops_ > kMaxHops) return;
    const NodeSpec* node = dialogs_.FindNode(position.flow, position.node);
    if (node == nullptr) return;
    if (node->couples && session_.abuse) {
      return Replace(Resolved(dialogs_.config().abuse_redirect));
    }
    if (&session_.stack.back() != &position) session_.stack.back() = position;
    for (const Branch& branch : node->branch) {
      if (BranchHolds(branch)) return Go(branch.to);
    }
    for (const auto& [slot, value] : node->set) session_.slots[slot] = value;
    key_.assign(position.flow).append(1, '.').append(position.node);
    Say(node->say, key_, node->quick_replies);
    if (node->resources) AttachResources();
    if (!node->next.empty()) return Go(node->next);
    if (IsTerminal(*node) && session_.stack.size() > 1) Return();
  }

  // Ends the current flow; resumes the interrupted one, if any.
  void Return() {
    if (session_.stack.size() <= 1) return EndFlow();
    session_.stack.pop_back();
    Say(dialogs_.config().returning, "@return");
    Enter(session_.stack.back());
  }

  void EndFlow() {
    // The conversation stays at the last node; global intents still work.
    if (session_.stack.size() > 1) session_.stack.pop_back();
  }

  bool BranchHolds(const Branch& branch) const {
    if (branch.if_slot.empty()) return true;
    std::string_view value;
    if (branch.if_slot == "@abuse") {
      value = session_.abuse ? "true" : "";
    } else if (branch.if_slot == "@minor") {
      value = session_.minor ? "true" : "";
    } else if (branch.if_slot == "@risk") {
      value = session_.risk;
    } else {
      auto it = session_.slots.find(branch.if_slot);
      if (it != session_.slots.end()) value = it->second;
    }
    return branch.equals.empty() ? !value.empty() : value == branch.equals;
  }

  void AttachResources() {
    const SafetyKind kind =
        ParseSafetyKind(session_.risk).value_or(SafetyKind::kNone);
    const ResourceDirectory& directory = dialogs_.resources();
    reply_.resources = directory.ResourcesFor(
        kind, session_.minor, directory.ResolveRegion(options_.region));
  }

  FlowPosition Resolved(const std::string& target) const {
    FlowPosition position;
    if (!dialogs_.Resolve("", target, &position)) {
      position = {dialogs_.config().menu, ""};
    }
    return position;
  }

 private:
  const DialogSet& dialogs_;
  Session& session_;
  const TurnOptions& options_;
  Reply& reply_;
  int hops_ = 0;
  std::string key_;  // "flow.node" for Say(), its capacity kept for the turn
};

json ExplainCandidates(const DialogSet& dialogs, const IntentMatch& match) {
  json candidates = json::array();
  for (const IntentCandidate& c : match.candidates) {
    const IntentSpec& intent = dialogs.spec().intents[c.intent];
    candidates.push_back({{"intent", intent.id},
                          {"pattern", intent.patterns[c.pattern]},
                          {"scope", ScopeJson(intent)},
                          {"priority", intent.priority},
                          {"expected", c.expected},
                          {"held", c.held}});
  }
  return candidates;
}

}  // namespace

Engine::Engine(std::unique_ptr<DialogSet> dialogs)
    : dialogs_(std::move(dialogs)) {}

Engine::~Engine() = default;

Status Engine::Load(const std::string& dir, std::unique_ptr<Engine>* out) {
  return Load(dir, out, nullptr);
}

Status Engine::Load(const std::string& dir, std::unique_ptr<Engine>* out,
                    std::vector<std::string>* warnings) {
  std::unique_ptr<DialogSet> dialogs;
  Status s = DialogSet::Load(dir, &dialogs, warnings);
  if (!s.ok()) return s;
  out->reset(new Engine(std::move(dialogs)));
  return Status::OK();
}

Reply Engine::Start(uint64_t seed, Session* session,
                    const TurnOptions& options) const {
  *session = Session{.seed = seed};
  Reply reply;
  Turn turn(*dialogs_, session, options, &reply);
  FlowPosition start;
  if (dialogs_->Resolve("", dialogs_->config().start, &start)) {
    turn.Replace(start);
  }
  reply.flow = session->stack.back().flow;
  reply.node = session->stack.back().node;
  if (options.trace == Trace::kOn) {
    reply.explain = {
        {"action", "start"}, {"flow", reply.flow}, {"node", reply.node}};
  }
  return reply;
}

Reply Engine::Respond(std::string_view text, Session* session,
                      const TurnOptions& options) const {
  const DialogSet& dialogs = *dialogs_;
  Reply reply;
  Turn turn(dialogs, session, options, &reply);
  NormalizeInfo info;
  const std::string normalized =
      Normalize(text, dialogs.substitutions(), &info);
  reply.truncated = info.truncated;
  ++session->turns;
  if (session->stack.empty()) {
    FlowPosition start;
    if (dialogs.Resolve("", dialogs.config().start, &start)) {
      session->stack.push_back(start);
    }
  }
  if (info.truncated) turn.Say(dialogs.config().truncated, "@truncated");

  SafetyVerdict verdict = dialogs.safety().Check(normalized);
  if (verdict.minor) session->minor = true;
  if (session->minor && (verdict.kind == SafetyKind::kAbuse ||
                         verdict.kind == SafetyKind::kSexualViolence)) {
    verdict.kind = SafetyKind::kChildSafety;
  }

  json explain;
  std::string action;
  IntentMatch match;
  const std::string& safety_flow = dialogs.config().safety_flow;
  if (verdict.level == SafetyLevel::kCrisis) {
    action = "safety";
    session->risk = std::string(SafetyKindName(verdict.kind));
    // `verdict.abuse`: abuse was named even where a more urgent kind decided
    // ("he beats me and i want to die").
    if (verdict.abuse || verdict.kind == SafetyKind::kAbuse ||
        verdict.kind == SafetyKind::kSexualViolence ||
        verdict.kind == SafetyKind::kDangerNow ||
        verdict.kind == SafetyKind::kChildSafety) {
      session->abuse = true;
    }
    // Risk changes the conversation: the interrupted flow is not resumed.
    session->stack.clear();
    FlowPosition crisis_node{safety_flow, session->risk};
    if (dialogs.FindNode(crisis_node.flow, crisis_node.node) == nullptr) {
      dialogs.Resolve("", safety_flow, &crisis_node);  // the flow's start
    }
    turn.Replace(crisis_node);
    turn.AttachResources();
    reply.topic = "safety";
    session->misses = 0;
  } else if (verdict.level == SafetyLevel::kCheckIn) {
    action = "safety_check_in";
    turn.Interrupt({safety_flow, "check_in"});
    reply.topic = "safety";
    session->misses = 0;
  } else {
    const NodeSpec* node = turn.CurrentNode();
    const bool here = !session->stack.empty();
    match = dialogs.matcher().Match(
        normalized,
        {.flow = here ? std::string_view(session->stack.back().flow) : "",
         .node = here ? std::string_view(session->stack.back().node) : "",
         .expected = node != nullptr ? &node->on : nullptr,
         // Free text answers the question: "my sister" to "who could you
         // call?" is not a new topic. Only intents marked `interrupts`
         // (thanks, goodbye, menu...) take over; safety came first above.
         .captures_text = node != nullptr && !node->capture.empty()});
    const IntentSpec* intent =
        match.intent >= 0 ? &dialogs.spec().intents[match.intent] : nullptr;
    if (intent != nullptr) {
      for (const auto& [slot, value] : match.captures) {
        session->slots[slot] = value;
      }
      for (const auto& [slot, value] : intent->set) {
        session->slots[slot] = value;
      }
      reply.intent = intent->id;
      reply.topic = intent->topic;
    }
    const std::string* on = nullptr;  // where the node sends this intent
    if (intent != nullptr && node != nullptr) {
      auto it = node->on.find(intent->id);
      if (it != node->on.end()) on = &it->second;
    }
    if (on != nullptr) {
      action = "on";
      session->misses = 0;
      turn.Go(*on);
    } else if (intent != nullptr && !intent->start.empty()) {
      action = "start";
      session->misses = 0;
      FlowPosition position;
      if (dialogs.Resolve("", intent->start, &position)) {
        turn.Interrupt(position);
      }
    } else if (node != nullptr && !node->else_to.empty()) {
      action = "else";
      session->misses = 0;
      if (!node->capture.empty()) {
        session->slots[node->capture] =
            SanitizeUtf8(normalized, kMaxCaptureBytes);
      }
      turn.Go(node->else_to);
    } else if (++session->misses >= 2) {
      action = "menu";
      reply.fallback = true;
      session->misses = 0;
      turn.Go(kTargetMenu);
    } else {
      action = "fallback";
      reply.fallback = true;
      const bool own = node != nullptr && !node->reprompt.empty();
      const std::string key = session->stack.empty()
                                  ? "@fallback"
                                  : Key(session->stack.back()) + "#r";
      turn.Say(
          own ? node->reprompt : dialogs.config().fallback, key,
          node != nullptr ? node->quick_replies : std::vector<std::string>{});
    }
  }

  reply.safety.kind = verdict.kind;
  reply.safety.level = verdict.level;
  if (verdict.level == SafetyLevel::kNone && !session->risk.empty()) {
    reply.safety.kind =
        ParseSafetyKind(session->risk).value_or(SafetyKind::kNone);
    reply.safety.earlier = true;
  }
  const int every = dialogs.config().reminder_every;
  if (every > 0 && session->turns % static_cast<uint32_t>(every) == 0) {
    turn.Say(dialogs.config().reminder, "@reminder");
  }
  if (!session->stack.empty()) {
    reply.flow = session->stack.back().flow;
    reply.node = session->stack.back().node;
  }
  if (reply.topic.empty() && !reply.fallback) {
    if (const FlowSpec* flow = dialogs.FindFlow(reply.flow)) {
      reply.topic = flow->topic;
    }
  }
  // A full history drops its oldest record; its strings' memory, moved
  // to the end, takes the new one.
  std::vector<TurnRecord>& history = session->history;
  if (history.size() >= Session::kMaxHistory) {
    std::move(history.begin() + 1, history.end(), history.begin());
  } else {
    history.emplace_back();
  }
  history.back().intent = reply.intent;
  history.back().node.assign(reply.flow).append(1, '.').append(reply.node);

  if (options.trace == Trace::kOn) {
    json chosen = nullptr;
    if (match.intent >= 0) {
      const IntentSpec& intent = dialogs.spec().intents[match.intent];
      chosen = {{"intent", intent.id},
                {"pattern_index", match.pattern},
                {"pattern", intent.patterns[match.pattern]},
                {"file", intent.file},
                {"captures", match.captures},
                {"concepts",
                 dialogs.concepts().Present(normalized, intent.concepts)}};
    }
    reply.explain = {
        {"input", normalized},
        {"truncated", info.truncated},
        {"invalid_utf8", info.invalid_utf8},
        {"safety",
         {{"kind", SafetyKindName(verdict.kind)},
          {"level", SafetyLevelName(verdict.level)},
          {"rule", verdict.rule},
          {"concepts",
           dialogs.concepts().Present(
               normalized, dialogs.safety().ConceptsOf(verdict.rule))},
          {"minor", verdict.minor}}},
        {"candidates", ExplainCandidates(dialogs, match)},
        {"chosen", chosen},
        {"action", action},
        {"flow", reply.flow},
        {"node", reply.node},
        {"slots", session->slots},
    };
  }
  return reply;
}

}  // namespace trustcoach
