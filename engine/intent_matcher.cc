#include "engine/intent_matcher.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace trustcoach {
namespace {

// What is compiled for pattern `p` of `spec`: with concepts expanded.
const std::string& Compiled(const IntentSpec& spec, size_t p) {
  return spec.compiled.empty() ? spec.patterns[p] : spec.compiled[p];
}

RE2::Options PatternOptions() {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_encoding(RE2::Options::EncodingUTF8);
  // Large enough that the Set's DFA does not bail out on thousands of
  // patterns; memory is only used as states are built.
  options.set_max_mem(int64_t{256} << 20);
  return options;
}

// For the sets, which only say which patterns match, text and patterns are
// read byte by byte (Latin-1). In UTF-8 mode a sentence gap such as
// "[^.?!]{0,40}" compiles into the byte sequences of every multi-byte
// character, once per repetition: a fifth of the intents' program and of
// their compile time. A character outside ASCII in the text is a few bytes
// that a negated class passes over alike (a gap counts bytes); a literal
// outside ASCII in a pattern still matches its own bytes (the shipped
// patterns are ASCII: normalizing folds accents); \b and \w are ASCII-only
// either way. Named captures, which are copied into replies, keep UTF-8
// (PatternOptions()) so a capture never splits a character.
RE2::Options SetOptions() {
  RE2::Options options = PatternOptions();
  options.set_encoding(RE2::Options::EncodingLatin1);
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

bool LooksLikeQuestion(std::string_view text) {
  if (text.find('?') != std::string_view::npos) return true;
  static constexpr std::string_view kOpeners[] = {
      "how",  "what",   "why",   "when", "where", "who",   "which", "is",
      "are",  "am",     "do",    "does", "did",   "can",   "could", "would",
      "will", "should", "shall", "may",  "might", "whats", "hows",  "wheres"};
  // The first word, after "so", "ok", "and", "but", "like": "ok how do i".
  static constexpr std::string_view kFillers[] = {
      "so", "ok", "okay", "and", "but", "like", "um", "also", "then", "well"};
  size_t start = 0;
  for (int words = 0; words < 3; ++words) {
    while (start < text.size() && !(text[start] >= 'a' && text[start] <= 'z')) {
      ++start;
    }
    size_t end = start;
    while (end < text.size() && text[end] >= 'a' && text[end] <= 'z') ++end;
    const std::string_view word = text.substr(start, end - start);
    if (word.empty()) return false;
    for (std::string_view opener : kOpeners) {
      if (word == opener) return true;
    }
    if (std::find(std::begin(kFillers), std::end(kFillers), word) ==
        std::end(kFillers)) {
      return false;
    }
    start = end;
  }
  return false;
}

int CountWords(std::string_view text, int limit) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        static_cast<unsigned char>(c) >= 0x80;
    if (letter && !in_word && ++words > limit) return words;
    in_word = letter;
  }
  return words;
}

class IntentMatcher::PatternSet {
 public:
  PatternSet() : set_(SetOptions(), RE2::UNANCHORED) {}

  // Returns false, with RE2's message in `*error`, if `pattern` does not
  // parse.
  bool Add(const std::string& pattern, PatternRef ref, std::string* error) {
    if (set_.Add(pattern, error) < 0) return false;
    refs_.push_back(ref);
    return true;
  }

  bool Compile() { return set_.Compile(); }

  // Appends the patterns that match `text`, in no particular order.
  void Match(std::string_view text, std::vector<PatternRef>* hits) const {
    if (refs_.empty()) return;
    std::vector<int> indices;
    set_.Match(text, &indices);
    for (int index : indices) hits->push_back(refs_[index]);
  }

  // As Match(), compiling the set on the first call (once, whichever thread
  // gets there first). For a set few turns need: compiling the local
  // intents' set cost a seventh of the load, and only Match() without a
  // prepared node and MatchAll() use it. Should it not compile (RE2's
  // memory), nothing matches.
  void MatchCompilingOnce(std::string_view text,
                          std::vector<PatternRef>* hits) const {
    std::call_once(compiled_once_, [this] { compiled_ = set_.Compile(); });
    if (compiled_) Match(text, hits);
  }

 private:
  // Compile() is not const; MatchCompilingOnce() calls it on a set whose
  // patterns were all added.
  mutable RE2::Set set_;
  std::vector<PatternRef> refs_;  // by Set index
  mutable std::once_flag compiled_once_;
  mutable bool compiled_ = false;
};

class IntentMatcher::LazySet {
 public:
  LazySet(const IntentMatcher* matcher, std::vector<int> intents)
      : matcher_(matcher), intents_(std::move(intents)) {}

  // As PatternSet::Match(). Should the set not compile (RE2's memory), the
  // set of every local pattern stands in: it gives these intents' hits and
  // others' that Match() then leaves out of scope, so the same result.
  void Match(std::string_view text, std::vector<PatternRef>* hits) const {
    std::call_once(built_once_, [this] { Build(); });
    if (built_ != nullptr) {
      built_->Match(text, hits);
    } else {
      matcher_->local_->MatchCompilingOnce(text, hits);
    }
  }

 private:
  void Build() const {
    auto set = std::make_unique<PatternSet>();
    for (int i : intents_) {
      const IntentSpec& spec = *matcher_->intents_[i].spec;
      for (size_t p = 0; p < spec.patterns.size(); ++p) {
        std::string error;
        // Create() has added the same pattern to local_ without error.
        if (!set->Add(Compiled(spec, p), {i, static_cast<int>(p)}, &error)) {
          return;
        }
      }
    }
    if (set->Compile()) built_ = std::move(set);
  }

  const IntentMatcher* const matcher_;
  const std::vector<int> intents_;
  mutable std::once_flag built_once_;
  mutable std::unique_ptr<PatternSet> built_;
};

IntentMatcher::IntentMatcher()
    : anywhere_(std::make_unique<PatternSet>()),
      local_(std::make_unique<PatternSet>()) {}

IntentMatcher::~IntentMatcher() = default;

Status IntentMatcher::Create(const std::vector<IntentSpec>& intents,
                             std::unique_ptr<IntentMatcher>* out) {
  std::unique_ptr<IntentMatcher> matcher(new IntentMatcher());
  for (size_t i = 0; i < intents.size(); ++i) {
    const IntentSpec& spec = intents[i];
    Entry entry{.spec = &spec, .captures = {}};
    PatternSet& set = spec.local ? *matcher->local_ : *matcher->anywhere_;
    for (size_t p = 0; p < spec.patterns.size(); ++p) {
      std::string error;
      const std::string where = spec.file + ": intent '" + spec.id +
                                "' pattern " + std::to_string(p) + " \"" +
                                spec.patterns[p] + "\": ";
      if (!set.Add(Compiled(spec, p),
                   {static_cast<int>(i), static_cast<int>(p)}, &error)) {
        return Status::InvalidArgument(where + error);
      }
      // Add() has parsed the pattern; compiling it a second time on its own
      // is only needed for named groups (RE2 spells them "(?P<"), and only
      // once it wins a match (Captures()): compiling the fifty of them here
      // cost a seventh of the load.
      entry.captures.push_back(Compiled(spec, p).find("(?P<") ==
                                       std::string::npos
                                   ? nullptr
                                   : std::make_unique<LazyRegex>());
    }
    matcher->intents_.push_back(std::move(entry));
  }
  // The local intents' set is compiled when first needed (PatternSet::
  // MatchCompilingOnce()).
  if (!matcher->anywhere_->Compile()) {
    return Status::ResourceExhausted("intent patterns exceed RE2's memory");
  }
  *out = std::move(matcher);
  return Status::OK();
}

Status IntentMatcher::Prepare(
    const std::map<std::string, std::string>& expected) {
  std::vector<int> local;
  for (size_t i = 0; i < intents_.size(); ++i) {
    const IntentSpec& spec = *intents_[i].spec;
    if (spec.local && expected.count(spec.id) > 0) {
      local.push_back(static_cast<int>(i));
    }
  }
  // Nodes that expect the same local intents share their set; nodes that
  // expect none need none.
  std::unique_ptr<LazySet>& set = prepared_[local];
  if (set == nullptr && !local.empty()) {
    set = std::make_unique<LazySet>(this, local);
  }
  expected_[&expected] = set.get();
  return Status::OK();
}

std::vector<IntentMatcher::PatternRef> IntentMatcher::Hits(
    std::string_view normalized, const MatchContext* context) const {
  std::vector<PatternRef> hits;
  anywhere_->Match(normalized, &hits);
  // A local intent is only in scope where it is expected.
  if (context == nullptr) {
    local_->MatchCompilingOnce(normalized, &hits);
  } else if (context->expected != nullptr && !context->expected->empty()) {
    auto prepared = expected_.find(context->expected);
    if (prepared == expected_.end()) {
      local_->MatchCompilingOnce(normalized, &hits);
    } else if (prepared->second != nullptr) {
      prepared->second->Match(normalized, &hits);
    }
  }
  // Set indices come back unordered; file order breaks priority ties.
  std::sort(hits.begin(), hits.end());
  return hits;
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
  const std::vector<PatternRef> hits = Hits(normalized, &context);
  if (hits.empty()) return result;

  int best_pattern_index = -1;
  auto better = [&](const IntentCandidate& a, const IntentCandidate& b) {
    const IntentSpec& sa = *intents_[a.intent].spec;
    const IntentSpec& sb = *intents_[b.intent].spec;
    if (a.expected != b.expected) {
      // A closing of higher priority beats the answer a node expects: "ok.
      // bye" at "shall we go on?" is a goodbye, not "ok".
      const IntentSpec& other = a.expected ? sb : sa;
      const IntentSpec& expected = a.expected ? sa : sb;
      if (other.kind == "closing" && other.priority > expected.priority) {
        return !a.expected;
      }
      // A catch-all does not swallow a short message about the
      // conversation itself: "thanks", "bye", "where were we".
      if (expected.priority < 0 && context.brief &&
          (other.interrupts || other.kind == "closing")) {
        return !a.expected;
      }
      return a.expected;
    }
    if (sa.priority != sb.priority) return sa.priority > sb.priority;
    return false;  // earlier wins: keep the incumbent
  };
  result.candidates.reserve(hits.size());
  int previous = -1;
  for (const PatternRef& ref : hits) {
    // One candidate per intent: its first matching pattern. Hits come in
    // file order, an intent's side by side.
    if (ref.intent == previous) continue;
    previous = ref.intent;
    const IntentSpec& spec = *intents_[ref.intent].spec;
    const bool expected =
        context.expected != nullptr && context.expected->count(spec.id) > 0;
    if (!InScope(spec, context, expected)) continue;
    // Questions and closings break out of a free-text question too: "would
    // therapy help us?" or "bye" is not the answer to it.
    const bool breaks_out = spec.interrupts || spec.kind == "closing" ||
                            (spec.kind == "question" && context.question);
    const bool held = context.captures_text && !expected && !breaks_out;
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

  const RE2* re = Captures(best.intent, best.pattern);
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

const RE2* IntentMatcher::Captures(int intent, int pattern) const {
  LazyRegex* lazy = intents_[static_cast<size_t>(intent)]
                        .captures[static_cast<size_t>(pattern)]
                        .get();
  if (lazy == nullptr) return nullptr;
  std::call_once(lazy->once, [&] {
    auto re = std::make_unique<RE2>(
        Compiled(*intents_[static_cast<size_t>(intent)].spec,
                 static_cast<size_t>(pattern)),
        PatternOptions());
    // Create() has added the same pattern to a set without error.
    if (re->ok() && !re->NamedCapturingGroups().empty()) {
      lazy->re = std::move(re);
    }
  });
  return lazy->re.get();
}

std::vector<std::string> IntentMatcher::MatchAll(
    std::string_view normalized) const {
  std::vector<std::string> ids;
  for (const PatternRef& hit : Hits(normalized, nullptr)) {
    const std::string& id = intents_[hit.intent].spec->id;
    if (ids.empty() || ids.back() != id) ids.push_back(id);
  }
  return ids;
}

}  // namespace trustcoach
