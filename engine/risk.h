#pragma once

#include <cstdint>

#include "engine/safety.h"
#include "engine/session.h"

namespace trustcoach {

// The risk state (docs/safety.md, "Risk in context"). A crisis answer opens
// it for the next kRiskTurns messages; every crisis answer while it lasts
// opens it again in full. While it lasts:
//   - the screen reads each message with the state's kind as context, so
//     rules marked "while_risk" count: means, plans and a time ("i have
//     pills saved", "tonight") are a crisis without a crisis verb, and a
//     change of subject ("can we talk about something else", "forget i said
//     that") or a dismissal gets a short, warm check-in;
//   - every reply carries the helplines.
// Nothing the person says ends it early ("i'm fine" does not); it ends when
// kRiskTurns messages have passed without a crisis answer. The minors' lens
// is part of the same context: once the person said they are under 18,
// "minor_only" rules count on every later message.
inline constexpr uint32_t kRiskTurns = 10;

// What the screen should know about `session` for the next message.
SafetyContext RiskContext(const Session& session);

// Updates the session after the screen's `verdict`: the person's age,
// the kind a minor's abuse becomes, and the risk state. A check-in that was
// asked and answered in the last turns the session remembers
// (Session::kMaxHistory) is not asked again: the verdict becomes kNone and
// the reply carries the helplines. Returns true when the reply must carry
// the helplines (a crisis, the risk state lasted into this message, or a
// check-in was not asked again).
bool UpdateRisk(const SafetyContext& context, SafetyVerdict* verdict,
                Session* session);

}  // namespace trustcoach
