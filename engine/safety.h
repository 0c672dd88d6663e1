#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace trustcoach {

class Concepts;

enum class SafetyKind {
  kNone,
  kSuicide,
  kSelfHarm,
  kAbuse,
  kViolence,
  kDangerNow,
  kSexualViolence,
  kChildSafety,
};

// kCheckIn: a negated or ambiguous mention ("I would never hurt myself"):
// a gentle check-in, not the full crisis answer. kCrisis: the full answer.
enum class SafetyLevel { kNone, kCheckIn, kCrisis };

// "none", "suicide", "self_harm", "abuse", "violence", "danger_now",
// "sexual_violence", "child_safety".
std::string_view SafetyKindName(SafetyKind kind);
std::optional<SafetyKind> ParseSafetyKind(std::string_view name);
// "none", "check_in", "crisis".
std::string_view SafetyLevelName(SafetyLevel level);

// What the conversation already knows when a message is screened
// (docs/safety.md, "Risk in context" and "The minors' lens").
struct SafetyContext {
  // The kind of the risk state the conversation is in, kNone outside one:
  // rules marked "while_risk" count only while it lasts, and those without
  // a kind of their own take this one.
  SafetyKind risk = SafetyKind::kNone;
  // The person said earlier that they are under 18: "minor_only" rules
  // count as if this message had said it.
  bool minor = false;
};

struct SafetyVerdict {
  SafetyKind kind = SafetyKind::kNone;
  SafetyLevel level = SafetyLevel::kNone;
  // Id of the rule that decided, for explain: a crisis or check-in rule, an
  // idiom that was set aside (level kNone), "<crisis rule>+<minor rule>" when
  // a minor turned abuse into child_safety, or "screen.incomplete".
  std::string rule;
  bool minor = false;  // the person said they are under 18
  // Abuse or sexual violence was matched, even if a more urgent kind (say,
  // suicide) decided: the engine stops couples work from now on.
  bool abuse = false;
  // A node of the safety flow named by the deciding rule ("answer" in
  // safety.json) that answers in place of the kind's node: fear of the
  // partner's return after abuse. Empty: the kind's node.
  std::string answer;
  // A check-in that counted only because of the risk state: every check-in
  // rule that matched is "while_risk" ("can we talk about something else",
  // "i have to go, he's back"), with no crisis, softened rule or negation.
  // The engine lets a safety node's own `on` answer it (engine.cc).
  bool risk_only = false;
};

// Crisis detection over normalized text (see Normalize()). Built once from
// dialogs/safety.json (format in docs/safety.md); Check() is const and safe
// from any thread.
//
// A check matches one RE2::Set of all the patterns, a second time when
// idioms or negations were blanked out of the text. Idioms ("this week is
// killing me") and negations ("i would never hurt myself", "history of
// abuse") are blanked out of the text; the crisis and check-in patterns run
// on what is left, the minor patterns on the whole text. A crisis match gives
// kCrisis, the most urgent kind winning (danger_now, child_safety, suicide,
// sexual_violence, abuse, self_harm, violence), except that a negation
// softens its kind's "negatable" rules to kCheckIn, "minor_only" rules
// count only when the message or the context says the person is under 18
// and "while_risk" rules only in a risk state (SafetyContext). Otherwise a
// negation or a check-in match gives kCheckIn, else kNone. A minor with a
// kind listed in "minor_upgrades" becomes child_safety. If RE2 cannot finish
// (out of memory), the verdict is kCheckIn with rule "screen.incomplete",
// never a silent kNone.
class SafetyScreen {
 public:
  // `file` names the source in error messages. Fails with InvalidArgument
  // naming the file, the JSON pointer and the rule id on an unknown key or
  // kind, a bad pattern or a wrong JSON type.
  // `concepts` (may be null) expands `~id` in patterns; it must outlive
  // the screen.
  static Status Create(const nlohmann::json& spec, std::string_view file,
                       std::unique_ptr<SafetyScreen>* out);
  static Status Create(const nlohmann::json& spec, std::string_view file,
                       Concepts* concepts, std::unique_ptr<SafetyScreen>* out);

  virtual ~SafetyScreen() = default;

  // The concepts that rule `rule` (an id as in SafetyVerdict::rule, or its
  // part before a "+") names in its patterns; empty for an unknown rule.
  virtual std::vector<std::string> ConceptsOf(std::string_view rule) const = 0;

  // The ids of every rule a verdict can name (crisis, negations, check_in,
  // idioms), each section in file order: what coverage counts.
  virtual std::vector<std::string> RuleIds() const = 0;

  // The safety-flow nodes that rules name as their answer ("answer" in
  // safety.json), each once: the engine enters them by itself.
  virtual std::vector<std::string> AnswerNodes() const = 0;

  // `normalized` is the output of Normalize(). Never fails.
  SafetyVerdict Check(std::string_view normalized) const {
    return Check(normalized, SafetyContext());
  }
  virtual SafetyVerdict Check(std::string_view normalized,
                              const SafetyContext& context) const = 0;
};

// One helpline or service. Empty fields are absent.
struct Resource {
  // "emergency", "crisis", "abuse", "youth", "sexual_violence".
  std::string kind;
  std::string name;
  std::string phone;  // as dialled, e.g. "988"
  std::string sms;    // number or "text HOME to 741741"
  std::string web;    // https URL
  std::string hours;  // e.g. "24/7"
  bool operator==(const Resource&) const = default;
};

// Helplines per region, from dialogs/resources.json. Immutable; safe from any
// thread.
class ResourceDirectory {
 public:
  // Fails with InvalidArgument naming the file and JSON pointer: unknown key,
  // a resource without a kind, name, contact or source, a web address that is
  // not https, an unknown default region, alias target or safety kind.
  static Status Create(const nlohmann::json& spec, std::string_view file,
                       std::unique_ptr<ResourceDirectory>* out);

  virtual ~ResourceDirectory() = default;

  // Region code of `locale_or_region` ("en-GB", "gb", "en_IE", "AU"), or
  // the default region when it is empty or unknown.
  virtual std::string ResolveRegion(
      std::string_view locale_or_region) const = 0;

  // The resources to show for `kind` in `region` (as from ResolveRegion();
  // an unknown region gives the default's), emergency number first, then
  // youth services when `minor`, then the kinds listed for `kind` in
  // "by_kind" (those of "none" when `kind` has no list).
  virtual std::vector<Resource> ResourcesFor(SafetyKind kind, bool minor,
                                             std::string_view region) const = 0;
};

}  // namespace trustcoach
