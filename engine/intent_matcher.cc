#include "engine/intent_matcher.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <mutex>
#include <optional>
#include <utility>

#include "engine/clause.h"

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

// A small reader of RE2 syntax for PatternWords(): the least number of
// words a pattern, or part of one, needs the text to have.
class WordCounter {
 public:
  explicit WordCounter(std::string_view pattern) : p_(pattern) {}

  int Alternation() {
    int least = Sequence();
    while (i_ < p_.size() && p_[i_] == '|') {
      ++i_;
      least = std::min(least, Sequence());
    }
    return least;
  }

 private:
  static bool Letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '\'';
  }

  int Sequence() {
    int words = 0;
    bool in_word = false;  // the last thing read ends in a letter
    while (i_ < p_.size() && p_[i_] != '|' && p_[i_] != ')') {
      int value = 0;
      bool letter = false;  // the element is a letter or a group
      bool zero_width = false;
      const char c = p_[i_];
      if (c == '(') {
        ++i_;
        if (i_ < p_.size() && p_[i_] == '?') {
          // (?:, (?P<name>, (?i): skip to the group's body.
          while (i_ < p_.size() && p_[i_] != ':' && p_[i_] != '>' &&
                 p_[i_] != ')') {
            ++i_;
          }
          if (i_ < p_.size() && p_[i_] != ')') ++i_;
        }
        value = Alternation();
        if (i_ < p_.size()) ++i_;  // ')'
        letter = true;
        // A group on the end of a word is a suffix: "cheat(ed|ing)".
        if (in_word) value = 0;
      } else if (c == '[') {
        ++i_;
        if (i_ < p_.size() && p_[i_] == '^') ++i_;
        if (i_ < p_.size() && p_[i_] == ']') ++i_;
        while (i_ < p_.size() && p_[i_] != ']') {
          if (p_[i_] == '\\') ++i_;
          ++i_;
        }
        ++i_;
      } else if (c == '\\') {
        const char e = i_ + 1 < p_.size() ? p_[i_ + 1] : ' ';
        i_ += 2;
        zero_width = e == 'b' || e == 'B' || e == 'A' || e == 'z';
      } else if (c == '^' || c == '$') {
        ++i_;
        zero_width = true;
      } else {
        ++i_;
        letter = Letter(c);
        if (letter && !in_word) value = 1;
      }
      // A quantifier: optional parts count nothing.
      bool optional = false;
      if (i_ < p_.size() && (p_[i_] == '*' || p_[i_] == '?')) {
        optional = true;
        ++i_;
      } else if (i_ < p_.size() && p_[i_] == '+') {
        ++i_;
      } else if (i_ < p_.size() && p_[i_] == '{') {
        optional = i_ + 1 < p_.size() && p_[i_ + 1] == '0';
        while (i_ < p_.size() && p_[i_] != '}') ++i_;
        ++i_;
      }
      if (i_ < p_.size() && p_[i_] == '?') ++i_;  // lazy
      if (optional) value = 0;
      words += value;
      if (!zero_width) in_word = letter && !optional;
    }
    return words;
  }

  std::string_view p_;
  size_t i_ = 0;
};

}  // namespace

int PatternWords(std::string_view pattern) {
  return WordCounter(pattern).Alternation();
}

std::vector<std::string_view> TopLevelAlternatives(std::string_view pattern) {
  std::vector<std::string_view> out;
  int depth = 0;
  bool in_class = false;
  size_t start = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      ++i;
    } else if (in_class) {
      if (c == ']') in_class = false;
    } else if (c == '[') {
      in_class = true;
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') ++i;
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      --depth;
    } else if (c == '|' && depth == 0) {
      out.push_back(pattern.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(pattern.substr(start));
  return out;
}

namespace {

// Question frames said without a '?' and not at the start of a sentence:
// "we live in melbourne where do we even look", "i was wondering is there
// a cheaper option". A frame is a question word and the word after it
// ("how to", "where he" are not frames: "i do not know how to feel").
constexpr std::pair<std::string_view, std::string_view> kQuestionFrames[] = {
    {"where", "do"},
    {"where", "can"},
    {"where", "could"},
    {"where", "should"},
    {"where", "would"},
    {"where", "does"},
    {"how", "do"},
    {"how", "can"},
    {"how", "could"},
    {"how", "should"},
    {"how", "would"},
    {"how", "does"},
    {"is", "there"},
    {"are", "there"},
    {"what", "about"},
    {"wondering", "if"},
    {"wondering", "whether"},
    {"wonder", "if"},
    {"any", "advice"},
    {"any", "tips"},
    {"any", "ideas"},
    {"any", "suggestions"},
    {"any", "recommendations"}};

// The first words that ask without a question word: "any cheap counselling
// in bangalore", "anyone know a good counsellor near me".
constexpr std::string_view kAnyOpeners[] = {"any", "anyone", "anybody",
                                            "anywhere"};

std::string_view WordAt(std::string_view text, size_t start) {
  size_t end = start;
  while (end < text.size() && text[end] >= 'a' && text[end] <= 'z') ++end;
  return text.substr(start, end - start);
}

// The word that ends at `end` (exclusive) in `text`, and where it starts.
std::string_view WordBefore(std::string_view text, size_t end, size_t* start) {
  while (end > 0 && !(text[end - 1] >= 'a' && text[end - 1] <= 'z')) --end;
  size_t begin = end;
  while (begin > 0 && text[begin - 1] >= 'a' && text[begin - 1] <= 'z') {
    --begin;
  }
  *start = begin;
  return text.substr(begin, end - begin);
}

bool HasQuestionFrame(std::string_view text) {
  size_t first = text.find_first_of("abcdefghijklmnopqrstuvwxyz");
  if (first != std::string_view::npos) {
    const std::string_view word = WordAt(text, first);
    if (std::find(std::begin(kAnyOpeners), std::end(kAnyOpeners), word) !=
        std::end(kAnyOpeners)) {
      return true;
    }
  }
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] >= 'a' && text[i] <= 'z')) continue;
    if (i > 0 && text[i - 1] >= 'a' && text[i - 1] <= 'z') continue;
    const std::string_view word = WordAt(text, i);
    const size_t next = i + word.size() + 1;
    if (next >= text.size() || text[next - 1] != ' ') continue;
    const std::string_view after = WordAt(text, next);
    // Reported, not asked: "my sister told me how does therapy work".
    size_t before_start = 0;
    const std::string_view before = WordBefore(text, i, &before_start);
    if (before == "me" || before == "told" || before == "said" ||
        before == "says" || before == "asked" || before == "asks") {
      continue;
    }
    for (const auto& [a, b] : kQuestionFrames) {
      if (word == a && after == b) return true;
    }
  }
  return false;
}

bool IsCheatWord(std::string_view word) {
  static constexpr std::string_view kWords[] = {
      "unfaithful", "affair", "affairs", "slept", "strayed", "stray"};
  return word.substr(0, 5) == "cheat" ||
         std::find(std::begin(kWords), std::end(kWords), word) !=
             std::end(kWords);
}

}  // namespace

bool MaybeNegated(std::string_view text) {
  return text.find("never") != std::string_view::npos ||
         text.find("what if") != std::string_view::npos;
}

bool NegatedCheat(std::string_view text, std::pair<size_t, size_t> span) {
  // The cheating word: the match's first word or its last.
  size_t last_start = 0;
  WordBefore(text, span.second, &last_start);
  for (size_t at : {span.first, last_start}) {
    if (!IsCheatWord(WordAt(text, at))) continue;
    size_t w1_start = 0, w2_start = 0, w3_start = 0;
    std::string_view w1 = WordBefore(text, at, &w1_start);
    std::string_view w2 = WordBefore(text, w1_start, &w2_start);
    // "never been cheated on", "not ever cheated", "never actually cheated"
    if (w1 == "been" || w1 == "ever" || w1 == "actually" || w1 == "really" ||
        w1 == "once") {
      w1 = w2;
      w2 = WordBefore(text, w2_start, &w3_start);
    }
    // "never", not "not": "prove to him i am not cheating" is an accusation.
    if (w1 == "never" || (w2 == "what" && w1 == "if")) {
      return true;
    }
    // "what if she cheats"
    if (w2 == "if" && WordBefore(text, w2_start, &w3_start) == "what") {
      return true;
    }
  }
  return false;
}

namespace {

// Whether the word at `at` in `text` is a cheating word said of someone
// other than the partner, named right before it: "my ex cheated on me", "my
// dad cheated on my mom", "her ex had cheated".
bool ThirdPartyAt(std::string_view text, size_t at) {
  static constexpr std::string_view kOthers[] = {
      "ex",      "dad",     "father",  "mum",     "mom",    "mother",
      "parents", "stepdad", "stepmom", "stepmum", "uncle",  "aunt",
      "friend",  "sister",  "brother", "grandad", "grandpa"};
  static constexpr std::string_view kOwners[] = {"my", "his", "her", "their"};
  if (!IsCheatWord(WordAt(text, at))) return false;
  size_t w1_start = 0, w2_start = 0;
  std::string_view w1 = WordBefore(text, at, &w1_start);
  // "my ex had cheated", "my dad also cheated", "my ex once cheated"
  if (w1 == "has" || w1 == "had" || w1 == "also" || w1 == "once" ||
      w1 == "was" || w1 == "always") {
    w1 = WordBefore(text, w1_start, &w1_start);
  }
  const std::string_view w2 = WordBefore(text, w1_start, &w2_start);
  return std::find(std::begin(kOthers), std::end(kOthers), w1) !=
             std::end(kOthers) &&
         std::find(std::begin(kOwners), std::end(kOwners), w2) !=
             std::end(kOwners);
}

}  // namespace

bool MaybeThirdParty(std::string_view text) {
  // A word scan, no regex: any cheating word said of someone else.
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] >= 'a' && text[i] <= 'z')) continue;
    if (i > 0 && text[i - 1] >= 'a' && text[i - 1] <= 'z') continue;
    if (ThirdPartyAt(text, i)) return true;
  }
  return false;
}

bool ThirdPartyCheat(std::string_view text, std::pair<size_t, size_t> span) {
  size_t last_start = 0;
  WordBefore(text, span.second, &last_start);
  return ThirdPartyAt(text, span.first) || ThirdPartyAt(text, last_start);
}

bool MaybePartnerClause(std::string_view text) {
  return text.find("he ") != std::string_view::npos ||
         text.find("they ") != std::string_view::npos ||
         text.find("my ") != std::string_view::npos;
}

bool PartnerClause(std::string_view text, size_t at, const RE2* partner_words) {
  // The clause: after the last punctuation before `at`. Its opening joiners
  // ("and then my wife...") are skipped to find the subject.
  size_t start = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '.' || text[i] == ',' || text[i] == ';' || text[i] == '!' ||
        text[i] == '?') {
      start = i + 1;
    }
  }
  size_t cursor = start;
  std::string_view subject;
  for (int words = 0; words < 4 && cursor < at; ++words) {
    while (cursor < at && !(text[cursor] >= 'a' && text[cursor] <= 'z')) {
      ++cursor;
    }
    const std::string_view word = WordAt(text, cursor);
    if (word.empty()) return false;
    cursor += word.size();
    if (IsClauseOpener(word)) continue;
    if (word == "he" || word == "she" || word == "they") {
      subject = word;
    } else if (word == "my" && partner_words != nullptr) {
      while (cursor < at && text[cursor] == ' ') ++cursor;
      re2::StringPiece who;
      if (!partner_words->Match(text, cursor, text.size(), RE2::ANCHOR_START,
                                &who, 1)) {
        return false;
      }
      cursor += who.size();
      subject = std::string_view(who.data(), who.size());
    } else {
      return false;
    }
    break;
  }
  if (subject.empty() || cursor > at) return false;
  // "he makes me feel numb", "she said i am cold": the person's own.
  const std::string between =
      " " + std::string(text.substr(cursor, at - cursor)) + " ";
  for (std::string_view self : {" i ", " me ", " my "}) {
    if (between.find(self) != std::string::npos) return false;
  }
  return true;
}

bool LooksLikeQuestion(std::string_view text) {
  if (text.find('?') != std::string_view::npos || OpensAsQuestion(text) ||
      HasQuestionFrame(text)) {
    return true;
  }
  // A question asked after a statement, in its own sentence or clause: "we
  // have our first appt thursday. what should i bring up", "ive never been
  // to therapy, how do i find one".
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c == '.' || c == ',' || c == ';' || c == '!') &&
        OpensAsQuestion(text.substr(i + 1))) {
      return true;
    }
  }
  return false;
}

bool OpensAsQuestion(std::string_view text) {
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

namespace {

// The words of `text` from `start`, one at a time, letters only.
std::string_view NextWord(std::string_view text, size_t* start) {
  size_t begin = *start;
  while (begin < text.size() && !(text[begin] >= 'a' && text[begin] <= 'z')) {
    ++begin;
  }
  size_t end = begin;
  while (end < text.size() && text[end] >= 'a' && text[end] <= 'z') ++end;
  *start = end;
  return text.substr(begin, end - begin);
}

template <size_t N>
bool OneOf(std::string_view word, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), word) != std::end(set);
}

constexpr std::string_view kAuxiliaries[] = {
    "is",    "are",  "am",      "do",       "does", "did",   "can",  "could",
    "would", "will", "should",  "shall",    "isnt", "arent", "dont", "doesnt",
    "cant",  "wont", "wouldnt", "shouldnt", "was",  "were",  "has",  "have"};
constexpr std::string_view kOpeningFillers[] = {
    "so",   "ok",   "okay", "and",      "but",       "like", "um",
    "also", "then", "well", "honestly", "seriously", "just"};
constexpr std::string_view kAskingWords[] = {"whats", "hows", "wheres"};
constexpr std::string_view kQuestionWords[] = {"how",   "what", "why",  "when",
                                               "where", "who",  "which"};
constexpr std::string_view kAskingNext[] = {"if",   "long",  "much",
                                            "many", "about", "else"};

}  // namespace

bool OpensWithQuestionFrame(std::string_view text) {
  size_t start = 0;
  std::string_view word;
  for (int words = 0; words < 3; ++words) {
    word = NextWord(text, &start);
    if (!OneOf(word, kOpeningFillers)) break;
  }
  if (OneOf(word, kAuxiliaries) || OneOf(word, kAskingWords)) return true;
  if (!OneOf(word, kQuestionWords)) return false;
  const std::string_view next = NextWord(text, &start);
  return OneOf(next, kAuxiliaries) || OneOf(next, kAskingNext);
}

bool AnswersFeelings(const IntentSpec& intent) {
  return (intent.kind == "feeling" && intent.about != "partner") ||
         (intent.kind == "event" && intent.priority >= kFeelingEventPriority);
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

// True if `pattern` has a gap that can reach across words (".*", "[^.?!]*",
// "\\w+", a bounded repeat "{0,8}"). Only where the pattern goes depends on
// it, never what matches.
bool HasGap(std::string_view pattern) {
  for (size_t i = 0; i + 1 < pattern.size(); ++i) {
    const char c = pattern[i], next = pattern[i + 1];
    if ((c == '.' || c == ']') && (next == '*' || next == '+')) return true;
    if (c == '\\' && (next == 'w' || next == 'S' || next == 'W') &&
        i + 2 < pattern.size() && pattern[i + 2] == '+') {
      return true;
    }
    if (c == '\\') ++i;  // an escaped character is a literal
    if (c == '{' && next >= '0' && next <= '9') return true;
  }
  return false;
}

// Two RE2::Sets: the patterns without a gap, and those with one. RE2 builds
// a DFA state the first time a set meets a new stretch of text; a gap keeps
// a pattern's thread alive to the end of the sentence, so in one set of
// both, new text makes new states for all of them, each as large as the
// set. Apart, the gap-free set's states are shared by every message with
// the same words: a message seen for the first time costs about 45 % less
// in the intents' set, and one seen before one more DFA pass
// (docs/performance.md, "First-seen messages").
class IntentMatcher::PatternSet {
 public:
  PatternSet()
      : parts_{Part(SetOptions(), RE2::UNANCHORED),
               Part(SetOptions(), RE2::UNANCHORED)} {}

  // Returns false, with RE2's message in `*error`, if `pattern` does not
  // parse.
  bool Add(const std::string& pattern, PatternRef ref, std::string* error) {
    Part& part = parts_[HasGap(pattern) ? 1 : 0];
    if (part.set.Add(pattern, error) < 0) return false;
    part.refs.push_back(ref);
    return true;
  }

  bool Compile() { return CompileParts(); }

  // Appends the patterns that match `text`, in no particular order.
  void Match(std::string_view text, std::vector<PatternRef>* hits) const {
    std::vector<int> indices;
    for (const Part& part : parts_) {
      if (part.refs.empty()) continue;
      indices.clear();
      part.set.Match(text, &indices);
      for (int index : indices) hits->push_back(part.refs[index]);
    }
  }

  // As Match(), compiling the set on the first call (once, whichever thread
  // gets there first). For a set few turns need: compiling the local
  // intents' set cost a seventh of the load, and only Match() without a
  // prepared node and MatchAll() use it. Should it not compile (RE2's
  // memory), nothing matches.
  void MatchCompilingOnce(std::string_view text,
                          std::vector<PatternRef>* hits) const {
    std::call_once(compiled_once_, [this] { compiled_ = CompileParts(); });
    if (compiled_) Match(text, hits);
  }

 private:
  struct Part {
    Part(const RE2::Options& options, RE2::Anchor anchor)
        : set(options, anchor) {}
    RE2::Set set;
    std::vector<PatternRef> refs;  // by Set index
  };
  // RE2::Set::Compile() is not const; MatchCompilingOnce() compiles a set
  // whose patterns were all added.
  bool CompileParts() const {
    for (Part& part : parts_) {
      if (!part.refs.empty() && !part.set.Compile()) return false;
    }
    return true;
  }

  mutable std::array<Part, 2> parts_;  // without a gap, with one
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
  return Create(intents, "", out);
}

Status IntentMatcher::Create(const std::vector<IntentSpec>& intents,
                             std::string_view partner_words,
                             std::unique_ptr<IntentMatcher>* out) {
  std::unique_ptr<IntentMatcher> matcher(new IntentMatcher());
  if (!partner_words.empty()) {
    // Anchored where "my" ends; a whole word or phrase ("my man", not "my
    // manager").
    matcher->partner_words_ = std::make_unique<RE2>(
        "(?:" + std::string(partner_words) + ")\\b", PatternOptions());
    if (!matcher->partner_words_->ok()) {
      return Status::InvalidArgument("concept '~partner': " +
                                     matcher->partner_words_->error());
    }
  }
  for (size_t i = 0; i < intents.size(); ++i) {
    const IntentSpec& spec = intents[i];
    Entry entry{.spec = &spec, .regexes = {}, .named = {}, .words = {}};
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
      // is only needed for its named groups (RE2 spells them "(?P<"), and
      // only once it wins (Regex()): compiling them all here cost a seventh
      // of the load. Its words (Specificity()) are counted in a tie only.
      entry.regexes.push_back(std::make_unique<LazyRegex>());
      entry.words.push_back(std::make_unique<Words>());
      entry.named.push_back(Compiled(spec, p).find("(?P<") !=
                            std::string::npos);
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
                       if (scope == kRiskScope) return context.risk;
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
      // Nor a question asked as one, in so many words: "what do i even say
      // to her?" at "Does your partner know?" is not the answer.
      // Opening with a question frame ("should i tell her all at once or
      // bit by bit" at "Does she know?") is asking, however few words the
      // question's pattern needs.
      if (expected.priority < 0 && context.question &&
          other.kind == "question" &&
          (context.asks ||
           Specificity(normalized, hits, a.expected ? b.intent : a.intent) >=
               kAskedWords)) {
        return !a.expected;
      }
      // Nor does a topic, feeling or narrower question the node lists
      // swallow a practical question of higher priority on another topic,
      // asked in so many words: "how do we have sex again after the
      // affair?" at "What are you feeling?" asks about closeness, not the
      // affair again.
      if (context.question && other.kind == "question" &&
          other.priority > expected.priority && other.topic != expected.topic &&
          (expected.kind == "topic" || expected.kind == "event" ||
           expected.kind == "feeling" || expected.kind == "question")) {
        const int asked =
            Specificity(normalized, hits, a.expected ? b.intent : a.intent);
        // A narrower question the node lists keeps a question that is no
        // more specific ("is there any hope for us" at "What happened?").
        // Opening with a question frame asks it however few words the
        // pattern needs ("is an affair always a dealbreaker" at "What are
        // you feeling?"), unless the node lists a question itself.
        if ((asked >= kAskedWords ||
             (context.asks && expected.kind != "question")) &&
            (expected.kind != "question" ||
             asked > Specificity(normalized, hits,
                                 a.expected ? a.intent : b.intent))) {
          return !a.expected;
        }
      }
      return a.expected;
    }
    // A feeling the node names beats one it takes only as a feeling
    // (`feelings_answer`): "i feel stupid" at "How are you feeling?" is the
    // shame it lists, not the foolishness a higher priority would pick.
    if (a.expected && context.feelings_answer) {
      const bool named_a =
          context.expected != nullptr && context.expected->count(sa.id) > 0;
      const bool named_b =
          context.expected != nullptr && context.expected->count(sb.id) > 0;
      if (named_a != named_b) return named_a;
    }
    // At a free-text question, a question asked in a frame is answered by
    // a question intent before a topic that broke out with it: "how do i
    // talk to him about it without it blowing up" asks how to talk.
    if (context.captures_text && context.asks &&
        (sa.kind == "question") != (sb.kind == "question")) {
      const IntentSpec& other = sa.kind == "question" ? sb : sa;
      if (other.kind == "topic" || other.kind == "event") {
        return sa.kind == "question";
      }
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
    bool expected =
        (context.expected != nullptr && context.expected->count(spec.id) > 0) ||
        (context.feelings_answer && AnswersFeelings(spec));
    // At "How are you feeling?", a feeling said in a clause whose subject
    // is the partner ("he just shut down", "she went cold") describes the
    // partner: it is not the person's own feeling, and the partner's
    // reaction answers the question instead.
    if (context.feelings_answer && spec.kind == "feeling" &&
        (expected || spec.about == "partner") &&
        MaybePartnerClause(normalized)) {
      const std::optional<Span> span =
          MatchSpan(normalized, IntentCandidate{ref.intent, ref.pattern});
      if (span &&
          PartnerClause(normalized, span->first, partner_words_.get())) {
        expected = spec.about == "partner";
      }
    }
    if (!InScope(spec, context, expected)) continue;
    // "i have never cheated", "what if she cheats": not an event.
    if (spec.kind == "event" && MaybeNegated(normalized)) {
      const std::optional<Span> span =
          MatchSpan(normalized, IntentCandidate{ref.intent, ref.pattern});
      if (span && NegatedCheat(normalized, *span)) continue;
    }
    // "my ex cheated on me", "my dad cheated on my mom": someone else's
    // cheating, not an event between the person and the partner.
    if (spec.kind == "event" && MaybeThirdParty(normalized)) {
      const std::optional<Span> span =
          MatchSpan(normalized, IntentCandidate{ref.intent, ref.pattern});
      if (span && ThirdPartyCheat(normalized, *span)) continue;
    }
    // An exercise's free-text answer is a statement: "what if she just
    // laughs at me?" at "try an I statement" asks something instead.
    if (spec.statement && context.opens_question) continue;
    // Questions and closings break out of a free-text question too: "would
    // therapy help us?" or "bye" is not the answer to it.
    // So does a topic or an event asked about in a question frame: "is one
    // lie a dealbreaker" at "What are you feeling?" asks, it does not answer.
    const bool breaks_out =
        spec.interrupts || spec.kind == "closing" ||
        (spec.kind == "question" && context.question) ||
        ((spec.kind == "topic" || spec.kind == "event") && context.asks);
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
  best_pattern_index =
      Specific(normalized, hits, best_pattern_index, &result.candidates);
  best_pattern_index =
      Within(normalized, hits, best_pattern_index, context, &result.candidates);
  best_pattern_index =
      Asked(normalized, hits, best_pattern_index, context, &result.candidates);
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

const RE2* IntentMatcher::Regex(int intent, int pattern) const {
  const Entry& entry = intents_[static_cast<size_t>(intent)];
  LazyRegex& lazy = *entry.regexes[static_cast<size_t>(pattern)];
  std::call_once(lazy.once, [&] {
    auto re = std::make_unique<RE2>(
        Compiled(*entry.spec, static_cast<size_t>(pattern)), PatternOptions());
    // Create() has added the same pattern to a set without error.
    if (re->ok()) lazy.re = std::move(re);
  });
  return lazy.re.get();
}

const RE2* IntentMatcher::Captures(int intent, int pattern) const {
  if (!intents_[static_cast<size_t>(intent)]
           .named[static_cast<size_t>(pattern)]) {
    return nullptr;
  }
  const RE2* re = Regex(intent, pattern);
  return re != nullptr && !re->NamedCapturingGroups().empty() ? re : nullptr;
}

int IntentMatcher::Specificity(std::string_view normalized,
                               const std::vector<PatternRef>& hits,
                               int intent) const {
  int most = 0;
  for (const PatternRef& ref : hits) {
    if (ref.intent != intent) continue;
    const Entry& entry = intents_[static_cast<size_t>(ref.intent)];
    Words& words = *entry.words[static_cast<size_t>(ref.pattern)];
    std::call_once(words.once, [&] {
      const std::string& pattern =
          Compiled(*entry.spec, static_cast<size_t>(ref.pattern));
      auto set = std::make_unique<RE2::Set>(SetOptions(), RE2::UNANCHORED);
      for (std::string_view alternative : TopLevelAlternatives(pattern)) {
        words.words.push_back(PatternWords(alternative));
        if (set->Add(alternative, nullptr) < 0) set.reset();
        if (set == nullptr) break;
      }
      if (words.words.size() > 1 && set != nullptr && set->Compile()) {
        words.alternatives = std::move(set);
      }
      if (words.alternatives == nullptr) {
        // One alternative, or they do not stand alone: the least of all.
        words.words = {PatternWords(pattern)};
      }
    });
    if (words.alternatives == nullptr) {
      most = std::max(most, words.words.front());
      continue;
    }
    std::vector<int> matched;
    words.alternatives->Match(normalized, &matched);
    for (int a : matched) most = std::max(most, words.words[a]);
  }
  return most;
}

int IntentMatcher::Specific(std::string_view normalized,
                            const std::vector<PatternRef>& hits, int best,
                            std::vector<IntentCandidate>* candidates) const {
  // The candidates tied with the winner: the same standing (expected or
  // not) and the same priority. Usually there is none.
  const IntentCandidate winner = (*candidates)[static_cast<size_t>(best)];
  const int priority =
      intents_[static_cast<size_t>(winner.intent)].spec->priority;
  std::vector<size_t> tied;
  for (size_t i = 0; i < candidates->size(); ++i) {
    const IntentCandidate& c = (*candidates)[i];
    if (!c.held && c.expected == winner.expected &&
        intents_[static_cast<size_t>(c.intent)].spec->priority == priority) {
      tied.push_back(i);
    }
  }
  if (tied.size() < 2) return best;
  // The most words wins; file order (the candidates' order) between
  // equals.
  int most = -1;
  for (size_t i : tied) {
    IntentCandidate& c = (*candidates)[i];
    c.words = Specificity(normalized, hits, c.intent);
    if (c.words > most) {
      most = c.words;
      best = static_cast<int>(i);
    }
  }
  return best;
}

std::optional<IntentMatcher::Span> IntentMatcher::MatchSpan(
    std::string_view normalized, const IntentCandidate& candidate) const {
  const RE2* re = Regex(candidate.intent, candidate.pattern);
  re2::StringPiece match;
  if (re == nullptr || !re->Match(normalized, 0, normalized.size(),
                                  RE2::UNANCHORED, &match, 1)) {
    return std::nullopt;
  }
  const size_t begin = static_cast<size_t>(match.data() - normalized.data());
  return Span{begin, begin + match.size()};
}

bool Elsewhere(std::string_view text, const std::pair<size_t, size_t>& question,
               const std::pair<size_t, size_t>& keyword) {
  if (keyword.first >= question.second) {
    // After the question: in a clause of its own ("...therapy if he lied").
    static constexpr std::string_view kConnectors[] = {
        "if",     "when",     "since", "because", "cause", "after",
        "though", "although", "while", "but",     "even"};
    const std::string_view between =
        text.substr(question.second, keyword.first - question.second);
    if (between.find_first_of(".!?") != std::string_view::npos) return true;
    size_t start = 0;
    while (start < between.size()) {
      while (start < between.size() &&
             !(between[start] >= 'a' && between[start] <= 'z')) {
        ++start;
      }
      size_t end = start;
      while (end < between.size() && between[end] >= 'a' &&
             between[end] <= 'z') {
        ++end;
      }
      const std::string_view word = between.substr(start, end - start);
      for (std::string_view connector : kConnectors) {
        if (word == connector) return true;
      }
      start = end;
    }
    return false;
  }
  // Before it: in a sentence of its own ("he lied again. is therapy
  // pointless?").
  if (keyword.second <= question.first) {
    return text.substr(keyword.second, question.first - keyword.second)
               .find_first_of(".!?") != std::string_view::npos;
  }
  return false;  // inside the question: it is what is asked about
}

int IntentMatcher::Asked(std::string_view normalized,
                         const std::vector<PatternRef>& hits, int best,
                         const MatchContext& context,
                         std::vector<IntentCandidate>* candidates) const {
  if (!context.question) return best;
  IntentCandidate& winner = (*candidates)[static_cast<size_t>(best)];
  const IntentSpec& won = *intents_[static_cast<size_t>(winner.intent)].spec;
  // Only a signal found by a keyword is overruled: never an expected
  // answer, an interruption, a closing, a social line or another question.
  if (winner.expected || won.interrupts ||
      (won.kind != "topic" && won.kind != "event" && won.kind != "feeling")) {
    return best;
  }
  if (winner.words < 0) {
    winner.words = Specificity(normalized, hits, winner.intent);
  }
  if (winner.words > kKeywordWords) return best;
  const std::optional<Span> keyword = MatchSpan(normalized, winner);
  if (!keyword) return best;
  int asked = best;
  for (size_t i = 0; i < candidates->size(); ++i) {
    IntentCandidate& c = (*candidates)[i];
    const IntentSpec& spec = *intents_[static_cast<size_t>(c.intent)].spec;
    if (c.held || c.expected || spec.kind != "question") continue;
    if (c.words < 0) c.words = Specificity(normalized, hits, c.intent);
    if (c.words < kAskedWords) continue;
    const std::optional<Span> question = MatchSpan(normalized, c);
    if (!question || !Elsewhere(normalized, *question, *keyword)) continue;
    if (asked == best) {
      asked = static_cast<int>(i);
      continue;
    }
    const IntentCandidate& a = (*candidates)[static_cast<size_t>(asked)];
    const int pa = intents_[static_cast<size_t>(a.intent)].spec->priority;
    if (spec.priority > pa || (spec.priority == pa && c.words > a.words)) {
      asked = static_cast<int>(i);
    }
  }
  return asked;
}

int IntentMatcher::Within(std::string_view normalized,
                          const std::vector<PatternRef>& hits, int best,
                          const MatchContext& context,
                          std::vector<IntentCandidate>* candidates) const {
  IntentCandidate& winner = (*candidates)[static_cast<size_t>(best)];
  const IntentSpec& won = *intents_[static_cast<size_t>(winner.intent)].spec;
  if (!winner.expected || won.interrupts ||
      (won.kind != "topic" && won.kind != "event" && won.kind != "feeling")) {
    return best;
  }
  auto phrase_kind = [](const IntentSpec& spec) {
    return spec.kind == "topic" || spec.kind == "event" ||
           spec.kind == "feeling" || spec.kind == "question";
  };
  std::optional<Span> keyword;
  int phrase = best;
  for (size_t i = 0; i < candidates->size(); ++i) {
    IntentCandidate& c = (*candidates)[i];
    const IntentSpec& spec = *intents_[static_cast<size_t>(c.intent)].spec;
    // Expected only as an answer to "how are you feeling?" is not named.
    const bool named =
        context.expected != nullptr && context.expected->count(spec.id) > 0;
    if (c.held || named || spec.about != "partner" ||
        spec.priority <= won.priority || !phrase_kind(spec)) {
      continue;
    }
    // The keyword's span only once some candidate could overrule it.
    if (!keyword) {
      if (winner.words < 0) {
        winner.words = Specificity(normalized, hits, winner.intent);
      }
      if (winner.words > kKeywordWords) return best;
      keyword = MatchSpan(normalized, winner);
      if (!keyword) return best;
    }
    if (c.words < 0) c.words = Specificity(normalized, hits, c.intent);
    if (c.words < kAskedWords) continue;
    const std::optional<Span> span = MatchSpan(normalized, c);
    if (!span || keyword->first < span->first ||
        keyword->second > span->second) {
      continue;
    }
    if (phrase != best) {
      const IntentCandidate& p = (*candidates)[static_cast<size_t>(phrase)];
      const int pp = intents_[static_cast<size_t>(p.intent)].spec->priority;
      if (spec.priority < pp || (spec.priority == pp && c.words <= p.words)) {
        continue;
      }
    }
    phrase = static_cast<int>(i);
  }
  return phrase;
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
