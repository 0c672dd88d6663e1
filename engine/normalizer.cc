#include "engine/normalizer.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace trustcoach {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// ASCII folds of U+00C0..U+024F (Latin-1 Supplement, Latin Extended-A and
// -B), generated from Unicode's canonical decompositions; "" keeps the
// character (x, ÷ and letters with no ASCII base).
constexpr const char* kLatinFold[] = {
    "a", "a", "a",  "a",  "a", "a", "ae", "c",  "e", "e", "e",  "e", "i", "i",
    "i", "i", "d",  "n",  "o", "o", "o",  "o",  "o", "",  "o",  "u", "u", "u",
    "u", "y", "th", "ss", "a", "a", "a",  "a",  "a", "a", "ae", "c", "e", "e",
    "e", "e", "i",  "i",  "i", "i", "d",  "n",  "o", "o", "o",  "o", "o", "",
    "o", "u", "u",  "u",  "u", "y", "th", "y",  "a", "a", "a",  "a", "a", "a",
    "c", "c", "c",  "c",  "c", "c", "c",  "c",  "d", "d", "d",  "d", "e", "e",
    "e", "e", "e",  "e",  "e", "e", "e",  "e",  "g", "g", "g",  "g", "g", "g",
    "g", "g", "h",  "h",  "h", "h", "i",  "i",  "i", "i", "i",  "i", "i", "i",
    "i", "i", "ij", "ij", "j", "j", "k",  "k",  "k", "l", "l",  "l", "l", "l",
    "l", "l", "l",  "l",  "l", "n", "n",  "n",  "n", "n", "n",  "n", "n", "n",
    "o", "o", "o",  "o",  "o", "o", "oe", "oe", "r", "r", "r",  "r", "r", "r",
    "s", "s", "s",  "s",  "s", "s", "s",  "s",  "t", "t", "t",  "t", "t", "t",
    "u", "u", "u",  "u",  "u", "u", "u",  "u",  "u", "u", "u",  "u", "w", "w",
    "y", "y", "y",  "z",  "z", "z", "z",  "z",  "z", "s", "",   "",  "",  "",
    "",  "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "",  "",  "",
    "",  "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "",  "",  "",
    "o", "o", "",   "",   "",  "",  "",   "",   "",  "",  "",   "",  "",  "",
    "",  "u", "u",  "",   "",  "",  "",   "",   "",  "",  "",   "",  "",  "",
    "",  "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "",  "",  "",
    "",  "",  "",   "a",  "a", "i", "i",  "o",  "o", "u", "u",  "u", "u", "u",
    "u", "u", "u",  "u",  "u", "",  "a",  "a",  "a", "a", "",   "",  "",  "",
    "g", "g", "k",  "k",  "o", "o", "o",  "o",  "",  "",  "j",  "",  "",  "",
    "g", "g", "",   "",   "n", "n", "a",  "a",  "",  "",  "",   "",  "a", "a",
    "a", "a", "e",  "e",  "e", "e", "i",  "i",  "i", "i", "o",  "o", "o", "o",
    "r", "r", "r",  "r",  "u", "u", "u",  "u",  "s", "s", "t",  "t", "",  "",
    "h", "h", "",   "",   "",  "",  "",   "",   "a", "a", "e",  "e", "o", "o",
    "o", "o", "o",  "o",  "o", "o", "y",  "y",  "",  "",  "",   "",  "",  "",
    "",  "",  "",   "",   "",  "",  "",   "",   "",  "",  "",   "",  "",  "",
    "",  "",  "",   "",   "",  "",  "",   "",
};
constexpr char32_t kLatinFoldFirst = 0xC0;
constexpr char32_t kLatinFoldEnd = kLatinFoldFirst + std::size(kLatinFold);

// Decodes one UTF-8 character at `text[*pos]`, advancing `*pos`. Invalid or
// truncated sequences, overlongs and surrogates yield U+FFFD and advance by
// one byte, as the Unicode "maximal subpart" practice suggests.
char32_t DecodeOne(std::string_view text, size_t* pos, bool* invalid) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(*pos);
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  int length = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  }
  if (length == 0 || *pos + length > text.size()) {
    *invalid = true;
    ++*pos;
    return kReplacement;
  }
  for (int i = 1; i < length; ++i) {
    const uint8_t next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) {
      *invalid = true;
      ++*pos;
      return kReplacement;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    *invalid = true;
    ++*pos;
    return kReplacement;
  }
  *pos += length;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsSpace(char32_t cp) {
  return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Characters dropped outright: controls, zero-width joiners and marks,
// variation selectors, bidi controls, the BOM.
bool IsIgnorable(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||
         (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2060 && cp <= 0x206F) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
         cp == 0xFEFF || (cp >= 0xE0100 && cp <= 0xE01EF) ||
         (cp >= 0x0300 && cp <= 0x036F);  // combining accents: folded away
}

// Symbols and emoji: kept, but as a word of their own.
bool IsSymbol(char32_t cp) {
  return (cp >= 0x2100 && cp <= 0x2BFF) || (cp >= 0x1F000 && cp <= 0x1FAFF) ||
         cp == kReplacement || cp == 0xD7 || cp == 0xF7;
}

// Folds one character to what matching sees, appending it to `out`.
void Fold(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp));
    return;
  }
  if (cp >= kLatinFoldFirst && cp < kLatinFoldEnd) {
    const char* folded = kLatinFold[cp - kLatinFoldFirst];
    if (*folded != '\0') {
      out->append(folded);
      return;
    }
  }
  switch (cp) {
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
    case 0x02BC:
    case 0xFF07:
    case 0x00B4:
    case 0x0060:
      out->push_back('\'');
      return;
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
    case 0x00AB:
    case 0x00BB:
      out->push_back('"');
      return;
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
      out->push_back('-');
      return;
    case 0x2026:
      out->append("...");
      return;
    default:
      break;
  }
  // Greek and Cyrillic capitals to lower case.
  if ((cp >= 0x391 && cp <= 0x3A9) || (cp >= 0x410 && cp <= 0x42F)) {
    cp += 0x20;
  } else if (cp >= 0x400 && cp <= 0x40F) {
    cp += 0x50;
  }
  AppendUtf8(cp, out);
}

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The end of the phrase of `subs` that starts with `word`, which ends at
// `end` in `text`, or 0 if none does; `*replacement` is then its
// replacement. The phrase must end a word, closing quotes aside.
size_t MatchPhrase(std::string_view text, size_t end, std::string_view word,
                   const Substitutions& subs, const std::string** replacement) {
  if (end + 1 >= text.size() || text[end] != ' ' ||
      !subs.phrase_next[static_cast<unsigned char>(text[end + 1])]) {
    return 0;
  }
  auto it = subs.phrases.find(word);
  if (it == subs.phrases.end()) return 0;
  for (const Substitutions::Phrase& phrase : it->second) {
    const size_t after = end + phrase.rest.size();
    if (after > text.size() ||
        text.compare(end, phrase.rest.size(), phrase.rest) != 0) {
      continue;
    }
    size_t boundary = after;
    while (boundary < text.size() && text[boundary] == '\'') ++boundary;
    if (boundary == text.size() || !IsWordByte(text[boundary])) {
      *replacement = &phrase.replacement;
      return after;
    }
  }
  return 0;
}

// Replaces each whole word of `text` (single-spaced) found in `subs`, or
// phrase of words starting there. A word is a run of letters, digits and
// apostrophes; punctuation around it stays.
std::string Substitute(std::string text, const Substitutions& subs) {
  if (subs.words.empty() && subs.phrases.empty()) return text;
  std::string out;
  out.reserve(text.size() + 16);
  size_t i = 0;
  while (i < text.size()) {
    if (!IsWordByte(text[i])) {
      out.push_back(text[i++]);
      continue;
    }
    size_t end = i;
    while (end < text.size() && IsWordByte(text[end])) ++end;
    std::string_view word = std::string_view(text).substr(i, end - i);
    // Quotes around a word are not part of it: 'sorry' -> sorry.
    while (!word.empty() && word.front() == '\'') {
      out.push_back('\'');
      word.remove_prefix(1);
    }
    size_t trailing = 0;
    while (!word.empty() && word.back() == '\'') {
      word.remove_suffix(1);
      ++trailing;
    }
    const std::string* replacement = nullptr;
    if (trailing == 0 && !subs.phrases.empty()) {
      if (size_t after = MatchPhrase(text, end, word, subs, &replacement)) {
        out.append(*replacement);
        i = after;
        continue;
      }
    }
    auto it = subs.words.find(word);
    if (it == subs.words.end()) {
      out.append(word);
    } else {
      out.append(it->second);
    }
    out.append(trailing, '\'');
    i = end;
  }
  return out;
}

}  // namespace

void Substitutions::AddPhrase(std::string_view phrase,
                              std::string_view replacement) {
  const size_t space = phrase.find(' ');
  assert(space != std::string_view::npos);
  std::vector<Phrase>& list = phrases[std::string(phrase.substr(0, space))];
  Phrase added{std::string(phrase.substr(space)), std::string(replacement)};
  if (added.rest.size() > 1) {
    phrase_next.set(static_cast<unsigned char>(added.rest[1]));
  }
  // Longest first, so that "he's been" wins over a shorter phrase.
  auto at = std::find_if(list.begin(), list.end(), [&](const Phrase& p) {
    return p.rest.size() < added.rest.size();
  });
  list.insert(at, std::move(added));
}

std::string SanitizeUtf8(std::string_view text, size_t max_bytes,
                         bool* changed) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  bool invalid = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const char32_t cp = DecodeOne(text, &pos, &invalid);
    const size_t before = out.size();
    AppendUtf8(cp, &out);
    if (out.size() > max_bytes) {
      out.resize(before);
      invalid = true;
      break;
    }
  }
  if (changed != nullptr) *changed = invalid;
  return out;
}

std::string Normalize(std::string_view text, const Substitutions& subs,
                      NormalizeInfo* info) {
  NormalizeInfo local;
  if (info == nullptr) info = &local;
  *info = NormalizeInfo{.input_bytes = text.size()};

  std::string folded;
  folded.reserve(std::min(text.size(), kMaxInputBytes) + 8);
  bool pending_space = false;
  size_t pos = 0;
  while (pos < text.size()) {
    if (pos >= kMaxInputBytes) {
      info->truncated = true;
      break;
    }
    // ASCII, most of any message, as below without decoding: a run of
    // printable characters is copied and lower-cased in one go; white space
    // and control characters (ignored) are taken one at a time.
    const auto byte = static_cast<unsigned char>(text[pos]);
    if (byte > ' ' && byte < 0x7F) {
      const size_t end = std::min(text.size(), kMaxInputBytes);
      size_t run = pos + 1;
      while (run < end && text[run] > ' ' && text[run] < 0x7F) ++run;
      if (pending_space && !folded.empty() && folded.back() != ' ') {
        folded.push_back(' ');
      }
      pending_space = false;
      const size_t at = folded.size();
      folded.append(text.substr(pos, run - pos));
      for (size_t i = at; i < folded.size(); ++i) {
        if (folded[i] >= 'A' && folded[i] <= 'Z') folded[i] += 'a' - 'A';
      }
      pos = run;
      continue;
    }
    if (byte < 0x80) {
      ++pos;
      if (byte == ' ' || (byte >= '\t' && byte <= '\r')) pending_space = true;
      continue;
    }
    const char32_t cp = DecodeOne(text, &pos, &info->invalid_utf8);
    if (IsSpace(cp)) {
      pending_space = true;
      continue;
    }
    if (IsIgnorable(cp)) continue;
    const bool symbol = IsSymbol(cp);
    if ((pending_space || symbol) && !folded.empty() && folded.back() != ' ') {
      folded.push_back(' ');
    }
    pending_space = symbol;
    Fold(cp, &folded);
  }
  return Substitute(std::move(folded), subs);
}

}  // namespace trustcoach
