#include "engine/risk.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trustcoach {

SafetyContext RiskContext(const Session& session) {
  SafetyContext context;
  if (session.risk_left > 0) {
    context.risk = ParseSafetyKind(session.risk).value_or(SafetyKind::kNone);
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
    if (node != "check_in" || i + 1 >= history.size()) continue;
    const auto [next_flow, next_node] = Split(history[i + 1].node);
    if (next_node == "check_in_ok" || next_flow != flow) answered = true;
  }
  return answered;
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
  const bool lasted = context.risk != SafetyKind::kNone;
  if (verdict->level == SafetyLevel::kCrisis) {
    session->risk_left = kRiskTurns;
    return true;
  }
  if (session->risk_left > 0) --session->risk_left;
  return lasted;
}

}  // namespace trustcoach
