#include "engine/risk.h"

namespace trustcoach {

SafetyContext RiskContext(const Session& session) {
  SafetyContext context;
  if (session.risk_left > 0) {
    context.risk = ParseSafetyKind(session.risk).value_or(SafetyKind::kNone);
  }
  context.minor = session.minor;
  return context;
}

bool UpdateRisk(const SafetyContext& context, SafetyVerdict* verdict,
                Session* session) {
  if (verdict->minor) session->minor = true;
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
