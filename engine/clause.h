#pragma once

#include <algorithm>
#include <iterator>
#include <string_view>

namespace trustcoach {

// Words that join a clause to what came before, or fill its opening, and
// are not its subject: "and then my wife went cold", "so honestly i feel
// lost", "but i still cant sleep". SpeaksForSelf() (engine/guess.cc) reads
// "i feel..." right after one as the person's own words; PartnerClause()
// (engine/intent_matcher.h) skips them to find a clause's subject.
inline constexpr std::string_view kClauseJoiners[] = {
    "and", "but",  "so", "then", "just", "honestly", "well",
    "um",  "also", "ok", "okay", "now",  "tbh",      "because"};

// Whether `word` is one of kClauseJoiners.
inline bool IsClauseJoiner(std::string_view word) {
  return std::find(std::begin(kClauseJoiners), std::end(kClauseJoiners),
                   word) != std::end(kClauseJoiners);
}

// Whether `word` may open a clause before its subject: a joiner, or "like"
// ("like he just shut down"). "like" joins nothing after a verb: "he makes
// me feel like i am nothing" is not the person speaking for themselves, so
// SpeaksForSelf() does not take it.
inline bool IsClauseOpener(std::string_view word) {
  return IsClauseJoiner(word) || word == "like";
}

}  // namespace trustcoach
