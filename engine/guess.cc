#include "engine/guess.h"

#include <algorithm>
#include <iterator>

#include "engine/clause.h"
#include "engine/intent_matcher.h"

namespace trustcoach {
namespace {

constexpr int kMaxEchoWords = 8;

// Words never said back: insults, self-blame, harm, and words that read
// as the coach agreeing with an accusation.
constexpr std::string_view kNoEcho[] = {
    "stupid", "idiot", "dumb", "pathetic", "worthless", "useless", "ugly",
    "fat", "hate", "fault", "blame", "deserve", "deserved", "crazy", "psycho",
    "insane", "liar", "cheater", "loser", "failure", "disgusting", "terrible",
    "awful", "evil", "kill", "die", "dead", "suicide", "hurt", "hit", "fuck",
    "fucking", "shit", "bitch", "slut", "whore", "bastard", "cunt", "weak",
    "selfish", "monster", "abuse", "rape", "sex", "nudes", "you", "your", "bot",
    // Nothing that could be a wish to be gone is said back.
    "disappear", "exist", "alive", "living", "end", "ending", "pills", "cut",
    "cutting", "overdose", "jump", "harm", "hopeless", "pointless", "gone",
    "myself", "kms", "unalive",
    // Labels people put on themselves.
    "disgrace", "fraud", "fake", "fool", "hypocrite", "burden", "joke",
    "embarrassment", "mess", "problem", "mistake",
    // How people see themselves after the hurt, and what they fear they
    // are: never agreed with by saying it back ("so you're not enough").
    "boring", "old", "enough", "pretty", "attractive", "unattractive",
    "interesting", "replaceable", "replaced", "unlovable", "unwanted",
    "invisible", "gross", "hideous", "inadequate", "inferior", "dramatic",
    "overreacting", "needy", "clingy", "paranoid", "judge", "wrong", "plain",
    "basic", "younger", "prettier", "better", "exciting", "sexy", "special",
    "desirable", "thin", "skinny", "looks"};

// Said back, a sentence must start with its subject: "we barely talk now",
// not a fragment such as "toll on my health".
constexpr std::string_view kSubjects[] = {
    "i",         "we",         "my",     "our",    "he",    "she",
    "they",      "it",         "his",    "her",    "their", "everyone",
    "everybody", "everything", "nobody", "things", "part",  "money"};

bool Sayable(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || c == ' ' || c == '\'';
  });
}

// The normalizer expands contractions; said back, they read better joined.
std::string Contract(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kJoin[] = {
      {"do not ", "don't "},      {"does not ", "doesn't "},
      {"did not ", "didn't "},    {"can not ", "can't "},
      {"cannot ", "can't "},      {"is not ", "isn't "},
      {"are not ", "aren't "},    {"will not ", "won't "},
      {"was not ", "wasn't "},    {"have not ", "haven't "},
      {"were not ", "weren't "},  {"could not ", "couldn't "},
      {"would not ", "wouldn't "}};
  for (const auto& [from, to] : kJoin) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      if (at > 0 && text[at - 1] != ' ') continue;
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

}  // namespace

GuessScorer::GuessScorer() {
  RE2::Options options;
  options.set_log_errors(false);
  set_ = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
}

GuessScorer::~GuessScorer() = default;

void GuessScorer::Add(const std::string& id, const std::string& expanded) {
  if (std::find(ids_.begin(), ids_.end(), id) != ids_.end()) return;
  if (set_->Add("\\b" + expanded + "\\b", nullptr) >= 0) ids_.push_back(id);
}

bool GuessScorer::Compile() { return set_->Compile(); }

std::vector<ScoredGuess> GuessScorer::Rank(
    const std::vector<GuessSpec>& guesses, std::string_view normalized) const {
  std::vector<ScoredGuess> ranked;
  std::vector<int> hits;
  if (ids_.empty() || !set_->Match(normalized, &hits)) return ranked;
  for (const GuessSpec& guess : guesses) {
    int score = 0;
    for (int hit : hits) {
      score += static_cast<int>(
          std::count(guess.concepts.begin(), guess.concepts.end(), ids_[hit]));
    }
    if (score > 0) ranked.push_back({&guess, score});
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const ScoredGuess& a, const ScoredGuess& b) {
                     return a.score > b.score;
                   });
  return ranked;
}

std::string Echo(std::string_view normalized, const Reflections& reflections) {
  std::string_view text = normalized;
  while (!text.empty() &&
         (text.back() == '.' || text.back() == '!' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  if (text.empty() || !Sayable(text) || LooksLikeQuestion(text) ||
      CountWords(text, kMaxEchoWords) > kMaxEchoWords ||
      CountWords(text, kMaxEchoWords) < 3) {
    return "";
  }
  const std::string_view first = text.substr(0, text.find(' '));
  if (std::find(std::begin(kSubjects), std::end(kSubjects), first) ==
      std::end(kSubjects)) {
    return "";
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(start, end - start);
    if (std::find(std::begin(kNoEcho), std::end(kNoEcho), word) !=
        std::end(kNoEcho)) {
      return "";
    }
    start = end + 1;
  }
  // A space at the end lets the last words contract too.
  std::string said = Contract(Reflect(text, reflections) + " ");
  said.pop_back();
  return said;
}

}  // namespace trustcoach

namespace trustcoach {
namespace {

// How a clause about the person's own feeling starts, after "i": "i feel
// so alone", "i am scared", "i keep thinking about it".
constexpr std::string_view kFeelingStarts[] = {
    "i feel ",        "i felt ",    "i am ",    "i was ",   "i have been ",
    "i keep ",        "i can not ", "i still ", "i just ",  "i miss ",
    "i do not know ", "i really ",  "i never ", "i cannot "};

// A label the person puts on themselves is not a feeling to say back: "i
// am a disgrace" -> "So you are a disgrace" reads as the coach agreeing.
constexpr std::string_view kLabelStarts[] = {
    "i am a ",        "i am an ",        "i am such ",        "i am the ",
    "i was a ",       "i was an ",       "i was such ",       "i was the ",
    "i feel like a ", "i feel like an ", "i feel like such ", "i felt like a ",
    "i felt like an "};

// How a clause in which the person says how they feel starts: a narrower
// list than kFeelingStarts ("i keep", "i can not" start plans and facts as
// often as feelings).
constexpr std::string_view kOwnFeelingStarts[] = {
    "i feel ",        "i felt ",       "i am ",
    "i was ",         "i have been ",  "i get so ",
    "i got so ",      "i still feel ", "i just feel ",
    "i really feel ", "i keep crying", "i can not stop crying",
    "i cry",          "i am so ",      "i have never felt "};

// "i am going to...", "i was at work": what the person does, not feels.
constexpr std::string_view kNotFeelingStarts[] = {
    "i am going ",   "i was going ",  "i am trying ",   "i was trying ",
    "i am at ",      "i was at ",     "i am not sure ", "i was told ",
    "i am the one ", "i was the one "};

// Whether the person speaks for themselves at `at` in `clause`: at its
// start or after a joiner ("and", "so", "honestly"...: kClauseJoiners),
// never in reported speech ("he says i am paranoid").
bool SpeaksForSelf(std::string_view clause, size_t at) {
  const std::string_view before = clause.substr(0, at);
  if (before.find_first_not_of(' ') == std::string_view::npos) return true;
  if (before.back() != ' ') return false;
  const std::string_view rest = before.substr(0, before.size() - 1);
  return std::any_of(std::begin(kClauseJoiners), std::end(kClauseJoiners),
                     [&](std::string_view joiner) {
                       return rest.size() >= joiner.size() &&
                              rest.substr(rest.size() - joiner.size()) ==
                                  joiner;
                     });
}

// Whether `clause` has, where the person speaks for themselves, a start
// of kOwnFeelingStarts.
bool OwnFeelingClause(std::string_view clause) {
  if (clause.find("makes me ") != std::string_view::npos ||
      clause.find("made me ") != std::string_view::npos) {
    return true;
  }
  for (size_t at = 0; at < clause.size(); ++at) {
    if (at > 0 && clause[at - 1] != ' ') continue;
    if (!SpeaksForSelf(clause, at)) continue;
    const std::string_view rest = clause.substr(at);
    const auto starts = [&](std::string_view o) {
      return rest.substr(0, o.size()) == o;
    };
    if (std::any_of(std::begin(kOwnFeelingStarts), std::end(kOwnFeelingStarts),
                    starts) &&
        std::none_of(std::begin(kNotFeelingStarts), std::end(kNotFeelingStarts),
                     starts)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool StatesOwnFeeling(std::string_view normalized) {
  size_t start = 0;
  while (start < normalized.size()) {
    size_t end = normalized.find_first_of(".,!?;", start);
    if (end == std::string_view::npos) end = normalized.size();
    const std::string_view clause = normalized.substr(start, end - start);
    const bool question = (end < normalized.size() && normalized[end] == '?') ||
                          LooksLikeQuestion(clause);
    if (!question && OwnFeelingClause(clause)) return true;
    start = end + 1;
  }
  return false;
}

std::string EchoFeeling(std::string_view normalized,
                        const Reflections& reflections) {
  // Clauses end at sentence punctuation, commas and "but"; in each, the
  // first place the person starts saying how they feel, to the clause's
  // end: "he is a liar and i feel used" -> "i feel used".
  size_t start = 0;
  while (start < normalized.size()) {
    size_t end = normalized.find_first_of(".,!?;", start);
    if (end == std::string_view::npos) end = normalized.size();
    size_t next = end + 1;
    if (const size_t but = normalized.substr(start, end - start).find(" but ");
        but != std::string_view::npos) {
      end = start + but;
      next = end + 5;
    }
    const std::string_view clause = normalized.substr(start, end - start);
    start = next;
    // A question is not said back: "how do i feel better?"
    if ((end < normalized.size() && normalized[end] == '?') ||
        LooksLikeQuestion(clause)) {
      continue;
    }
    for (size_t at = 0; at < clause.size(); ++at) {
      if (at > 0 && clause[at - 1] != ' ') continue;
      // Only where the person speaks for themselves: at the clause's start
      // or after "and", "so", "honestly"... never in reported speech ("he
      // says i am paranoid").
      if (!SpeaksForSelf(clause, at)) continue;
      const std::string_view rest = clause.substr(at);
      const bool opens = std::any_of(
          std::begin(kFeelingStarts), std::end(kFeelingStarts),
          [&](std::string_view o) { return rest.substr(0, o.size()) == o; });
      if (!opens) continue;
      if (std::any_of(std::begin(kLabelStarts), std::end(kLabelStarts),
                      [&](std::string_view l) {
                        return rest.substr(0, l.size()) == l;
                      })) {
        break;
      }
      std::string said = Echo(rest, reflections);
      if (!said.empty()) return said;
      break;
    }
  }
  return "";
}

}  // namespace trustcoach
