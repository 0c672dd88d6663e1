#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
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
  // The node captures free text (`capture`) and the text looks like an
  // answer: an intent it does not expect is held back, so that the text is
  // captured, unless it `interrupts`, is a closing, or is a question while
  // the text reads as one.
  bool captures_text = false;
  // The node is a free-text question about feelings (it names a feeling in
  // its `on`): every feeling of the person's (kind "feeling", not about the
  // partner) answers it as if named there ("im boring and fat" to "How are
  // you feeling?"), not only the feelings it lists.
  bool feelings_answer = false;
  // The text reads as a question (LooksLikeQuestion()): an intent of kind
  // "question" breaks out of a free-text question only then ("would
  // therapy help?", not "i have been seeing a counsellor").
  bool question = false;
  // The text opens as a question (OpensAsQuestion()): an intent marked
  // `statement` (an exercise's free-text answer) does not match it.
  bool opens_question = false;
  // The text opens with a question frame (OpensWithQuestionFrame(): "is
  // one lie", "how do people", not "when i", "what happened"): a topic or
  // event it names breaks out of a free-text question, as a question does
  // (a question intent still comes first), and a question intent beats an
  // expected catch-all however few words its pattern needs.
  bool asks = false;
  // The text is short (at most kBriefWords words): an `interrupts` intent or
  // a closing then beats an expected catch-all (an expected intent of
  // negative priority), so "thanks", "bye" or "where were we" are not taken
  // as the promise or the "I" statement a node asked for.
  bool brief = false;
  // The conversation is in a risk state (engine/risk.h): intents scoped
  // "@risk" are in scope anywhere ("my brother could hold onto it").
  bool risk = false;
};

inline constexpr int kBriefWords = 5;

// The least priority of an `event` that answers a question about feelings
// (MatchContext::feelings_answer): the feelings' own range starts here, and
// below it are facts that only fill in ("we see a counsellor").
inline constexpr int kFeelingEventPriority = 5;

// Whether `intent` answers a free-text question about feelings as the
// feelings it names do: a feeling of the person's, or an event.
bool AnswersFeelings(const IntentSpec& intent);

// A topic matched by at most this many words is a bare keyword, which a
// question asked as one (a pattern of at least kAskedWords words) outranks
// (IntentMatcher::Asked()).
inline constexpr int kKeywordWords = 1;
inline constexpr int kAskedWords = 3;

// The scope of an intent heard anywhere, but only while the risk state
// lasts (MatchContext::risk): follow-ups to a crisis answer.
inline constexpr std::string_view kRiskScope = "@risk";

// The number of words (runs of letters or digits) in `text`, up to `limit`.
int CountWords(std::string_view text, int limit);

// The least number of words an RE2 pattern needs the text to have: literal
// words and required groups count, optional parts (?, *, {0,n}), gaps
// ("[^.?!]*") and suffixes ("cheat(ed|ing)") do not; an alternation counts
// its least. "\\bmy (husband|wife) cheated\\b" needs 3, "\\bcheat" 1.
int PatternWords(std::string_view pattern);

// The top-level alternatives of a pattern ("a|b(c|d)" -> "a", "b(c|d)").
std::vector<std::string_view> TopLevelAlternatives(std::string_view pattern);

// Whether `keyword` (a [begin, end) span of `text`) lies outside `question`:
// after it with a connector ("if", "when", "because", "but"...) or a
// sentence end between them, or before it with a sentence end between.
bool Elsewhere(std::string_view text, const std::pair<size_t, size_t>& question,
               const std::pair<size_t, size_t>& keyword);

// Whether normalized `text` reads as a question: it has a '?' or its first
// word, or the first word after a '.', ',', ';' or '!', is one that opens a
// question ("how", "would", "is", ...). No regex.
bool LooksLikeQuestion(std::string_view text);

// Whether normalized `text` opens as a question: its first word, after
// fillers ("so", "ok", "and"...), is one that opens a question ("how",
// "what", "is", "should"...). "sunday morning?" does not; "what if he
// laughs" does.
bool OpensAsQuestion(std::string_view text);

// Whether `text` opens (after "so", "ok", "and"...) with a question frame:
// an auxiliary or modal verb ("is one lie a dealbreaker", "do people stay
// together", "should i forgive"), or a question word followed by one or by
// "if", "long", "much" ("how do people get over this", "what if", "how
// long"). Unlike OpensAsQuestion(), "when i found out", "what happened was"
// and "how i feel" are no frames.
bool OpensWithQuestionFrame(std::string_view text);

// Whether `text` may name the partner as a subject ("he ", "they ", "my "):
// a cheap test before PartnerClause().
bool MaybePartnerClause(std::string_view text);

// Whether the clause around `at` in `text` has the partner as its subject
// ("he just shut down", "and then my wife went cold") with nothing of the
// person's own ("i", "me", "my") before `at`. The subject is "he", "she",
// "they", or "my" and a partner word that `partner_words` matches where it
// starts (ANCHOR_START); with `partner_words` null, only the pronouns.
bool PartnerClause(std::string_view text, size_t at, const RE2* partner_words);

// Whether `text` may negate or suppose something ("never", "what if"): a
// cheap test before NegatedCheat().
bool MaybeNegated(std::string_view text);

// Whether the cheating word at either end of `span` in `text` is negated or
// supposed: "i have never cheated", "he has never been unfaithful", "what if
// she cheats". A match on it describes no event.
bool NegatedCheat(std::string_view text, std::pair<size_t, size_t> span);

// Whether `text` has a cheating word said of someone other than the partner
// ("my ex cheated"): a word scan, the cheap test before ThirdPartyCheat().
bool MaybeThirdParty(std::string_view text);

// Whether the cheating word at either end of `span` in `text` is said of
// someone other than the partner: "my ex cheated on me", "my dad cheated on
// my mom". A match on it describes no event between the two of them.
bool ThirdPartyCheat(std::string_view text, std::pair<size_t, size_t> span);

struct IntentCandidate {
  int intent = -1;   // index into the spec's intents
  int pattern = -1;  // index into that intent's patterns
  bool expected = false;
  bool held = false;  // matched, but held back by `captures_text`
  // The words its most specific matching pattern needs (PatternWords() of
  // the top-level alternatives that match); counted only where it breaks a
  // tie of priority (-1: not counted).
  int words = -1;
};

struct IntentMatch {
  int intent = -1;  // -1: nothing matched in scope
  int pattern = -1;
  std::map<std::string, std::string> captures;  // named groups that matched
  // Every in-scope match, held ones included (they never win).
  std::vector<IntentCandidate> candidates;
};

// Every pattern of every intent, compiled once into RE2::Sets: one of the
// intents that may match anywhere, one of the local intents (those that
// only match where a node expects them), and, after Prepare(), one per node
// of the local intents that node expects. A match costs one or two Set
// matches plus, for the winner only, one RE2 match for its named captures.
// Immutable after Create() and Prepare(); Match() is safe from any thread.
class IntentMatcher {
 public:
  // Fails with InvalidArgument naming the intent, its file and pattern, and
  // RE2's message, when a pattern does not compile. `partner_words` is an
  // RE2 alternation of the words for the partner (the dialogs' `~partner`
  // concept, expanded): after "my", they make a clause the partner's
  // (PartnerClause()). Empty: only "he", "she" and "they" do.
  static Status Create(const std::vector<IntentSpec>& intents,
                       std::string_view partner_words,
                       std::unique_ptr<IntentMatcher>* out);
  // Without partner words.
  static Status Create(const std::vector<IntentSpec>& intents,
                       std::unique_ptr<IntentMatcher>* out);

  IntentMatcher(const IntentMatcher&) = delete;
  IntentMatcher& operator=(const IntentMatcher&) = delete;
  ~IntentMatcher();

  // Gives the local intents `expected` (a node's `on`) names a set of their
  // own, which Match() uses when `context.expected` is this very map, which
  // must outlive the matcher. The set is compiled the first time Match()
  // needs it: the shipped dialogs have about fifty, and compiling them all
  // here added a fifth to the load time (their patterns are already checked
  // by Create()).
  // Local intents match free text ("^(?P<reason>.{1,240})"): in one set
  // with all of them, every byte of every message matched a dozen patterns,
  // and that cost more than the rest of the match. Optional: without it,
  // Match() uses the set of every local pattern, with the same result. Not
  // thread-safe: call it before sharing the matcher.
  Status Prepare(const std::map<std::string, std::string>& expected);

  // The winner among the in-scope intents that match: an expected one first,
  // then the higher priority, then the more specific (the more words its
  // matching pattern needs: "i think it is my fault" over "my fault"), and
  // only then the earlier in file order. Words are counted only for the
  // candidates tied at the top. Where `context.captures_text`, only
  // expected and interrupting intents can win.
  IntentMatch Match(std::string_view normalized,
                    const MatchContext& context) const;

  // Ids of the intents whose patterns match `normalized`, ignoring scope.
  std::vector<std::string> MatchAll(std::string_view normalized) const;

 private:
  struct PatternRef {
    int intent;
    int pattern;
    // Intent order, then pattern order: the order of the patterns in the
    // dialog files.
    bool operator<(const PatternRef& other) const {
      return intent != other.intent ? intent < other.intent
                                    : pattern < other.pattern;
    }
  };
  // A pattern's own RE2, for its named captures, compiled on first use.
  struct LazyRegex {
    std::once_flag once;
    std::unique_ptr<RE2> re;  // null if it does not compile after all
  };
  // The words each top-level alternative of a pattern needs, and a set of
  // the alternatives to tell which match (null with one alternative).
  struct Words {
    std::once_flag once;
    std::vector<int> words;
    std::unique_ptr<RE2::Set> alternatives;
  };
  struct Entry {
    const IntentSpec* spec;
    // One per pattern.
    std::vector<std::unique_ptr<LazyRegex>> regexes;
    // Per pattern: whether it has a named group ("(?P<").
    std::vector<bool> named;
    // Per pattern: its words, counted on first use.
    std::vector<std::unique_ptr<Words>> words;
  };
  // One RE2::Set and the pattern behind each of its indices.
  class PatternSet;
  // A PatternSet of some local intents, built on first use.
  class LazySet;

  IntentMatcher();
  // The RE2 of pattern `pattern` of intent `intent`, for its named
  // captures: null where it has none. Compiled on first use, once.
  const RE2* Captures(int intent, int pattern) const;
  // The RE2 of a pattern, compiled on first use, once; null if it fails.
  const RE2* Regex(int intent, int pattern) const;
  // The most words among `intent`'s patterns in `hits`: PatternWords() of
  // each top-level alternative that matches `normalized`.
  int Specificity(std::string_view normalized,
                  const std::vector<PatternRef>& hits, int intent) const;
  // Among the candidates tied with `best` (an index into `candidates`) on
  // standing and priority, the index of the most specific one; sets the
  // tied candidates' words.
  int Specific(std::string_view normalized, const std::vector<PatternRef>& hits,
               int best, std::vector<IntentCandidate>* candidates) const;
  // Where the text reads as a question (`context.question`) and `best` is
  // a topic, event or feeling found by a bare keyword (at most
  // kKeywordWords words), a candidate of kind "question" whose pattern
  // needs at least kAskedWords words wins instead, whatever the
  // priorities, provided the keyword lies outside the question's own match:
  // in a clause after it that a connector opens ("what's the point of
  // therapy if he lied?": if, when, because, but...) or in another
  // sentence. A keyword inside the question is what is asked about ("should
  // i tell my parents that i am bisexual"). The highest priority among such
  // questions, then the most words. Expected intents, interruptions, closings
  // and social lines are never overruled; the safety screen comes before any of
  // this.
  using Span = std::pair<size_t, size_t>;  // [begin, end) in the text
  // Where the candidate's pattern matches the text; nullopt if it does not.
  std::optional<Span> MatchSpan(std::string_view normalized,
                                const IntentCandidate& candidate) const;
  int Asked(std::string_view normalized, const std::vector<PatternRef>& hits,
            int best, const MatchContext& context,
            std::vector<IntentCandidate>* candidates) const;
  // Where `best` is an expected topic, event or feeling found by a bare
  // keyword (at most kKeywordWords words), a candidate about the partner
  // that the node does not name wins instead when it has a higher priority,
  // needs at least kAskedWords words and its own match holds the keyword:
  // the keyword is part of what the partner says or does. "he says i am being
  // paranoid" at "How are you feeling?" is the partner's label for a
  // worry, not the person's anxiety. The highest priority among such
  // phrases, then the most words.
  int Within(std::string_view normalized, const std::vector<PatternRef>& hits,
             int best, const MatchContext& context,
             std::vector<IntentCandidate>* candidates) const;
  bool InScope(const IntentSpec& spec, const MatchContext& context,
               bool expected) const;
  // The patterns that match `normalized` among those Match() needs for
  // `context` (all of them when `context` is null), in file order.
  std::vector<PatternRef> Hits(std::string_view normalized,
                               const MatchContext* context) const;

  std::vector<Entry> intents_;
  // The partner words after "my" (Create()'s `partner_words`); null if none.
  std::unique_ptr<RE2> partner_words_;
  std::unique_ptr<PatternSet> anywhere_;  // intents that are not local
  std::unique_ptr<PatternSet> local_;     // every local intent, compiled lazily
  // Sets of the local intents of Prepare()'s maps, by their intents.
  std::map<std::vector<int>, std::unique_ptr<LazySet>> prepared_;
  // By the `expected` map given to Prepare(); null if it has no local
  // intent.
  std::unordered_map<const void*, const LazySet*> expected_;
};

}  // namespace trustcoach
