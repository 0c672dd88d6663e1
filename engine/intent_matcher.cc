#include "engine/intent_matcher.h"

#include <algorithm>

namespace trustcoach {
namespace {

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingUTF8);
  // Large enough that the Set's DFA does not bail out on thousands of
  // patterns; memory is only used as states are built.
  options.set_max_mem(int64_t{256} << 20);
  return options;
}

bool ScopeCovers(std::string_view scope, std::string_view flow,
                 std::string_view node) {
  if (scope == "global" || scope == "*") return true;
  if (flow.empty()) return false;
  if (scope == flow) return true;
  return scope.size() == flow.size() + 1 + node.size() &&
         scope.substr(0, flow.size()) == flow && scope[flow.size()] == '.' &&
         scope.substr(flow.size() + 1) == node;
}

}  // namespace

Status IntentMatcher::Create(const std::vector<IntentSpec>& intents,
                             std::unique_ptr<IntentMatcher>* out) {
  std::unique_ptr<IntentMatcher> matcher(new IntentMatcher());
  matcher->set_ = std::make_unique<RE2::Set>(PatternOptions(), RE2::UNANCHORED);
  for (size_t i = 0; i < intents.size(); ++i) {
    const IntentSpec& spec = intents[i];
    Entry entry{.spec = &spec, .captures = {}};
    for (size_t p = 0; p < spec.patterns.size(); ++p) {
      std::string error;
      const std::string where = spec.file + ": intent '" + spec.id +
                                "' pattern " + std::to_string(p) + " \"" +
                                spec.patterns[p] + "\": ";
      if (matcher->set_->Add(spec.patterns[p], &error) < 0) {
        return Status::InvalidArgument(where + error);
      }
      matcher->patterns_.push_back({static_cast<int>(i), static_cast<int>(p)});
      // Add() has parsed the pattern; compiling it a second time on its own
      // is only needed for named groups (RE2 spells them "(?P<").
      if (spec.patterns[p].find("(?P<") == std::string::npos) {
        entry.captures.push_back(nullptr);
        continue;
      }
      auto re = std::make_unique<RE2>(spec.patterns[p], PatternOptions());
      if (!re->ok()) return Status::InvalidArgument(where + re->error());
      entry.captures.push_back(
          re->NamedCapturingGroups().empty() ? nullptr : std::move(re));
    }
    matcher->intents_.push_back(std::move(entry));
  }
  if (!matcher->set_->Compile()) {
    return Status::ResourceExhausted("intent patterns exceed RE2's memory");
  }
  *out = std::move(matcher);
  return Status::OK();
}

bool IntentMatcher::InScope(const IntentSpec& spec, const MatchContext& context,
                            bool expected) const {
  if (expected) return true;
  if (spec.local) return false;
  if (spec.scope.empty()) return true;
  return std::any_of(spec.scope.begin(), spec.scope.end(),
                     [&](const std::string& scope) {
                       return ScopeCovers(scope, context.flow, context.node);
                     });
}

IntentMatch IntentMatcher::Match(std::string_view normalized,
                                 const MatchContext& context) const {
  IntentMatch result;
  std::vector<int> hits;
  set_->Match(normalized, &hits);
  if (hits.empty()) return result;
  // Set indices come back unordered; file order breaks priority ties.
  std::sort(hits.begin(), hits.end());

  int best_pattern_index = -1;
  auto better = [&](const IntentCandidate& a, const IntentCandidate& b) {
    if (a.expected != b.expected) return a.expected;
    const int pa = intents_[a.intent].spec->priority;
    const int pb = intents_[b.intent].spec->priority;
    if (pa != pb) return pa > pb;
    return false;  // earlier wins: keep the incumbent
  };
  for (int hit : hits) {
    const PatternRef ref = patterns_[hit];
    const IntentSpec& spec = *intents_[ref.intent].spec;
    const bool expected =
        context.expected != nullptr && context.expected->count(spec.id) > 0;
    if (!InScope(spec, context, expected)) continue;
    // One candidate per intent: its first matching pattern.
    if (!result.candidates.empty() &&
        std::any_of(
            result.candidates.begin(), result.candidates.end(),
            [&](const IntentCandidate& c) { return c.intent == ref.intent; })) {
      continue;
    }
    const bool held = context.captures_text && !expected && !spec.interrupts;
    IntentCandidate candidate{ref.intent, ref.pattern, expected, held};
    result.candidates.push_back(candidate);
    if (held) continue;
    if (best_pattern_index < 0 ||
        better(candidate, result.candidates[best_pattern_index])) {
      best_pattern_index = static_cast<int>(result.candidates.size()) - 1;
    }
  }
  if (best_pattern_index < 0) return result;
  const IntentCandidate& best = result.candidates[best_pattern_index];
  result.intent = best.intent;
  result.pattern = best.pattern;

  const RE2* re = intents_[best.intent].captures[best.pattern].get();
  if (re != nullptr) {
    const int groups = re->NumberOfCapturingGroups();
    std::vector<re2::StringPiece> pieces(groups + 1);
    if (re->Match(normalized, 0, normalized.size(), RE2::UNANCHORED,
                  pieces.data(), groups + 1)) {
      for (const auto& [name, index] : re->NamedCapturingGroups()) {
        if (pieces[index].data() != nullptr && !pieces[index].empty()) {
          result.captures[name] = std::string(pieces[index]);
        }
      }
    }
  }
  return result;
}

std::vector<std::string> IntentMatcher::MatchAll(
    std::string_view normalized) const {
  std::vector<int> hits;
  set_->Match(normalized, &hits);
  std::sort(hits.begin(), hits.end());
  std::vector<std::string> ids;
  for (int hit : hits) {
    const std::string& id = intents_[patterns_[hit].intent].spec->id;
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  }
  return ids;
}

}  // namespace trustcoach
