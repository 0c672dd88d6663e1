#include "engine/safety.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>

#include <re2/re2.h>
#include <re2/set.h>

#include "engine/concepts.h"

namespace trustcoach {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<SafetyKind, std::string_view>, 8> kKindNames = {{
    {SafetyKind::kNone, "none"},
    {SafetyKind::kSuicide, "suicide"},
    {SafetyKind::kSelfHarm, "self_harm"},
    {SafetyKind::kAbuse, "abuse"},
    {SafetyKind::kViolence, "violence"},
    {SafetyKind::kDangerNow, "danger_now"},
    {SafetyKind::kSexualViolence, "sexual_violence"},
    {SafetyKind::kChildSafety, "child_safety"},
}};

// When one message matches several kinds, the most urgent decides which
// answer the person gets: immediate danger first, then a child at risk, then
// risk to life. Lower rank wins.
int Precedence(SafetyKind kind) {
  switch (kind) {
    case SafetyKind::kDangerNow:
      return 0;
    case SafetyKind::kChildSafety:
      return 1;
    case SafetyKind::kSuicide:
      return 2;
    case SafetyKind::kSexualViolence:
      return 3;
    case SafetyKind::kAbuse:
      return 4;
    case SafetyKind::kSelfHarm:
      return 5;
    case SafetyKind::kViolence:
      return 6;
    case SafetyKind::kNone:
      break;
  }
  return 7;
}

// Kinds that mean the person is being harmed by someone close: couples work
// stops for the rest of the conversation.
bool IsAbuseKind(SafetyKind kind) {
  return kind == SafetyKind::kAbuse || kind == SafetyKind::kSexualViolence ||
         kind == SafetyKind::kChildSafety;
}

std::string Pointer(std::string_view section, size_t rule) {
  return "/" + std::string(section) + "/" + std::to_string(rule);
}

struct Rule {
  std::string id;
  SafetyKind kind = SafetyKind::kNone;
  bool abuse = false;       // matching it means abuse was disclosed
  bool negatable = false;   // a negation of its kind turns it into a check-in
  bool minor_only = false;  // counts only if the message says "I am 14"...
  bool while_risk = false;  // counts only in a risk state
  // Counts only with a check-in of its kind in the same message: a means
  // at hand beside thoughts of suicide (in a risk state, "while_risk"
  // rules say the same).
  bool with_check_in = false;
  // An idiom that holds only outside a risk state: "i am going to do it
  // tonight, wish me luck" is the talk the person planned, unless they
  // spoke of ending their life a moment ago.
  bool calm_only = false;
  // An idiom in which the person says they are safe ("i am safe"): with a
  // negation and nothing else of risk, outside a risk state, the negation
  // asks no check-in ("i am safe and not going to do anything stupid").
  bool reassures = false;
  // For a "while_risk" rule: the kinds of risk state in which it counts
  // (empty: any). Fear of the partner's return counts after abuse, not
  // after thoughts of suicide, where it would turn the state's kind.
  std::vector<SafetyKind> risk_kinds;
  // A node of the safety flow that answers this rule instead of the
  // kind's node (SafetyVerdict::answer); empty: the kind's node.
  std::string answer;
  std::vector<std::string> concepts;  // named in its patterns
};

// The sections of safety.json whose rules have patterns.
enum Section { kCrisis, kNegations, kCheckIn, kIdioms, kMinor, kSections };

// Per section, the indices of the rules with a matching pattern, in file
// order.
using Hits = std::array<std::vector<size_t>, kSections>;

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  // The screen reads normalized, lower-cased text. Matching case-sensitive
  // keeps the program small: case folding gives every k and s a second,
  // multi-byte branch (the Kelvin sign, the long s); it cost half the
  // screen's load time.
  options.set_case_sensitive(true);
  // Every pattern is ASCII and the text is matched byte by byte: in UTF-8
  // mode each negated class and \W in a bounded gap ("(\W+\w+){0,8}")
  // compiles into the byte sequences of every multi-byte character, once per
  // repetition. As Latin-1 a class is one instruction; a character outside
  // ASCII is a few bytes that \W and [^...] pass over alike (a gap counts
  // its bytes, not its characters). \b and \w are ASCII-only either way.
  options.set_encoding(RE2::Options::EncodingLatin1);
  // Sets over a few hundred alternations need room for the DFA on 2 kB
  // inputs; running out would make Match() fail, which Check() treats as
  // a reason for caution, never as "no risk".
  options.set_max_mem(int64_t{64} << 20);
  return options;
}

// Every pattern of every section compiled into one RE2::Set: one DFA pass
// over the text finds the matching rules of all sections (one pass per
// section cost five times as much). Each pattern remembers its rule.
class PatternSet {
 public:
  PatternSet() : set_(Options(), RE2::UNANCHORED) {}

  // As PatternOptions(), with the memory of the five sets there were, one
  // per section, before they became one; it is only used as DFA states are
  // built.
  static RE2::Options Options() {
    RE2::Options options = PatternOptions();
    options.set_max_mem(kSections * options.max_mem());
    return options;
  }

  // Returns false, with RE2's message in `*error`, if `pattern` does not
  // parse.
  bool Add(const std::string& pattern, Section section, size_t rule,
           std::string* error) {
    if (set_.Add(pattern, error) < 0) return false;
    patterns_.push_back({section, rule});
    return true;
  }

  Status Compile(std::string_view file) {
    if (patterns_.empty()) return Status::OK();
    if (!set_.Compile()) {
      return Status::InvalidArgument(std::string(file) +
                                     ": patterns do not fit in memory");
    }
    compiled_ = true;
    return Status::OK();
  }

  // Fills `*hits`. Returns false when RE2 could not finish (out of memory).
  bool Match(std::string_view text, Hits* hits) const {
    for (std::vector<size_t>& rules : *hits) rules.clear();
    if (!compiled_) return true;
    // Most messages match no pattern. Asked only whether any does, RE2
    // stops at the first match and builds no list of matches; the list is
    // made when there is one to make.
    RE2::Set::ErrorInfo error;
    if (!set_.Match(text, nullptr, &error)) {
      return error.kind == RE2::Set::kNoError;
    }
    std::vector<int> matched;
    if (!set_.Match(text, &matched, &error)) {
      return error.kind == RE2::Set::kNoError;
    }
    // A section's patterns were added in rule order: sorted set indices
    // give sorted rule indices, a rule's several patterns side by side.
    std::sort(matched.begin(), matched.end());
    for (int index : matched) {
      const PatternRef ref = patterns_[static_cast<size_t>(index)];
      std::vector<size_t>& rules = (*hits)[ref.section];
      if (rules.empty() || rules.back() != ref.rule) rules.push_back(ref.rule);
    }
    return true;
  }

 private:
  struct PatternRef {
    Section section;
    size_t rule;
  };

  RE2::Set set_;
  bool compiled_ = false;
  std::vector<PatternRef> patterns_;  // by Set index
};

// The rules of one section of safety.json; their patterns go into the
// screen's PatternSet.
class RuleSet {
 public:
  // Adds the rules of `section` in file order. `kinds` says whether rules
  // carry a "kind". Errors name the file, the JSON pointer and the rule.
  Status Add(const json& spec, Section id, std::string_view section, bool kinds,
             std::string_view file, Concepts* concepts, PatternSet* patterns,
             std::vector<std::string>* all_patterns) {
    auto it = spec.find(section);
    if (it == spec.end()) return Status::OK();
    const std::string where = std::string(file) + ": /" + std::string(section);
    if (!it->is_array()) {
      return Status::InvalidArgument(where + ": expected a list of rules");
    }
    for (size_t i = 0; i < it->size(); ++i) {
      Status s = AddRule((*it)[i], Pointer(section, i), id, kinds, file,
                         concepts, patterns, all_patterns);
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  const Rule& rule(size_t index) const { return rules_[index]; }
  size_t size() const { return rules_.size(); }

  const Rule* Find(std::string_view id) const {
    for (const Rule& rule : rules_) {
      if (rule.id == id) return &rule;
    }
    return nullptr;
  }

 private:
  Status AddRule(const json& in, const std::string& pointer, Section id,
                 bool kinds, std::string_view file, Concepts* concepts,
                 PatternSet* patterns, std::vector<std::string>* all_patterns);

  std::vector<Rule> rules_;
};

Status RuleSet::AddRule(const json& in, const std::string& pointer, Section id,
                        bool kinds, std::string_view file, Concepts* concepts,
                        PatternSet* patterns,
                        std::vector<std::string>* all_patterns) {
  const std::string where = std::string(file) + ": " + pointer;
  if (!in.is_object()) {
    return Status::InvalidArgument(where + ": expected an object");
  }
  for (const auto& item : in.items()) {
    const std::string& key = item.key();
    if (key != "id" && key != "kind" && key != "patterns" && key != "note" &&
        key != "abuse" && key != "negatable" && key != "minor_only" &&
        key != "while_risk" && key != "with_check_in" && key != "calm_only" &&
        key != "risk_kinds" && key != "answer" && key != "reassures") {
      return Status::InvalidArgument(where + "/" + key + ": unknown key");
    }
  }
  Rule rule;
  rule.id = in.value("id", std::string());
  if (rule.id.empty()) {
    return Status::InvalidArgument(where + "/id: required string is missing");
  }
  const std::string named = where + ": rule '" + rule.id + "'";
  rule.negatable = in.value("negatable", false);
  rule.minor_only = in.value("minor_only", false);
  rule.while_risk = in.value("while_risk", false);
  rule.with_check_in = in.value("with_check_in", false);
  rule.calm_only = in.value("calm_only", false);
  rule.reassures = in.value("reassures", false);
  rule.answer = in.value("answer", std::string());
  if (in.contains("risk_kinds")) {
    const json& list = in["risk_kinds"];
    if (!rule.while_risk || !list.is_array() || list.empty()) {
      return Status::InvalidArgument(
          named + ": risk_kinds needs while_risk and a list of kinds");
    }
    for (const json& item : list) {
      const std::optional<SafetyKind> parsed =
          item.is_string() ? ParseSafetyKind(item.get<std::string>())
                           : std::nullopt;
      if (!parsed || *parsed == SafetyKind::kNone) {
        return Status::InvalidArgument(named + ": unknown kind in risk_kinds");
      }
      rule.risk_kinds.push_back(*parsed);
    }
  }
  if (kinds && !(rule.while_risk && !in.contains("kind"))) {
    // A "while_risk" rule without a kind takes the risk state's.
    const std::string kind = in.value("kind", std::string());
    std::optional<SafetyKind> parsed = ParseSafetyKind(kind);
    if (!parsed || *parsed == SafetyKind::kNone) {
      return Status::InvalidArgument(named + ": unknown kind '" + kind + "'");
    }
    rule.kind = *parsed;
    // A check-in stops couples work only where it says so ("abuse": true:
    // the partner checks my phone); a crisis rule of an abuse kind always.
    rule.abuse = in.value("abuse", id != kCheckIn && IsAbuseKind(rule.kind));
  }
  const json list = in.value("patterns", json::array());
  if (!list.is_array() || list.empty()) {
    return Status::InvalidArgument(named + ": needs a list of patterns");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string written = list[i].get<std::string>();
    std::string pattern, error;
    if (concepts == nullptr) {
      pattern = written;
    } else if (!concepts->Expand(written, &pattern, &error, &rule.concepts)) {
      return Status::InvalidArgument(named + ": pattern " + std::to_string(i) +
                                     " /" + written + "/: " + error);
    }
    if (!patterns->Add(pattern, id, rules_.size(), &error)) {
      return Status::InvalidArgument(named + ": pattern " + std::to_string(i) +
                                     " /" + written + "/: " + error);
    }
    if (all_patterns != nullptr) all_patterns->push_back(pattern);
  }
  rules_.push_back(std::move(rule));
  return Status::OK();
}

class Screen : public SafetyScreen {
 public:
  explicit Screen(Concepts* concepts) : concepts_(concepts) {}
  Status Init(const json& spec, std::string_view file);
  SafetyVerdict Check(std::string_view normalized,
                      const SafetyContext& context) const override;
  std::vector<std::string> ConceptsOf(std::string_view rule) const override;
  std::vector<std::string> RuleIds() const override;
  std::vector<std::string> AnswerNodes() const override;

 private:
  // The rule of `set` among `hits` whose kind is most urgent; ties go to
  // file order. A rule without a kind of its own ranks as `state`, the
  // kind it takes (a "while_risk" rule takes the risk state's).
  static size_t MostUrgent(const RuleSet& set, const std::vector<size_t>& hits,
                           SafetyKind state = SafetyKind::kNone);

  Concepts* concepts_;  // for loading only
  PatternSet patterns_;
  RuleSet crisis_;
  RuleSet negations_;
  RuleSet check_in_;
  RuleSet idioms_;
  RuleSet minor_;
  // Blanks out what the idiom and negation patterns match (see Mask()).
  bool Mask(std::string* text) const;

  // Idiom and negation patterns as one alternation: what they match is
  // blanked out before the crisis patterns run, so "this week is killing me
  // and i want to kill myself" still counts. Compiled the first time a
  // message needs it: the set has parsed every pattern, and compiling them
  // a second time at load cost a tenth of it.
  std::string mask_pattern_;
  mutable std::once_flag mask_once_;
  mutable std::unique_ptr<RE2> mask_;
  std::set<SafetyKind> minor_upgrades_;
};

Status Screen::Init(const json& spec, std::string_view file) {
  const std::string where(file);
  if (!spec.is_object()) {
    return Status::InvalidArgument(where + ": expected an object");
  }
  for (const auto& item : spec.items()) {
    const std::string& key = item.key();
    if (key != "version" && key != "note" && key != "crisis" &&
        key != "negations" && key != "check_in" && key != "idioms" &&
        key != "minor" && key != "minor_upgrades") {
      return Status::InvalidArgument(where + ": /" + key + ": unknown key");
    }
  }
  if (!spec.contains("crisis")) {
    return Status::InvalidArgument(where +
                                   ": /crisis: required list of rules "
                                   "is missing");
  }
  std::vector<std::string> mask_patterns;
  Status s = crisis_.Add(spec, kCrisis, "crisis", true, file, concepts_,
                         &patterns_, nullptr);
  if (s.ok()) {
    s = negations_.Add(spec, kNegations, "negations", true, file, concepts_,
                       &patterns_, &mask_patterns);
  }
  if (s.ok()) {
    s = check_in_.Add(spec, kCheckIn, "check_in", true, file, concepts_,
                      &patterns_, nullptr);
  }
  if (s.ok()) {
    s = idioms_.Add(spec, kIdioms, "idioms", false, file, concepts_, &patterns_,
                    &mask_patterns);
  }
  if (s.ok()) {
    s = minor_.Add(spec, kMinor, "minor", false, file, concepts_, &patterns_,
                   nullptr);
  }
  if (s.ok()) s = patterns_.Compile(file);
  if (!s.ok()) return s;

  for (const json& name : spec.value("minor_upgrades", json::array())) {
    std::optional<SafetyKind> kind = ParseSafetyKind(name.get<std::string>());
    if (!kind) {
      return Status::InvalidArgument(where +
                                     ": /minor_upgrades: unknown kind '" +
                                     name.get<std::string>() + "'");
    }
    minor_upgrades_.insert(*kind);
  }

  for (const std::string& pattern : mask_patterns) {
    if (!mask_pattern_.empty()) mask_pattern_ += "|";
    mask_pattern_ += "(?:" + pattern + ")";
  }
  return Status::OK();
}

bool Screen::Mask(std::string* text) const {
  std::call_once(mask_once_, [this] {
    mask_ = std::make_unique<RE2>(mask_pattern_, PatternOptions());
  });
  // Each pattern parsed on its own; their alternation fails only for want
  // of memory, which Check() answers with caution.
  if (!mask_->ok()) return false;
  RE2::GlobalReplace(text, *mask_, " ~ ");
  return true;
}

std::vector<std::string> Screen::ConceptsOf(std::string_view rule) const {
  rule = rule.substr(0, std::min(rule.find('+'), rule.size()));
  for (const RuleSet* set : {&crisis_, &negations_, &check_in_, &idioms_}) {
    if (const Rule* found = set->Find(rule)) return found->concepts;
  }
  return {};
}

std::vector<std::string> Screen::RuleIds() const {
  std::vector<std::string> ids;
  for (const RuleSet* set : {&crisis_, &negations_, &check_in_, &idioms_}) {
    for (size_t i = 0; i < set->size(); ++i) ids.push_back(set->rule(i).id);
  }
  return ids;
}

std::vector<std::string> Screen::AnswerNodes() const {
  std::vector<std::string> nodes;
  for (const RuleSet* set : {&crisis_, &negations_, &check_in_, &idioms_}) {
    for (size_t i = 0; i < set->size(); ++i) {
      const std::string& answer = set->rule(i).answer;
      if (!answer.empty() &&
          std::find(nodes.begin(), nodes.end(), answer) == nodes.end()) {
        nodes.push_back(answer);
      }
    }
  }
  return nodes;
}

size_t Screen::MostUrgent(const RuleSet& set, const std::vector<size_t>& hits,
                          SafetyKind state) {
  const auto rank = [&](size_t rule) {
    const SafetyKind kind = set.rule(rule).kind;
    return std::pair(Precedence(kind == SafetyKind::kNone ? state : kind),
                     rule);
  };
  return *std::min_element(hits.begin(), hits.end(), [&](size_t a, size_t b) {
    return rank(a) < rank(b);
  });
}

SafetyVerdict Screen::Check(std::string_view normalized,
                            const SafetyContext& context) const {
  Hits hits;
  bool complete = patterns_.Match(normalized, &hits);
  const std::vector<size_t>& idioms = hits[kIdioms];
  const std::vector<size_t>& negations = hits[kNegations];
  const std::vector<size_t>& minors = hits[kMinor];
  // The crisis and check-in patterns run on the text without its idioms
  // and negations; where there are none, that is the text just matched.
  const Hits* screened = &hits;  // what crisis and check-in read
  Hits masked_hits;
  // In a risk state, an idiom that holds only outside one ("calm_only")
  // sets nothing aside: the whole message is screened.
  const bool risk = context.risk != SafetyKind::kNone;
  const bool calm_idiom_in_risk =
      risk && std::any_of(idioms.begin(), idioms.end(), [&](size_t hit) {
        return idioms_.rule(hit).calm_only;
      });
  if (!mask_pattern_.empty() && (!idioms.empty() || !negations.empty()) &&
      !calm_idiom_in_risk) {
    std::string masked(normalized);
    complete &= Mask(&masked);
    complete &= patterns_.Match(masked, &masked_hits);
    screened = &masked_hits;
  }
  const std::vector<size_t>& matched = (*screened)[kCrisis];

  SafetyVerdict verdict;
  verdict.minor = !minors.empty();
  const bool minor = verdict.minor || context.minor;
  // A rule that counts in this context: "minor_only" rules for a minor,
  // "while_risk" rules in a risk state.
  const auto counts = [&](const Rule& rule) {
    return (!rule.minor_only || minor) && (!rule.while_risk || risk) &&
           (rule.risk_kinds.empty() ||
            std::find(rule.risk_kinds.begin(), rule.risk_kinds.end(),
                      context.risk) != rule.risk_kinds.end());
  };
  // A negation ("i am not suicidal") softens the indirect rules of its kind
  // ("i wish i was never born") to a check-in, never the direct ones.
  std::set<SafetyKind> negated;
  for (size_t hit : negations) negated.insert(negations_.rule(hit).kind);
  std::vector<size_t> check_ins;
  std::set<SafetyKind> checked;  // the kinds of the check-ins that count
  for (size_t hit : (*screened)[kCheckIn]) {
    if (!counts(check_in_.rule(hit))) continue;
    verdict.abuse |= check_in_.rule(hit).abuse;
    check_ins.push_back(hit);
    checked.insert(check_in_.rule(hit).kind);
  }
  std::vector<size_t> crises, softened;
  for (size_t hit : matched) {
    const Rule& rule = crisis_.rule(hit);
    if (!counts(rule)) continue;
    if (rule.with_check_in && checked.count(rule.kind) == 0) continue;
    verdict.abuse |= rule.abuse;
    const bool soft = rule.negatable && negated.count(rule.kind) > 0;
    (soft ? softened : crises).push_back(hit);
  }

  // A clear reassurance beside a negation, with nothing else of risk and
  // outside a risk state or a watch, is left alone: "i am safe and i am not
  // going to do anything stupid" asks no check-in.
  // The reassurance, found once: it also names the verdict's rule below.
  const Rule* reassurance = nullptr;
  if (complete && !risk && crises.empty() && softened.empty() &&
      check_ins.empty() && !negations.empty()) {
    const auto it = std::find_if(idioms.begin(), idioms.end(), [&](size_t hit) {
      return idioms_.rule(hit).reassures;
    });
    if (it != idioms.end()) reassurance = &idioms_.rule(*it);
  }
  const bool reassured = reassurance != nullptr;

  const Rule* decided = nullptr;
  if (reassured) {
    // Level none; the rule names the reassurance below.
  } else if (!crises.empty()) {
    decided = &crisis_.rule(MostUrgent(crisis_, crises, context.risk));
    verdict.level = SafetyLevel::kCrisis;
  } else if (!softened.empty() || !negations.empty() || !check_ins.empty()) {
    decided =
        !softened.empty()
            ? &crisis_.rule(MostUrgent(crisis_, softened, context.risk))
        : !negations.empty()
            ? &negations_.rule(MostUrgent(negations_, negations))
            : &check_in_.rule(MostUrgent(check_in_, check_ins, context.risk));
    verdict.level = SafetyLevel::kCheckIn;
    verdict.risk_only =
        softened.empty() && negations.empty() &&
        std::all_of(check_ins.begin(), check_ins.end(),
                    [&](size_t hit) { return check_in_.rule(hit).while_risk; });
  }
  if (decided != nullptr) {
    // A "while_risk" rule without a kind of its own takes the risk state's.
    verdict.kind =
        decided->kind == SafetyKind::kNone ? context.risk : decided->kind;
    verdict.rule = decided->id;
    verdict.answer = decided->answer;
    if (verdict.minor && minor_upgrades_.count(verdict.kind) > 0) {
      verdict.kind = SafetyKind::kChildSafety;
      verdict.rule += "+" + minor_.rule(minors.front()).id;
    }
  } else if (!complete) {
    // RE2 gave up on this text: better a gentle question than silence.
    verdict.level = SafetyLevel::kCheckIn;
    verdict.rule = "screen.incomplete";
  } else if (reassured) {
    verdict.rule = reassurance->id;
  } else if (!idioms.empty() && !calm_idiom_in_risk) {
    verdict.rule = idioms_.rule(idioms.front()).id;
  }
  return verdict;
}

// --- Resources ---------------------------------------------------------------

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

bool IsAlpha2(std::string_view part) {
  return part.size() == 2 &&
         std::isalpha(static_cast<unsigned char>(part[0])) &&
         std::isalpha(static_cast<unsigned char>(part[1]));
}

class Directory : public ResourceDirectory {
 public:
  Status Init(const json& spec, std::string_view file);
  std::string ResolveRegion(std::string_view locale_or_region) const override;
  std::vector<Resource> ResourcesFor(SafetyKind kind, bool minor,
                                     std::string_view region) const override;

 private:
  // A known region code for `code` (any case, or an alias), or "".
  std::string Known(std::string_view code) const;

  std::string default_region_;
  std::map<std::string, std::string> aliases_;
  std::map<std::string, std::vector<Resource>, std::less<>> regions_;
  std::map<SafetyKind, std::vector<std::string>> by_kind_;
};

Status ReadResource(const json& in, const std::string& where, Resource* out) {
  if (!in.is_object()) {
    return Status::InvalidArgument(where + ": expected an object");
  }
  for (const auto& item : in.items()) {
    static const std::set<std::string> kKeys = {
        "kind", "name", "phone", "sms", "web", "hours", "source", "note"};
    if (kKeys.count(item.key()) == 0) {
      return Status::InvalidArgument(where + "/" + item.key() +
                                     ": unknown key");
    }
  }
  out->kind = in.value("kind", std::string());
  out->name = in.value("name", std::string());
  out->phone = in.value("phone", std::string());
  out->sms = in.value("sms", std::string());
  out->web = in.value("web", std::string());
  out->hours = in.value("hours", std::string());
  if (out->kind.empty() || out->name.empty()) {
    return Status::InvalidArgument(where + ": needs a kind and a name");
  }
  if (out->phone.empty() && out->sms.empty() && out->web.empty()) {
    return Status::InvalidArgument(where + ": '" + out->name +
                                   "' needs a phone, sms or web");
  }
  if (!out->web.empty() && out->web.rfind("https://", 0) != 0) {
    return Status::InvalidArgument(where + "/web: must start with https://");
  }
  if (in.value("source", std::string()).empty()) {
    return Status::InvalidArgument(where + "/source: say where '" + out->name +
                                   "' is published");
  }
  return Status::OK();
}

Status Directory::Init(const json& spec, std::string_view file) {
  const std::string where(file);
  if (!spec.is_object()) {
    return Status::InvalidArgument(where + ": expected an object");
  }
  default_region_ = spec.value("default", std::string());
  // value() returns a copy: keep it alive while items() iterates over it.
  const json aliases = spec.value("aliases", json::object());
  const json regions = spec.value("regions", json::object());
  const json by_kind = spec.value("by_kind", json::object());
  for (const auto& [alias, code] : aliases.items()) {
    aliases_[Upper(alias)] = code.get<std::string>();
  }
  for (const auto& [code, region] : regions.items()) {
    const json list = region.value("resources", json::array());
    std::vector<Resource>& resources = regions_[code];
    for (size_t i = 0; i < list.size(); ++i) {
      Resource resource;
      Status s = ReadResource(
          list[i],
          where + ": /regions/" + code + "/resources/" + std::to_string(i),
          &resource);
      if (!s.ok()) return s;
      resources.push_back(std::move(resource));
    }
    if (resources.empty()) {
      return Status::InvalidArgument(where + ": /regions/" + code +
                                     ": has no resources");
    }
  }
  if (regions_.count(default_region_) == 0) {
    return Status::InvalidArgument(where + ": /default: '" + default_region_ +
                                   "' is not a region");
  }
  for (const auto& [alias, code] : aliases_) {
    if (regions_.count(code) == 0) {
      return Status::InvalidArgument(where + ": /aliases/" + alias + ": '" +
                                     code + "' is not a region");
    }
  }
  for (const auto& [name, kinds] : by_kind.items()) {
    std::optional<SafetyKind> kind = ParseSafetyKind(name);
    if (!kind) {
      return Status::InvalidArgument(where + ": /by_kind/" + name +
                                     ": unknown safety kind");
    }
    by_kind_[*kind] = kinds.get<std::vector<std::string>>();
  }
  return Status::OK();
}

std::string Directory::Known(std::string_view code) const {
  const std::string upper = Upper(code);
  if (regions_.count(upper) > 0) return upper;
  auto alias = aliases_.find(upper);
  return alias == aliases_.end() ? std::string() : alias->second;
}

std::string Directory::ResolveRegion(std::string_view locale_or_region) const {
  // An Accept-Language header may list several: the first is preferred.
  std::string_view text = locale_or_region.substr(
      0,
      std::min(locale_or_region.find_first_of(",;"), locale_or_region.size()));
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    const size_t end = std::min(text.find_first_of("-_ "), text.size());
    if (end > 0) parts.push_back(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
  }
  if (parts.size() == 1) {
    const std::string known = Known(parts[0]);
    if (!known.empty()) return known;
  }
  // "en-GB", "zh-Hant-TW": the region is a later two-letter subtag.
  for (size_t i = 1; i < parts.size(); ++i) {
    if (!IsAlpha2(parts[i])) continue;
    const std::string known = Known(parts[i]);
    if (!known.empty()) return known;
  }
  return default_region_;
}

std::vector<Resource> Directory::ResourcesFor(SafetyKind kind, bool minor,
                                              std::string_view region) const {
  auto found = regions_.find(region);
  if (found == regions_.end()) found = regions_.find(default_region_);
  const std::vector<Resource>& all = found->second;

  std::vector<std::string_view> order = {"emergency"};
  if (minor) order.push_back("youth");
  auto wanted = by_kind_.find(kind);
  if (wanted == by_kind_.end()) wanted = by_kind_.find(SafetyKind::kNone);
  if (wanted != by_kind_.end()) {
    order.insert(order.end(), wanted->second.begin(), wanted->second.end());
  } else {
    order.push_back("crisis");
  }
  std::vector<Resource> out;
  for (size_t i = 0; i < order.size(); ++i) {
    // A kind listed twice is shown once, where it is first listed.
    if (std::find(order.begin(), order.begin() + i, order[i]) !=
        order.begin() + i) {
      continue;
    }
    for (const Resource& resource : all) {
      if (resource.kind == order[i]) out.push_back(resource);
    }
  }
  return out;
}

template <typename Impl, typename Base, typename... Args>
Status CreateChecked(const json& spec, std::string_view file,
                     std::unique_ptr<Base>* out, Args... args) {
  auto impl = std::make_unique<Impl>(args...);
  try {
    Status s = impl->Init(spec, file);
    if (!s.ok()) return s;
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string(file) + ": " + e.what());
  }
  *out = std::move(impl);
  return Status::OK();
}

}  // namespace

std::string_view SafetyKindName(SafetyKind kind) {
  for (const auto& [value, name] : kKindNames) {
    if (value == kind) return name;
  }
  return "none";
}

std::optional<SafetyKind> ParseSafetyKind(std::string_view name) {
  for (const auto& [value, known] : kKindNames) {
    if (known == name) return value;
  }
  return std::nullopt;
}

std::string_view SafetyLevelName(SafetyLevel level) {
  switch (level) {
    case SafetyLevel::kCheckIn:
      return "check_in";
    case SafetyLevel::kCrisis:
      return "crisis";
    case SafetyLevel::kNone:
      break;
  }
  return "none";
}

Status SafetyScreen::Create(const nlohmann::json& spec, std::string_view file,
                            std::unique_ptr<SafetyScreen>* out) {
  return Create(spec, file, nullptr, out);
}

Status SafetyScreen::Create(const nlohmann::json& spec, std::string_view file,
                            Concepts* concepts,
                            std::unique_ptr<SafetyScreen>* out) {
  return CreateChecked<Screen>(spec, file, out, concepts);
}

Status ResourceDirectory::Create(const nlohmann::json& spec,
                                 std::string_view file,
                                 std::unique_ptr<ResourceDirectory>* out) {
  return CreateChecked<Directory>(spec, file, out);
}

}  // namespace trustcoach
