#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace trustcoach {

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

struct SafetyVerdict {
  SafetyKind kind = SafetyKind::kNone;
  SafetyLevel level = SafetyLevel::kNone;
  std::string rule;    // id of the rule that decided, for explain
  bool minor = false;  // the person said they are under 18
};

// Crisis detection over normalized text (see Normalize()). Built once from
// dialogs/safety.json; Check() is const and safe from any thread.
class SafetyScreen {
 public:
  // `file` names the source in error messages.
  static Status Create(const nlohmann::json& spec, std::string_view file,
                       std::unique_ptr<SafetyScreen>* out);

  virtual ~SafetyScreen() = default;

  // `normalized` is the output of Normalize().
  virtual SafetyVerdict Check(std::string_view normalized) const = 0;
};

// One helpline or service. Empty fields are absent.
struct Resource {
  std::string kind;  // "emergency", "crisis", "abuse", "youth", "sexual_violence"
  std::string name;
  std::string phone;  // as dialled, e.g. "988"
  std::string sms;    // number or "text HOME to 741741"
  std::string web;    // https URL
  std::string hours;  // e.g. "24/7"
};

// Helplines per region, from dialogs/resources.json.
class ResourceDirectory {
 public:
  static Status Create(const nlohmann::json& spec, std::string_view file,
                       std::unique_ptr<ResourceDirectory>* out);

  virtual ~ResourceDirectory() = default;

  // Region code of `locale_or_region` ("en-GB", "gb", "en_IE", "AU"), or
  // the default region when it is empty or unknown.
  virtual std::string ResolveRegion(std::string_view locale_or_region) const = 0;

  // The resources to show for `kind` in `region` (as from ResolveRegion()),
  // emergency number first; youth services first when `minor`.
  virtual std::vector<Resource> ResourcesFor(SafetyKind kind, bool minor,
                                             std::string_view region) const = 0;
};

}  // namespace trustcoach
