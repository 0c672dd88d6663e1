#include "engine/guess.h"

#include <algorithm>

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
    "myself", "kms", "unalive"};

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

constexpr std::string_view kLeadIns[] = {"and ",      "but ",    "so ", "now ",
                                         "honestly ", "just ",   "ok ", "okay ",
                                         "well ",     "because "};

}  // namespace

std::string EchoFeeling(std::string_view normalized,
                        const Reflections& reflections) {
  // Clauses end at sentence punctuation, commas and "but".
  size_t start = 0;
  while (start < normalized.size()) {
    size_t end = normalized.find_first_of(".,!?;", start);
    if (end == std::string_view::npos) end = normalized.size();
    std::string_view clause = normalized.substr(start, end - start);
    if (const size_t but = clause.find(" but ");
        but != std::string_view::npos) {
      clause = clause.substr(0, but);
    }
    while (!clause.empty() && clause.front() == ' ') clause.remove_prefix(1);
    for (bool again = true; again;) {
      again = false;
      for (std::string_view lead : kLeadIns) {
        if (clause.substr(0, lead.size()) == lead) {
          clause.remove_prefix(lead.size());
          again = true;
        }
      }
    }
    for (std::string_view opening : kFeelingStarts) {
      if (clause.substr(0, opening.size()) == opening) {
        std::string said = Echo(clause, reflections);
        if (!said.empty()) return said;
        break;
      }
    }
    start = end + 1;
  }
  return "";
}

}  // namespace trustcoach
