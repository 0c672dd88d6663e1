#pragma once

#include <bitset>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trustcoach {

// Inputs longer than this many bytes are cut (at a UTF-8 character
// boundary) before matching; the engine tells the person it did so.
inline constexpr size_t kMaxInputBytes = 2000;

// Hashes a std::string and a std::string_view alike, so that a map keyed
// by std::string is searched with a view, without building a string.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const {
    return std::hash<std::string_view>()(text);
  }
};

template <typename T>
using StringMap =
    std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

// Whole-word replacements applied after folding: contractions ("don't" ->
// "do not") and chat spellings ("u" -> "you"). Loaded from
// dialogs/substitutions.json.
struct Substitutions {
  // A phrase, kept under its first word: "he's been" is `rest` " been"
  // under "he's".
  struct Phrase {
    std::string rest;         // the following words, each after one space
    std::string replacement;  // for the whole phrase: "he has been"
  };

  // Adds a replacement for a phrase of two or more words, single-spaced
  // ("he's been" -> "he has been"). A phrase is tried before its first
  // word alone, the longest first.
  void AddPhrase(std::string_view phrase, std::string_view replacement);

  StringMap<std::string> words;
  // By first word. Use AddPhrase(), which keeps each list longest first and
  // `phrase_next` up to date.
  StringMap<std::vector<Phrase>> phrases;
  // First bytes of the second word of every phrase: a word followed by
  // another byte needs no phrase lookup.
  std::bitset<256> phrase_next;
};

struct NormalizeInfo {
  bool truncated = false;     // the input was longer than kMaxInputBytes
  bool invalid_utf8 = false;  // invalid bytes were replaced
  size_t input_bytes = 0;
};

// Returns the text matching works on, ASCII-oriented and predictable:
// - invalid UTF-8 is replaced by U+FFFD, never a crash;
// - letters are lowercased, Latin accents folded ("Fiancé" -> "fiance"),
//   curly quotes and dashes folded to ASCII;
// - emoji and other symbols are separated from words by a space, so that
//   RE2's ASCII-only \b works on every word;
// - white space is collapsed to single spaces and trimmed;
// - each whole word, or phrase of whole words, found in `subs` is replaced.
// Thread-safe: pure function of its arguments.
std::string Normalize(std::string_view text, const Substitutions& subs,
                      NormalizeInfo* info = nullptr);

// Replaces invalid UTF-8 sequences with U+FFFD and cuts to at most
// `max_bytes` at a character boundary. Used for text that is stored or
// echoed, not matched.
std::string SanitizeUtf8(std::string_view text, size_t max_bytes,
                         bool* changed = nullptr);

}  // namespace trustcoach
