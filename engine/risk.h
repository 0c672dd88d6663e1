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
// A crisis state lasts at least kRiskTurns messages after the last crisis
// answer, and then until the person has given a clear safe signal ("i'm
// safe now", the means handed over, a safety plan made: IsSafeSignal) and
// kCalmTurns more messages have passed; "i'm fine" alone does not end it.
// A check-in about suicide or self-harm opens a shorter watch (kWatchTurns,
// no safe signal needed) in which the while_risk rules count too: "yeah, i
// think about it", "there's a gun in the safe" after "what's the point of
// any of it" are a crisis. The minors' lens
// is part of the same context: once the person said they are under 18,
// "minor_only" rules count on every later message.
inline constexpr uint32_t kRiskTurns = 10;
inline constexpr uint32_t kCalmTurns = 3;
inline constexpr uint32_t kWatchTurns = 3;
// The slot that marks a crisis state held until a safe signal.
inline constexpr const char* kRiskHoldSlot = "risk_hold";
// The slot that names the kind of a watch opened by a check-in.
inline constexpr const char* kRiskWatchSlot = "risk_watch";

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
