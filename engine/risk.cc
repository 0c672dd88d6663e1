#include "engine/risk.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trustcoach {

SafetyContext RiskContext(const Session& session) {
  SafetyContext context;
  if (session.risk_left > 0) {
    // A watch after a check-in names its kind in a slot; a crisis state
    // is the session's risk.
    auto watch = session.slots.find(kRiskWatchSlot);
    const std::string& kind =
        watch != session.slots.end() ? watch->second : session.risk;
    context.risk = ParseSafetyKind(kind).value_or(SafetyKind::kNone);
  }
  context.minor = session.minor;
  return context;
}

namespace {

// "flow.node" as its flow and node.
std::pair<std::string_view, std::string_view> Split(std::string_view node) {
  const size_t dot = node.find('.');
  if (dot == std::string_view::npos) return {node, {}};
  return {node.substr(0, dot), node.substr(dot + 1)};
}

// Whether, in the turns the session remembers, the person was asked the
// check-in (a turn that ended at the safety flow's "check_in") and answered
// it: the next turn ended at "check_in_ok" or back in another flow. A
// crisis answer since (a turn that ended at the safety flow's node for a
// kind) makes it a new situation, where the question is asked again.
bool CheckInAnswered(const Session& session) {
  const std::vector<TurnRecord>& history = session.history;
  bool answered = false;
  for (size_t i = 0; i < history.size(); ++i) {
    const auto [flow, node] = Split(history[i].node);
    if (i > 0 && ParseSafetyKind(node).value_or(SafetyKind::kNone) !=
                     SafetyKind::kNone) {
      answered = false;
    }
    // "check_in_risk" is the check-in's wording after a crisis answer.
    if ((node != "check_in" && node != "check_in_risk") ||
        i + 1 >= history.size()) {
      continue;
    }
    const auto [next_flow, next_node] = Split(history[i + 1].node);
    if (next_node == "check_in_ok" || next_flow != flow) answered = true;
  }
  return answered;
}

// A clear safe signal: "i'm safe now" set aside by the screen, or the last
// turn reached a node where the person said they are safe, put the means
// away, called someone or made a plan.
bool IsSafeSignal(const SafetyVerdict& verdict, const Session& session) {
  if (verdict.level == SafetyLevel::kNone &&
      verdict.rule == "idiom.reassurance") {
    return true;
  }
  if (session.history.empty()) return false;
  const auto [flow, node] = Split(session.history.back().node);
  return node == "safe_now" || node == "check_in_ok" || node == "means_away" ||
         node == "called" || node == "ground_better" || node == "plan_summary";
}

}  // namespace

bool UpdateRisk(const SafetyContext& context, SafetyVerdict* verdict,
                Session* session) {
  if (verdict->minor) session->minor = true;
  // Asked and answered: the same gentle question is not asked again a turn
  // or two later ("can we talk about something else" after "i'm safe,
  // let's go on"); the reply carries the helplines instead.
  if (verdict->level == SafetyLevel::kCheckIn && CheckInAnswered(*session)) {
    verdict->level = SafetyLevel::kNone;
    verdict->kind = SafetyKind::kNone;
    if (session->risk_left > 0) --session->risk_left;
    return true;
  }
  if (session->minor && (verdict->kind == SafetyKind::kAbuse ||
                         verdict->kind == SafetyKind::kSexualViolence)) {
    verdict->kind = SafetyKind::kChildSafety;
  }
  const bool watch = session->slots.count(kRiskWatchSlot) > 0;
  // A watch makes the while_risk rules count; only a crisis state keeps
  // the helplines on every reply.
  const bool lasted = context.risk != SafetyKind::kNone && !watch;
  if (verdict->level == SafetyLevel::kCrisis) {
    session->risk_left = kRiskTurns;
    session->slots.erase(kRiskWatchSlot);
    session->slots.insert_or_assign(kRiskHoldSlot, std::string(1, '1'));
    return true;
  }
  // A check-in about suicide or self-harm outside a risk state: a short
  // watch, so that what comes next is read in its light.
  if (verdict->level == SafetyLevel::kCheckIn &&
      (context.risk == SafetyKind::kNone || watch) &&
      (verdict->kind == SafetyKind::kSuicide ||
       verdict->kind == SafetyKind::kSelfHarm)) {
    session->risk_left = kWatchTurns;
    session->slots.insert_or_assign(kRiskWatchSlot,
                                    std::string(SafetyKindName(verdict->kind)));
    return false;
  }
  if (session->risk_left == 0) return lasted;
  auto hold = session->slots.find(kRiskHoldSlot);
  if (hold != session->slots.end() && IsSafeSignal(*verdict, *session)) {
    session->slots.erase(hold);
    hold = session->slots.end();
    if (session->risk_left < kCalmTurns + 1)
      session->risk_left = kCalmTurns + 1;
  }
  // Held: a crisis state does not end before a safe signal.
  if (session->risk_left > 1 || hold == session->slots.end()) {
    --session->risk_left;
  }
  if (session->risk_left == 0) session->slots.erase(kRiskWatchSlot);
  return lasted;
}

}  // namespace trustcoach
