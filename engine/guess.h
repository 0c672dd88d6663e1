#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <re2/set.h>

#include "engine/dialog_spec.h"
#include "engine/template.h"

namespace trustcoach {

// A guess and how many of its concepts occur in the text.
struct ScoredGuess {
  const GuessSpec* guess = nullptr;
  int score = 0;
};

// The concepts the guesses count, as one RE2::Set of whole-word
// alternations, so that ranking costs one Set match. Built at load;
// Rank() is const and safe from any thread.
class GuessScorer {
 public:
  GuessScorer();
  ~GuessScorer();
  GuessScorer(const GuessScorer&) = delete;
  GuessScorer& operator=(const GuessScorer&) = delete;

  // Adds concept `id` (once) with its expansion "(?:a|b|...)".
  void Add(const std::string& id, const std::string& expanded);
  // False if the set does not compile (RE2's memory).
  bool Compile();

  // The guesses with at least one concept in `normalized`, the highest score
  // first (file order between equals).
  std::vector<ScoredGuess> Rank(const std::vector<GuessSpec>& guesses,
                                std::string_view normalized) const;

 private:
  std::unique_ptr<RE2::Set> set_;
  std::vector<std::string> ids_;  // by Set index
};

// `normalized` said back in the second person ("i want to believe him" ->
// "you want to believe him"), or "" where echoing is not safe or would not
// read well: a question, more than eight words, anything but plain words,
// or a word that insults, blames or hurts ("stupid", "fault", "hate").
std::string Echo(std::string_view normalized, const Reflections& reflections);

// One key phrase of an emotional message said back: the first clause in
// which the person says how they feel ("honestly i feel so alone since he
// left, whatever" -> "you feel so alone since he left"), under the same
// rules as Echo(); "" where there is none that is safe to echo.
std::string EchoFeeling(std::string_view normalized,
                        const Reflections& reflections);

// Whether the person says how they feel in their own words, in a clause
// that is not a question nor reported speech: "i am furious", "my wife
// cheated and i feel sick", "it makes me so sad". A feeling word alone in
// a question ("should i wait till i have calmed down?"), a figure of
// speech ("i can not blow up our whole life") or the partner's feeling
// ("she would be so pissed") is not.
bool StatesOwnFeeling(std::string_view normalized);

}  // namespace trustcoach
