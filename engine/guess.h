#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/dialog_spec.h"
#include "engine/template.h"

namespace trustcoach {

class Concepts;

// A guess and how many of its concepts occur in the text.
struct ScoredGuess {
  const GuessSpec* guess = nullptr;
  int score = 0;
};

// The guesses with at least one concept in `normalized`, the highest score
// first (file order between equals). Concepts compile on first use.
std::vector<ScoredGuess> RankGuesses(const std::vector<GuessSpec>& guesses,
                                     const Concepts& concepts,
                                     std::string_view normalized);

// `normalized` said back in the second person ("i want to believe him" ->
// "you want to believe him"), or "" where echoing is not safe or would not
// read well: a question, more than eight words, anything but plain words,
// or a word that insults, blames or hurts ("stupid", "fault", "hate").
std::string Echo(std::string_view normalized, const Reflections& reflections);

}  // namespace trustcoach
