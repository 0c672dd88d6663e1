#pragma once

#include <map>
#include <string>
#include <vector>

namespace trustcoach {

// The dialog files as data, after JSON parsing and validation. Immutable once
// loaded. See docs/dialog-format.md for the file format.

// A line that should (or should not) reach an intent, checked by lint.
struct IntentExample {
  std::string text;
  std::string at;  // "flow.node" the line is said at; "" = the first message
};

struct IntentSpec {
  std::string id;
  std::string topic;  // e.g. "infidelity"; "" for utility intents
  std::vector<std::string> patterns;  // RE2 syntax, over normalized text
  // `patterns` with their concepts (`~id`) expanded, as compiled; filled at
  // load (empty: `patterns` are compiled as written).
  std::vector<std::string> compiled;
  std::vector<std::string> concepts;  // the concepts `patterns` name
  int priority = 0;                   // higher wins
  // Where the intent may match: empty means everywhere ("global");
  // "local" means only at nodes that name it in `on`; otherwise a list of
  // "flow" or "flow.node" scopes.
  std::vector<std::string> scope;
  bool local = false;
  std::string start;  // "flow" or "flow.node" to start, if any
  // May take over a node that captures free text (`capture`) although the
  // node does not name it in `on`: for intents about the conversation itself
  // (thanks, goodbye, start over, menu, "are you a bot"), not for topics.
  bool interrupts = false;
  // Answers what the safety screen flagged better than its generic node
  // ("it's not abuse, he never hit me", "he's my husband so it's not really
  // rape"): when it matches a message the screen answers with a crisis or a
  // check-in, its `start` is entered instead of the safety node of the kind,
  // with the verdict, the risk state and the resources kept.
  bool safety_answer = false;
  // A dismissal or a change of subject ("i'm fine i promise", "i won't do
  // anything", "can we go on"): in a risk state it never answers the state's
  // own check-in, which is asked anyway (engine.cc, Screen()).
  bool dismisses = false;
  // What kind of signal the message carries: "topic", "feeling", "event",
  // "question", "closing" or "social"; "" when not said. A "question" or
  // "closing" breaks out of a free-text question as `interrupts` does.
  std::string kind;
  // A backoff for text nothing more specific understands ("he said...",
  // "we ..."): where a guess (engine.json `guesses`) leads on the concepts
  // in the text, the guess is taken instead.
  bool backoff = false;
  // An exercise's free-text answer (an "I" statement, a promise, a time):
  // a message that opens as a question never matches it, so that "what if
  // she laughs at me?" is answered rather than taken as the attempt.
  bool statement = false;
  // Whom the signal is about: "self" (the person), "partner", "past" (an
  // earlier relationship: the events in the same message are not this
  // one's, so they leave no facts), or "".
  std::string about;
  std::map<std::string, std::string> set;  // slots set when it matches
  // Facts this signal gives whenever it matches, winner or not, held or
  // not ("event": "an affair", "feeling": "anger"): kept in Session::facts.
  std::map<std::string, std::string> facts;
  // One short clause said when this intent is a second signal of a message
  // another intent answers ("And it makes sense that you feel angry."):
  // variants, put before the reply's question.
  std::vector<std::string> aside;
  std::vector<IntentExample> examples;      // must reach this intent
  std::vector<IntentExample> not_examples;  // must not
  std::string file;                         // source, for messages
  std::string pointer;                      // JSON pointer in `file`
};

struct Branch {
  std::string if_slot;  // "" = always
  // A fact (Session::facts) instead of a slot: the branch holds when the
  // person has told it ("skip when known"). "@returning": the person wrote
  // before this message.
  std::string known;
  std::string equals;  // "" = slot is set and non-empty
  std::string to;
};

struct NodeSpec {
  std::string id;                // local to its flow
  std::vector<std::string> say;  // variants, templates
  // Said instead of `say` when the node is entered again in the same
  // conversation (a return after a detour, a hub visited twice): shorter
  // lines that do not replay the first visit word for word.
  std::vector<std::string> again;
  std::vector<std::string> quick_replies;
  std::map<std::string, std::string> on;  // intent id -> target
  std::string else_to;  // any other input goes here (free text)
  std::string capture;  // slot that stores the person's text
  // What a valid answer to a free-text question looks like (RE2 patterns,
  // concepts expanded at load); empty: any text answers it. Text that
  // matches none of them is routed as usual, as at a node without
  // `capture`, and is captured only when nothing else understands it.
  std::vector<std::string> answer;
  // A clarifying question ("is this about trust, something that happened,
  // or how things are?"): a message any intent in scope understands is not
  // its answer but goes where that intent leads, in place of the question
  // (nothing to come back to); only what nothing understands is captured.
  bool capture_unmatched = false;
  // A clarifying question that sorts the situation ("which is closer:
  // something happened, or no single event?"). Left behind by a detour, it
  // is not asked again on the way back (the person has moved on); nodes
  // that ask it branch away once the situation is known (`@topic`).
  bool clarify = false;
  std::vector<Branch> branch;         // evaluated on entry, before `say`
  std::string next;                   // after saying, continue to this node
  std::vector<std::string> reprompt;  // fallback variants
  std::map<std::string, std::string> set;  // slots set on entry
  bool couples = false;  // couples/joint work: skipped after abuse
  // The node offers something and waits for "yes" ("Shall we go through
  // the four parts?"): made at most twice in a few turns. Asked for again
  // after it was made, it is taken as yes; on the way back from a second
  // detour it is not made again (engine/flow.cc).
  bool offer = false;
  // Advice that assumes an adult relationship (anger, jealousy, repair):
  // once the person said they are under 18, EngineConfig::minor_redirect
  // is entered instead. A flow can say so for all its nodes.
  bool not_for_minors = false;
  bool therapy = false;    // this node points to professional help
  bool resources = false;  // attach safety resources to the reply
  // The node's text tells where the helplines are ("the lines below are
  // there any time"): a goodbye or thanks after a disclosure that says it
  // in full adds no closing line of its own (engine.json closing_*).
  bool points_to_lines = false;
};

struct FlowSpec {
  std::string id;
  std::string topic;
  // One line on what the flow was about, for "@resume" ("we were talking
  // about what happened with the money"); "" for flows not to resume.
  std::string recap;
  std::string start;            // node id
  bool not_for_minors = false;  // every node is (NodeSpec::not_for_minors)
  // Work on the relationship itself: repair, the affair, talking together.
  // While a risk state of abuse, danger, sexual violence or child safety
  // lasts, entering one of its nodes goes to EngineConfig::risk_redirect.
  bool repair_work = false;
  std::vector<NodeSpec> nodes;
  std::string file;
  std::string pointer;  // JSON pointer in `file`
};

// A coaching topic: a flow with a recap (what the person came to talk
// about), not the opening, the menu, a utility or the safety flow. The one
// definition behind "moves on to another topic" (Engine::MovesOn), "the
// detour was a topic of its own" (FlowRunner::Return) and `@topic`
// (FlowRunner::KnowsTopic).
inline bool IsCoachingTopic(const FlowSpec* flow) {
  return flow != nullptr && !flow->recap.empty();
}

// A best guess for a message nothing understood (engine.json `guesses`):
// the topic whose concepts occur most in the text.
struct GuessSpec {
  std::string label;   // quick reply offering it; must reach `intent`
  std::string about;   // "{about}" in the `guess` line: "money kept hidden"
  std::string intent;  // started when the guess is taken
  std::vector<std::string> concepts;  // concept ids, each counts one
  // Offered on a miss when the text and the conversation suggest fewer
  // than three guesses, in file order.
  bool fallback = false;
};

// dialogs/engine.json.
struct EngineConfig {
  std::string version;            // the dialog set's own version, for operators
  std::string start = "welcome";  // flow every conversation opens with
  std::string menu = "menu";      // flow after two misses, and "@menu"
  std::string safety_flow = "safety";
  std::string abuse_redirect;  // "flow.node" for couples nodes after abuse
  // "flow.node" for nodes not_for_minors once the person said they are
  // under 18 (docs/safety.md, "The minors' lens"); "": no such gate.
  std::string minor_redirect;
  // "flow.node" for a flow's node marked `repair_work` while a risk state
  // of harm by someone close lasts (docs/safety.md); "": no such gate.
  std::string risk_redirect;
  // "flow.node" for a statement nothing understands once the conversation
  // is on a topic (said back in context, not "say it another way"); "":
  // the plain fallback.
  std::string heard;
  int reminder_every = 20;  // turns between disclosure reminders; 0: never
  std::vector<std::string> truncated;  // said when the input was cut
  std::vector<std::string> returning;  // said when an interrupted flow resumes
  // Said instead of `returning` when the resumed flow has a `recap`;
  // `{recap}` is that line.
  std::vector<std::string> return_recap;
  std::vector<std::string> fallback;  // reprompt when a node has none
  // Said on a second miss in a row, or where the conversation already had
  // a `fallback` line: a warmer line before the best guesses or the menu.
  // The fallback's "say it another way" is never asked twice.
  std::vector<std::string> fallback_again;
  // "@continue": said after a short aside (thanks mid-flow) instead of
  // replaying the interrupted node, after the flow's `recap` if it has one.
  // "@stay": a short acknowledgement ("yeah", "that makes sense") where the
  // current node offers a way on; said with that node's quick replies, the
  // conversation staying where it is.
  std::vector<std::string> stay;
  // Said before resuming a topic ("@resume"); `{recap}` is the flow's
  // `recap` line. `resume_none`: said when there is nothing to resume.
  std::vector<std::string> resume;
  std::vector<std::string> resume_none;
  std::vector<std::string> reminder;  // "I am an automated coach..."
  // Added to a goodbye or thanks after a crisis answer, or once the person
  // said they are under 18: the lines below are there any time, named by
  // kind (docs/safety.md, "Closings keep the thread").
  std::vector<std::string> closing_crisis;   // suicide, self-harm, violence
  std::vector<std::string> closing_abuse;    // abuse, danger now
  std::vector<std::string> closing_support;  // sexual violence
  std::vector<std::string> closing_youth;    // a minor, child safety
  // Fallbacks that help: one guess ahead of the others is taken with a
  // `guess` line ({about}, {echo}); otherwise the likeliest are offered as
  // quick replies after a `choices` line ({echo}). `echo`: the person's
  // words said back ({said}), where they are safe to echo.
  std::vector<GuessSpec> guesses;
  std::vector<std::string> guess;
  std::vector<std::string> choices;
  std::vector<std::string> echo;
};

// Targets a node may name besides nodes and flows.
inline constexpr char kTargetReturn[] = "@return";
inline constexpr char kTargetMenu[] = "@menu";
inline constexpr char kTargetEnd[] = "@end";
// Ends the current flow and goes back to the interrupted one without
// entering it again or announcing it: the interrupted node's quick replies
// come with the reply, and its question still stands.
inline constexpr char kTargetContinue[] = "@continue";
// An intent's `start`: back to the last topic the conversation was on, with
// a one-line recap ("I'm back", "where were we").
inline constexpr char kTargetResume[] = "@resume";
// As "@resume", asked for mid-conversation ("back to my boyfriend", "can I
// ask about her again"): the `return_recap` line, not "welcome back".
inline constexpr char kTargetBack[] = "@back";
// An intent's `start`: an acknowledgement that carries the current flow on
// (the engine's `stay` line, the node's quick replies, its `on` still
// reading the next message). Where the node offers no way on (no quick
// replies, no `on`; the opening, the safety flow), the next candidate of
// the message is taken instead.
inline constexpr char kTargetStay[] = "@stay";

struct DialogSpec {
  std::vector<IntentSpec> intents;
  std::vector<FlowSpec> flows;
};

}  // namespace trustcoach
