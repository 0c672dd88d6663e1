#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

#include "engine/dialog_spec.h"
#include "engine/status.h"

namespace trustcoach {

// Where the conversation is, for scoping intents.
struct MatchContext {
  std::string_view flow;  // "" when no flow is active
  std::string_view node;
  // Intent ids the current node expects (its `on`); these win over others.
  const std::map<std::string, std::string>* expected = nullptr;
  // The node captures free text (`capture`): an intent it does not expect is
  // held back, so that the text is captured, unless it `interrupts`.
  bool captures_text = false;
};

struct IntentCandidate {
  int intent = -1;   // index into the spec's intents
  int pattern = -1;  // index into that intent's patterns
  bool expected = false;
  bool held = false;  // matched, but held back by `captures_text`
};

struct IntentMatch {
  int intent = -1;  // -1: nothing matched in scope
  int pattern = -1;
  std::map<std::string, std::string> captures;  // named groups that matched
  // Every in-scope match, held ones included (they never win).
  std::vector<IntentCandidate> candidates;
};

// Every pattern of every intent, compiled once into one RE2::Set. A match
// costs one Set match plus, for the winner only, one RE2 match for its named
// captures. Immutable after Create(); Match() is safe from any thread.
class IntentMatcher {
 public:
  // Fails with InvalidArgument naming the intent, its file and pattern, and
  // RE2's message, when a pattern does not compile.
  static Status Create(const std::vector<IntentSpec>& intents,
                       std::unique_ptr<IntentMatcher>* out);

  IntentMatcher(const IntentMatcher&) = delete;
  IntentMatcher& operator=(const IntentMatcher&) = delete;

  // The winner among the in-scope intents that match: an expected one first,
  // then the higher priority, then the earlier in file order. Where
  // `context.captures_text`, only expected and interrupting intents can win.
  IntentMatch Match(std::string_view normalized,
                    const MatchContext& context) const;

  // Ids of the intents whose patterns match `normalized`, ignoring scope.
  std::vector<std::string> MatchAll(std::string_view normalized) const;

 private:
  struct PatternRef {
    int intent;
    int pattern;
  };
  struct Entry {
    const IntentSpec* spec;
    std::vector<std::unique_ptr<RE2>> captures;  // null where no named group
  };

  IntentMatcher() = default;
  bool InScope(const IntentSpec& spec, const MatchContext& context,
               bool expected) const;

  std::vector<Entry> intents_;
  std::vector<PatternRef> patterns_;  // by Set index
  std::unique_ptr<RE2::Set> set_;
};

}  // namespace trustcoach
