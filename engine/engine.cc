#include "engine/engine.h"

#include <algorithm>

#include "engine/dialog_loader.h"
#include "engine/flow.h"
#include "engine/guess.h"
#include "engine/normalizer.h"
#include "engine/risk.h"
#include "engine/template.h"

namespace trustcoach {
namespace {

using nlohmann::json;

constexpr size_t kMaxCaptureBytes = 300;
// Concepts a guess needs to take over from a backoff intent: one word is
// not enough to overrule "tell me more" ("he texted me the whole night").
constexpr int kBackoffScore = 2;
// Past this many words one concept is too little to act on: in "they were
// at a concert. phone died. i felt so stupid", "phone" is not the topic.
constexpr int kShortWords = 8;
// The fewest words of a statement taken in context rather than missed.
constexpr int kHeardWords = 4;

// The visits key that holds the turn of the last statement taken in
// context (Heard()).
constexpr char kHeardKey[] = "@heard";

// The visits key of the engine's `fallback` line ("say it another way").
constexpr char kFallbackKey[] = "@fallback";
// The feelings a free-text question names in `on` for it to ask how the
// person feels (MatchContext::feelings_answer).
constexpr long kFeelingsAsked = 3;

std::string Key(const FlowPosition& p) { return p.flow + "." + p.node; }

json ScopeJson(const IntentSpec& intent) {
  if (intent.local) return "local";
  if (intent.scope.empty()) return "global";
  return intent.scope;
}

json ExplainCandidates(const DialogSet& dialogs, const IntentMatch& match) {
  json candidates = json::array();
  for (const IntentCandidate& c : match.candidates) {
    const IntentSpec& intent = dialogs.spec().intents[c.intent];
    candidates.push_back({{"intent", intent.id},
                          {"pattern", intent.patterns[c.pattern]},
                          {"scope", ScopeJson(intent)},
                          {"priority", intent.priority},
                          {"expected", c.expected},
                          {"held", c.held}});
    if (c.words >= 0) candidates.back()["words"] = c.words;
  }
  return candidates;
}

}  // namespace

Engine::Engine(std::unique_ptr<DialogSet> dialogs)
    : dialogs_(std::move(dialogs)) {}

Engine::~Engine() = default;

Status Engine::Load(const std::string& dir, std::unique_ptr<Engine>* out) {
  return Load(dir, out, nullptr);
}

Status Engine::Load(const std::string& dir, std::unique_ptr<Engine>* out,
                    std::vector<std::string>* warnings) {
  std::unique_ptr<DialogSet> dialogs;
  Status s = DialogSet::Load(dir, &dialogs, warnings);
  if (!s.ok()) return s;
  out->reset(new Engine(std::move(dialogs)));
  return Status::OK();
}

Reply Engine::Start(uint64_t seed, Session* session,
                    const TurnOptions& options) const {
  *session = Session{.seed = seed};
  Reply reply;
  FlowRunner flow(*dialogs_, session, options, &reply);
  FlowPosition start;
  if (dialogs_->Resolve("", dialogs_->config().start, &start)) {
    flow.Replace(start);
  }
  reply.flow = session->stack.back().flow;
  reply.node = session->stack.back().node;
  if (options.trace == Trace::kOn) {
    reply.explain = {
        {"action", "start"}, {"flow", reply.flow}, {"node", reply.node}};
  }
  return reply;
}

namespace {

// One turn of Engine::Respond(), step by step: Begin(), Screen(), then
// Crisis(), CheckIn() or Route() (with TakeUpSecondSignal() and
// ReflectFeeling() after it), then Finish() and Explain().
class TurnSteps {
 public:
  TurnSteps(const DialogSet& dialogs, Session* session,
            const TurnOptions& options, Reply* reply)
      : dialogs_(dialogs),
        session_(*session),
        options_(options),
        reply_(*reply),
        flow_(dialogs, session, options, reply) {}

  Reply* Run(std::string_view text) {
    Begin(text);
    Screen();
    const IntentSpec* answer = AnswersFor(verdict_) ? SafetyAnswer() : nullptr;
    if (verdict_.level == SafetyLevel::kCrisis) {
      Crisis(answer);
    } else if (verdict_.level == SafetyLevel::kCheckIn) {
      CheckIn(answer);
    } else {
      Route();
      TakeUpSecondSignal();
      ReflectFeeling();
    }
    Finish();
    if (options_.trace == Trace::kOn) Explain();
    return &reply_;
  }

 private:
  // Normalizes the text, counts the turn and makes sure a flow is active.
  void Begin(std::string_view text) {
    normalized_ = Normalize(text, dialogs_.substitutions(), &info_);
    reply_.truncated = info_.truncated;
    ++session_.turns;
    flow_.ForgetOldLines();
    if (session_.stack.empty()) {
      FlowPosition start;
      if (dialogs_.Resolve("", dialogs_.config().start, &start)) {
        session_.stack.push_back(start);
      }
    }
    if (info_.truncated) flow_.Say(dialogs_.config().truncated, "@truncated");
  }

  // The safety screen's verdict on the message, read in the conversation's
  // context (the risk state and the minors' lens); UpdateRisk() keeps what
  // it tells (the person's age, the risk state) with the session
  // (engine/risk.h).
  void Screen() {
    const SafetyContext context = RiskContext(session_);
    verdict_ = dialogs_.safety().Check(normalized_, context);
    // The risk state's own check-in ("can we talk about something else",
    // "he's back, i have to go") gives way to an answer the conversation
    // already has for the message: the safety node's own `on`, or a
    // follow-up heard anywhere in the risk state. A crisis always wins.
    if (verdict_.level == SafetyLevel::kCheckIn && verdict_.risk_only &&
        AnsweredInRisk()) {
      set_aside_ = std::move(verdict_.rule);
      verdict_ =
          SafetyVerdict{.minor = verdict_.minor, .abuse = verdict_.abuse};
    }
    keep_resources_ = UpdateRisk(context, &verdict_, &session_);
  }

  // Whether the winning intent for the message answers it in the risk
  // state: one the current safety node expects (its `on`), or one scoped
  // "@risk", anywhere. Not a catch-all of negative priority (the grounding
  // exercise's free text), nor a dismissal ("i'm fine i promise", marked
  // `dismisses`), which is what the check-in is there to ask about.
  bool AnsweredInRisk() const {
    if (session_.stack.empty()) return false;
    const FlowPosition& here = session_.stack.back();
    const bool safety_node = here.flow == dialogs_.config().safety_flow;
    const NodeSpec* node = flow_.CurrentNode();
    const IntentMatch match = dialogs_.matcher().Match(
        normalized_,
        {.flow = here.flow,
         .node = here.node,
         .expected = node != nullptr ? &node->on : nullptr,
         .question = LooksLikeQuestion(normalized_),
         .opens_question = OpensAsQuestion(normalized_),
         .brief = CountWords(normalized_, kBriefWords) <= kBriefWords,
         .risk = true});
    if (match.intent < 0) return false;
    const IntentSpec& intent = dialogs_.spec().intents[match.intent];
    if (intent.priority < 0 || intent.dismisses) return false;
    const bool expected =
        safety_node && node != nullptr && node->on.count(intent.id) > 0;
    const bool risk_scope = std::find(intent.scope.begin(), intent.scope.end(),
                                      kRiskScope) != intent.scope.end();
    return expected || risk_scope;
  }

  // A crisis replaces the conversation with the safety flow's node for the
  // kind, resources attached. `answer`, if any, is an intent marked
  // `safety_answer` that matched: its node answers instead of the kind's.
  void Crisis(const IntentSpec* answer) {
    action_ = "safety";
    session_.risk = std::string(SafetyKindName(verdict_.kind));
    // `verdict.abuse`: abuse was named even where a more urgent kind decided
    // ("he beats me and i want to die").
    if (verdict_.abuse || verdict_.kind == SafetyKind::kAbuse ||
        verdict_.kind == SafetyKind::kSexualViolence ||
        verdict_.kind == SafetyKind::kDangerNow ||
        verdict_.kind == SafetyKind::kChildSafety) {
      session_.abuse = true;
    }
    // Risk changes the conversation: the interrupted flow is not resumed.
    session_.stack.clear();
    const std::string& safety_flow = dialogs_.config().safety_flow;
    FlowPosition crisis_node{safety_flow, session_.risk};
    // A rule that names its own answer ("answer" in safety.json) comes
    // first: it is the rule that decided, so a more urgent kind matched in
    // the same message would have decided instead.
    if (!verdict_.answer.empty() &&
        dialogs_.FindNode(safety_flow, verdict_.answer) != nullptr) {
      crisis_node = {safety_flow, verdict_.answer};
    } else if (answer != nullptr &&
               dialogs_.Resolve("", answer->start, &crisis_node)) {
      action_ = "safety_answer";
    } else if (dialogs_.FindNode(crisis_node.flow, crisis_node.node) ==
               nullptr) {
      crisis_node = {safety_flow, session_.risk};
      dialogs_.Resolve("", safety_flow, &crisis_node);  // the flow's start
    }
    flow_.Replace(crisis_node);
    flow_.AttachResources();
    reply_.topic = "safety";
    session_.misses = 0;
  }

  // A check-in interrupts the current flow, which resumes after it.
  // `answer`, as for Crisis(), answers instead of the general check-in.
  void CheckIn(const IntentSpec* answer) {
    action_ = "safety_check_in";
    // A check-in rule marked "abuse" (the partner checks my phone) stops
    // couples work, as an abuse answer does.
    if (verdict_.abuse) session_.abuse = true;
    const std::string& safety_flow = dialogs_.config().safety_flow;
    FlowPosition position{safety_flow, "check_in"};
    // A check-in rule that names its own answer ("answer" in safety.json:
    // knowing when someone is alone is asked about as a threat, not with
    // the general "are you okay") is asked that way outside a risk state
    // and in one of its own kind (control said after an abuse answer is
    // answered as control); in another, the state's check-in comes first.
    const bool same_kind =
        session_.risk.empty() || session_.risk == SafetyKindName(verdict_.kind);
    if (!verdict_.answer.empty() && same_kind &&
        dialogs_.FindNode(safety_flow, verdict_.answer) != nullptr) {
      position = {safety_flow, verdict_.answer};
    } else if (answer != nullptr &&
               dialogs_.Resolve("", answer->start, &position)) {
      action_ = "safety_answer";
    }
    flow_.Interrupt(position);
    reply_.topic = "safety";
    session_.misses = 0;
  }

  // Matches the intents in the current context and acts on the winner.
  void Route() {
    flow_.set_asking(LooksLikeQuestion(normalized_));
    const NodeSpec* node = flow_.CurrentNode();
    const IntentSpec* intent = MatchIntent(node);
    // "yeah", "that makes sense" mid-flow: carry on from the node, not the
    // opening; where the node offers no way on, the message's next signal.
    if (intent != nullptr && intent->start == kTargetStay) {
      if (CanStay(node)) {
        action_ = "stay";
        session_.misses = 0;
        flow_.Say(dialogs_.config().stay, "@stay", node->quick_replies);
        return;
      }
      intent = NextCandidate();
    }
    const std::string* on = nullptr;  // where the node sends this intent
    if (intent != nullptr && node != nullptr) {
      auto it = node->on.find(intent->id);
      if (it != node->on.end()) on = &it->second;
      // A feeling answers a question about feelings as the ones it names
      // do: its own node replaces the question.
      if (on == nullptr && feelings_answer_ && AnswersFeelings(*intent) &&
          !intent->start.empty() && intent->start.front() != '@') {
        on = &intent->start;
      }
    }
    // A backoff ("we need to talk...") does not take a node's own `else`
    // away: the node asked for something and reads the rest itself.
    if (intent != nullptr && intent->backoff && on == nullptr &&
        node != nullptr && !node->else_to.empty()) {
      intent = nullptr;
      reply_.intent.clear();
      reply_.topic.clear();
    }
    // A backoff ("he said...") gives way to a guess that leads on the
    // concepts in the text: "we barely talk now" is about talking.
    if (intent != nullptr && intent->backoff && on == nullptr &&
        Guess(kBackoffScore)) {
      return;
    }
    if (on != nullptr) {
      action_ = "on";
      session_.misses = 0;
      // An offer declined is not taken as yes when asked for again.
      if (node->offer && intent->id == "no") {
        flow_.ForgetOffer(session_.stack.back());
      }
      flow_.Go(*on);
    } else if (intent != nullptr && (intent->start == kTargetResume ||
                                     intent->start == kTargetBack)) {
      action_ = "resume";
      session_.misses = 0;
      flow_.Resume(intent->start == kTargetBack);
    } else if (intent != nullptr && !intent->start.empty()) {
      action_ = "start";
      session_.misses = 0;
      FlowPosition position;
      if (dialogs_.Resolve("", intent->start, &position)) {
        // A clarifying question is answered by the topic named: go on from
        // there, with nothing to come back to. An offer, a clarifying
        // question or an exercise's question left for another topic (not
        // a question asked on the way, nor a feeling about the exercise:
        // "i feel sick thinking about it") is dropped too: the person has
        // moved on.
        // A statement only the backoff understands, once the situation is
        // known, is taken in context where the person is now, with no
        // "We were talking about..." after it.
        // A question asked at a free-text question and answered in full
        // ("how do i get my confidence back" at "What are you most unsure
        // about?") stands on its own: asking the old question again, with
        // "Back to that now.", would take the next message as its answer.
        // A question about the conversation itself ("is this private") is
        // an aside, and the question comes back after it.
        if (node != nullptr &&
            (node->capture_unmatched ||
             (intent->kind == "question" && !intent->interrupts &&
              AsksFreeText(*node) && !AsksExercise(*node) &&
              AnswersWhole(position) &&
              session_.stack.back().flow != dialogs_.config().safety_flow) ||
             (intent->backoff && flow_.KnowsTopic()) ||
             ((node->clarify || node->offer ||
               (AsksExercise(*node) && intent->kind != "feeling")) &&
              MovesOn(*intent)))) {
          flow_.Replace(position);
        } else {
          flow_.Interrupt(position);
        }
      }
    } else if (node != nullptr && !node->else_to.empty()) {
      action_ = "else";
      session_.misses = 0;
      if (!node->capture.empty()) {
        session_.slots[node->capture] =
            SanitizeUtf8(normalized_, kMaxCaptureBytes);
        flow_.set_held_topic(HeldTopic());
        flow_.set_framed_question(OpensWithQuestionFrame(normalized_));
      }
      flow_.Go(node->else_to);
    } else {
      Fallback(node);
    }
  }

  // The topic of the held candidate of kind "topic" with the highest
  // priority (the first of equals), or "" if none was held.
  std::string_view HeldTopic() const {
    const IntentSpec* best = nullptr;
    for (const IntentCandidate& c : match_.candidates) {
      if (!c.held) continue;
      const IntentSpec& spec = dialogs_.spec().intents[c.intent];
      if (spec.kind != "topic" || spec.topic.empty()) continue;
      if (best == nullptr || spec.priority > best->priority) best = &spec;
    }
    return best != nullptr ? std::string_view(best->topic) : "";
  }

  // Whether an intent marked `safety_answer` may answer `verdict`: abuse,
  // sexual violence, or a check-in of no kind. A more urgent kind (suicide,
  // self-harm, danger now, violence, a child) keeps its own answer even when
  // the message also minimises ("he never hit me but i want to die").
  static bool AnswersFor(const SafetyVerdict& verdict) {
    if (verdict.level == SafetyLevel::kNone) return false;
    return verdict.kind == SafetyKind::kAbuse ||
           verdict.kind == SafetyKind::kSexualViolence ||
           verdict.kind == SafetyKind::kNone;
  }

  // The intent marked `safety_answer` of the highest priority among the
  // message's candidates (null if none): minimising ("he never hit me") or
  // a question about consent, which the safety screen flags but its generic
  // node does not answer. It sets no slots and leaves no facts.
  const IntentSpec* SafetyAnswer() {
    const std::vector<IntentSpec>& intents = dialogs_.spec().intents;
    const bool here = !session_.stack.empty();
    const NodeSpec* node = flow_.CurrentNode();
    IntentMatch match = dialogs_.matcher().Match(
        normalized_,
        {.flow = here ? std::string_view(session_.stack.back().flow) : "",
         .node = here ? std::string_view(session_.stack.back().node) : "",
         .expected = node != nullptr ? &node->on : nullptr,
         .risk = keep_resources_});
    const IntentCandidate* best = nullptr;
    for (const IntentCandidate& c : match.candidates) {
      if (!intents[c.intent].safety_answer || c.held) continue;
      if (best == nullptr ||
          intents[c.intent].priority > intents[best->intent].priority) {
        best = &c;
      }
    }
    if (best == nullptr) return nullptr;
    match.intent = best->intent;
    match.pattern = best->pattern;
    match_ = std::move(match);
    reply_.intent = intents[match_.intent].id;
    reply_.topic = intents[match_.intent].topic;
    return &intents[match_.intent];
  }

  // Whether an acknowledgement can carry on from `node`: it offers a way on
  // (quick replies or `on`), and it is not the opening or a safety node.
  bool CanStay(const NodeSpec* node) const {
    if (node == nullptr || dialogs_.config().stay.empty() ||
        (node->quick_replies.empty() && node->on.empty())) {
      return false;
    }
    const std::string& flow = session_.stack.back().flow;
    return flow != dialogs_.config().start &&
           flow != dialogs_.config().safety_flow;
  }

  // The candidate after the winner: the highest priority other one that is
  // not held (the first of equals); null if none. It becomes the winner.
  const IntentSpec* NextCandidate() {
    const std::vector<IntentSpec>& intents = dialogs_.spec().intents;
    const IntentCandidate* next = nullptr;
    for (const IntentCandidate& c : match_.candidates) {
      if (c.intent == match_.intent || c.held ||
          intents[c.intent].start == kTargetStay) {
        continue;
      }
      if (next == nullptr ||
          intents[c.intent].priority > intents[next->intent].priority) {
        next = &c;
      }
    }
    if (next == nullptr) {
      match_.intent = -1;
      reply_.intent.clear();
      reply_.topic.clear();
      return nullptr;
    }
    match_.intent = next->intent;
    match_.pattern = next->pattern;
    const IntentSpec* intent = &intents[next->intent];
    reply_.intent = intent->id;
    reply_.topic = intent->topic;
    return intent;
  }

  // The winning intent for `node` (null if none); its captures and slots go
  // into the session.
  const IntentSpec* MatchIntent(const NodeSpec* node) {
    const bool here = !session_.stack.empty();
    const bool captures = node != nullptr && !node->capture.empty() &&
                          dialogs_.Answers(*node, normalized_);
    feelings_answer_ = captures && AsksFeelings(*node);
    match_ = dialogs_.matcher().Match(
        normalized_,
        {.flow = here ? std::string_view(session_.stack.back().flow) : "",
         .node = here ? std::string_view(session_.stack.back().node) : "",
         .expected = node != nullptr ? &node->on : nullptr,
         // Free text answers the question: "my sister" to "who could you
         // call?" is not a new topic. Only intents marked `interrupts`
         // (thanks, goodbye, menu...) take over; safety came first above.
         .captures_text = captures,
         .feelings_answer = feelings_answer_,
         .question = LooksLikeQuestion(normalized_),
         .opens_question = OpensAsQuestion(normalized_),
         .asks = OpensWithQuestionFrame(normalized_),
         .brief = CountWords(normalized_, kBriefWords) <= kBriefWords,
         // While the risk state lasts, its follow-ups ("what would i even
         // do with it") are heard in any flow.
         .risk = keep_resources_});
    KeepFacts();
    if (match_.intent < 0) return nullptr;
    const IntentSpec* intent = &dialogs_.spec().intents[match_.intent];
    for (const auto& [slot, value] : match_.captures) {
      session_.slots[slot] = value;
    }
    for (const auto& [slot, value] : intent->set) session_.slots[slot] = value;
    // What the winner says about the person is a fact too: "side" from
    // "I cheated", "partner" from "my wife ...".
    for (const auto& [slot, value] : intent->set) SetFact(slot, value);
    if (auto partner = match_.captures.find("partner");
        partner != match_.captures.end()) {
      SetFact("partner", partner->second);
    }
    reply_.intent = intent->id;
    reply_.topic = intent->topic;
    return intent;
  }

  // Whether the message moves to another topic: a statement ("i havent
  // said anything to him yet"), not a question nor a line about the
  // conversation, that starts a coaching flow.
  bool MovesOn(const IntentSpec& intent) const {
    if (intent.kind == "social" || intent.kind == "closing" ||
        LooksLikeQuestion(normalized_) ||
        normalized_.find('?') != std::string::npos) {
      return false;
    }
    // A coaching topic, not an aside such as "who won the football?".
    FlowPosition position;
    if (!dialogs_.Resolve("", intent.start, &position)) return false;
    return IsCoachingTopic(dialogs_.FindFlow(position.flow));
  }

  // Whether `node` is an exercise's question: it waits for the person's
  // own answer, as a shape (`answer`) or a local catch-all (`statement`:
  // "What time could work?").
  bool AsksExercise(const NodeSpec& node) const {
    if (!node.answer.empty()) return true;
    return std::any_of(node.on.begin(), node.on.end(), [&](const auto& on) {
      const IntentSpec* spec = dialogs_.FindIntent(on.first);
      return spec != nullptr && spec->statement;
    });
  }

  // Whether `node` asks for the person's own words, not for an exercise's
  // attempt: it stores free text (`capture`) or names a local catch-all
  // that does ("What are you most unsure about?").
  bool AsksFreeText(const NodeSpec& node) const {
    if (!node.capture.empty()) return true;
    return std::any_of(node.on.begin(), node.on.end(), [&](const auto& on) {
      const IntentSpec* spec = dialogs_.FindIntent(on.first);
      return spec != nullptr && spec->local && spec->priority < 0 &&
             !spec->statement && !spec->patterns.empty() &&
             spec->patterns.front().find("(?P<") != std::string::npos;
    });
  }

  // Whether `position` answers in full: its node leads nowhere once said
  // (no `on`, `else` or `next`; a router's `branch` ends in such a node).
  bool AnswersWhole(const FlowPosition& position) const {
    const NodeSpec* node = dialogs_.FindNode(position.flow, position.node);
    return node != nullptr && node->on.empty() && node->else_to.empty() &&
           node->next.empty();
  }

  // Whether `node` asks how the person feels: it names several feelings in
  // `on` ("How are you feeling?"), not one beside its answer ("What
  // happened?", "What helped?").
  bool AsksFeelings(const NodeSpec& node) const {
    const auto feelings =
        std::count_if(node.on.begin(), node.on.end(), [&](const auto& on) {
          const IntentSpec* intent = dialogs_.FindIntent(on.first);
          return intent != nullptr && intent->kind == "feeling";
        });
    return feelings >= kFeelingsAsked;
  }

  // A second signal of the message, answered in one short clause: "my wife
  // cheated and i am furious" gets the affair's reply with "And it makes
  // sense that you feel angry." before its question. The candidate must
  // have `aside` lines, be about something else than the winner and not
  // about the partner; the highest priority one is taken.
  void TakeUpSecondSignal() {
    if (match_.intent < 0 || reply_.fallback || reply_.intent.empty() ||
        reply_.messages.empty()) {
      return;
    }
    const std::vector<IntentSpec>& intents = dialogs_.spec().intents;
    const IntentSpec& winner = intents[match_.intent];
    if (reply_.intent != winner.id || winner.kind == "closing" ||
        winner.kind == "social") {
      return;
    }
    const IntentSpec* second = nullptr;
    const bool own_feeling = StatesOwnFeeling(normalized_);
    for (const IntentCandidate& c : match_.candidates) {
      const IntentSpec& spec = intents[c.intent];
      if (c.intent == match_.intent || spec.aside.empty() ||
          spec.about == "partner" || spec.topic == winner.topic ||
          spec.kind == winner.kind) {
        continue;
      }
      // A feeling is named back only when the person said it of
      // themselves: "calmed down" is not sadness, "she'd be pissed" not
      // the person's anger.
      if (spec.facts.count("feeling") > 0 && !own_feeling) continue;
      if (second == nullptr || spec.priority > second->priority) {
        second = &spec;
      }
    }
    if (second != nullptr) flow_.Aside(second->aside, "@aside." + second->id);
  }

  // On an emotional turn (a feeling of the person's among the signals),
  // one key phrase of theirs said back before the reply: "It sounds like
  // you feel so alone since he left." Only where EchoFeeling() finds a
  // clause that is safe to say back: never an accusation, self-blame or
  // harm, and never the partner's feeling.
  void ReflectFeeling() {
    const EngineConfig& config = dialogs_.config();
    // A free-text answer captured at a question ("How are you feeling about
    // it?" -> "i miss just joking around with her") has no winner, but its
    // held feelings are said back as well.
    if ((match_.intent < 0 && action_ != "else") || reply_.fallback ||
        reply_.messages.empty() || config.echo.empty() || action_ == "guess") {
      return;
    }
    const std::vector<IntentSpec>& intents = dialogs_.spec().intents;
    if (match_.intent >= 0) {
      const IntentSpec& winner = intents[match_.intent];
      if (winner.kind == "closing" || winner.kind == "social" ||
          winner.about == "partner") {
        return;
      }
    }
    const bool emotional =
        std::any_of(match_.candidates.begin(), match_.candidates.end(),
                    [&](const IntentCandidate& c) {
                      const IntentSpec& spec = intents[c.intent];
                      return spec.kind == "feeling" && spec.about != "partner";
                    });
    if (!emotional) return;
    const std::string said = EchoFeeling(normalized_, dialogs_.reflections());
    if (said.empty()) return;
    std::string& text = reply_.messages.front().text;
    if (text.find(said) != std::string::npos) return;
    // A variant that does not open as the reply does: not "It sounds like
    // you feel alone. It sounds like you're hurting."
    const std::vector<std::string>& echo = config.echo;
    size_t pick = session_.turns % echo.size();
    for (size_t n = 0; n < echo.size(); ++n) {
      const size_t i = (session_.turns + n) % echo.size();
      const std::string_view opening =
          std::string_view(echo[i]).substr(0, echo[i].find(' '));
      if (text.compare(0, opening.size(), opening) != 0) {
        pick = i;
        break;
      }
    }
    const std::map<std::string, std::string> slots{{"said", said}};
    text.insert(
        0, RenderTemplate(echo[pick], slots, dialogs_.reflections()) + " ");
  }

  // Every signal of the message, not only the winner, leaves its facts:
  // "my wife cheated and i am furious, would therapy help" tells the event
  // and the feeling although the question wins. Held candidates count too.
  // The winner comes last, so its facts override.
  //
  // A message about an earlier relationship ("my last bf cheated on me for
  // a year, so now i can't relax") names events that are not this
  // relationship's: while a signal `about` "past" is among them, the other
  // events (but the winner) leave no facts, so the coach does not ask "is this
  // new since the affair?" of a partner who has done nothing.
  void KeepFacts() {
    const std::vector<IntentSpec>& intents = dialogs_.spec().intents;
    const bool past =
        std::any_of(match_.candidates.begin(), match_.candidates.end(),
                    [&](const IntentCandidate& c) {
                      return intents[c.intent].about == "past";
                    });
    for (const IntentCandidate& c : match_.candidates) {
      if (c.intent == match_.intent) continue;
      if (past && intents[c.intent].kind == "event" &&
          intents[c.intent].about != "past") {
        continue;
      }
      for (const auto& [name, value] : intents[c.intent].facts) {
        SetFact(name, value);
      }
    }
    if (match_.intent >= 0) {
      for (const auto& [name, value] : intents[match_.intent].facts) {
        SetFact(name, value);
      }
    }
  }

  // Sets fact `name`; a "feeling" is also added to "feelings", the (up to
  // three) latest feelings named, "anger and hurt".
  void SetFact(const std::string& name, const std::string& value) {
    if (value.empty()) return;
    session_.facts[name] = value;
    if (name != "feeling") return;
    std::string& feelings = session_.facts["feelings"];
    std::vector<std::string> named;
    for (size_t start = 0; start < feelings.size();) {
      size_t end = feelings.find(" and ", start);
      if (end == std::string::npos) end = feelings.size();
      std::string one = feelings.substr(start, end - start);
      if (one != value) named.push_back(std::move(one));
      start = end + 5;
    }
    named.push_back(value);
    if (named.size() > 3) named.erase(named.begin());
    feelings.clear();
    for (const std::string& one : named) {
      if (!feelings.empty()) feelings += " and ";
      feelings += one;
    }
  }

  // Nothing understood: a best guess from the concepts in the text, else
  // the likeliest topics offered (choices), else the node's reprompt, else
  // the engine's fallback: the person's words said back where safe, and the
  // best guesses from the text and the conversation as quick replies. The
  // fallback's "say it another way" is asked once per conversation: a
  // second miss in a row, or a miss after it was asked, gets the warmer
  // `fallback_again` line with the guesses (the menu without them).
  void Fallback(const NodeSpec* node) {
    if (Guess() || Heard(node)) return;
    reply_.fallback = true;
    const EngineConfig& config = dialogs_.config();
    const std::vector<std::string> labels = ContextLabels();
    const bool own = node != nullptr && !node->reprompt.empty();
    const bool asked = session_.visits.count(kFallbackKey) > 0;
    const bool second = ++session_.misses >= 2;
    if (second || (asked && !own && ranked_.size() < 2)) {
      session_.misses = 0;
      if (labels.size() >= 2 && !config.fallback_again.empty()) {
        action_ = "fallback_again";
        flow_.Say(config.fallback_again, "@fallback_again", labels);
        return;
      }
      action_ = "menu";
      flow_.Go(kTargetMenu);
      return;
    }
    action_ = "fallback";
    if (ranked_.size() >= 2 && !config.choices.empty()) {
      flow_.Say(config.choices, "@choices", labels);
      return;
    }
    if (own) {
      flow_.Say(node->reprompt, Key(session_.stack.back()) + "#r",
                node->quick_replies);
      return;
    }
    flow_.Say(
        config.fallback, kFallbackKey,
        labels.size() >= 2 || node == nullptr ? labels : node->quick_replies);
  }

  // A statement nothing understands, once the conversation is on a topic:
  // taken in context (EngineConfig::heard: the next step for the side or
  // what happened, in place of the node it was said at) rather than "say
  // it another way" ("she messaged me on facebook yesterday" after an
  // affair). Not a question, which would go unanswered; not a line of three
  // words or fewer; not twice in a row; not at an exercise's question,
  // which asks again for its answer, unless it was asked again lately
  // already: a question is not put a third time ("so i tried it, he got
  // defensive" after "When could work?" twice).
  bool Heard(const NodeSpec* node) {
    const std::string& heard = dialogs_.config().heard;
    if (heard.empty() || LooksLikeQuestion(normalized_) ||
        normalized_.find('?') != std::string::npos ||
        CountWords(normalized_, kHeardWords) < kHeardWords ||
        (node != nullptr && AsksExercise(*node) &&
         !flow_.RepromptedLately(*node)) ||
        !flow_.KnowsTopic()) {
      return false;
    }
    FlowPosition position;
    if (!dialogs_.Resolve("", heard, &position)) return false;
    // The turn of the last one, kept with the visits (not a node's count).
    uint32_t& last = session_.visits[kHeardKey];
    if (last != 0 && session_.turns - last <= 1) return false;
    last = session_.turns;
    action_ = "heard";
    session_.misses = 0;
    flow_.Replace(position);
    return true;
  }

  // Up to three guesses' labels for a miss: those the text's concepts
  // rank, then the topics of the latest turns, then the guesses marked
  // `fallback`.
  std::vector<std::string> ContextLabels() const {
    const EngineConfig& config = dialogs_.config();
    std::vector<std::string> labels;
    const auto add = [&](const GuessSpec& guess) {
      if (labels.size() < 3 && std::find(labels.begin(), labels.end(),
                                         guess.label) == labels.end()) {
        labels.push_back(guess.label);
      }
    };
    for (const ScoredGuess& scored : ranked_) add(*scored.guess);
    for (auto it = session_.history.rbegin(); it != session_.history.rend();
         ++it) {
      const IntentSpec* said = dialogs_.FindIntent(it->intent);
      if (said == nullptr || said->topic.empty() || said->topic == "safety") {
        continue;
      }
      for (const GuessSpec& guess : config.guesses) {
        const IntentSpec* offered = dialogs_.FindIntent(guess.intent);
        if (offered != nullptr &&
            (offered == said || offered->topic == said->topic)) {
          add(guess);
          break;
        }
      }
    }
    for (const GuessSpec& guess : config.guesses) {
      if (guess.fallback) add(guess);
    }
    return labels;
  }

  // Takes the guess whose concepts lead the others, with a line that names
  // it and, where safe, says the person's words back. Fills `ranked_` and
  // the `echo` slot for the fallback otherwise.
  bool Guess(int min_score = 1) {
    const EngineConfig& config = dialogs_.config();
    ranked_ = dialogs_.guess_scorer().Rank(config.guesses, normalized_);
    const std::string said = Echo(normalized_, dialogs_.reflections());
    std::string& echo = session_.slots["echo"];
    echo.clear();
    if (!said.empty() && !config.echo.empty()) {
      std::map<std::string, std::string> slots{{"said", said}};
      echo = RenderTemplate(config.echo[session_.turns % config.echo.size()],
                            slots, dialogs_.reflections()) +
             " ";
    }
    if (CountWords(normalized_, kShortWords) > kShortWords) {
      min_score = std::max(min_score, 2);
    }
    const bool lead =
        !ranked_.empty() && ranked_[0].score >= min_score &&
        (ranked_.size() == 1 || ranked_[0].score > ranked_[1].score);
    if (!lead || config.guess.empty()) return false;
    const GuessSpec& guess = *ranked_[0].guess;
    const IntentSpec* intent = dialogs_.FindIntent(guess.intent);
    FlowPosition position;
    if (intent == nullptr || !dialogs_.Resolve("", intent->start, &position)) {
      return false;
    }
    action_ = "guess";
    session_.misses = 0;
    session_.slots["about"] = guess.about;
    flow_.Say(config.guess, "@guess");
    session_.slots.erase("about");
    session_.slots.erase("echo");
    reply_.intent = intent->id;
    reply_.topic = intent->topic;
    flow_.Interrupt(position);
    return true;
  }

  // The closing line for the conversation's risk: a minor's youth line
  // first, then the kind of the crisis answer.
  const std::vector<std::string>& ClosingLine() const {
    const EngineConfig& config = dialogs_.config();
    const SafetyKind kind =
        ParseSafetyKind(session_.risk).value_or(SafetyKind::kNone);
    if (session_.minor || kind == SafetyKind::kChildSafety) {
      return config.closing_youth;
    }
    if (kind == SafetyKind::kAbuse || kind == SafetyKind::kDangerNow) {
      return config.closing_abuse;
    }
    if (kind == SafetyKind::kSexualViolence) return config.closing_support;
    return config.closing_crisis;
  }

  // Whether this turn's reply answers a closing: a goodbye or thanks.
  bool Closing() const {
    const IntentSpec* intent = dialogs_.FindIntent(reply_.intent);
    return intent != nullptr && intent->kind == "closing";
  }

  // The helplines and closing lines the risk calls for, safety info, the
  // reminder that this is an automated coach, where the conversation is,
  // and the turn's record in the history.
  void Finish() {
    // The echo lives for this reply only.
    session_.slots.erase("echo");
    // While the risk state lasts, every reply carries the helplines. After
    // it, a goodbye or thanks in a conversation that had a crisis answer
    // still does: it may be the last thing on the person's screen.
    const bool closing_thread =
        (!session_.risk.empty() || session_.minor) && Closing();
    if (reply_.resources.empty() && (keep_resources_ || closing_thread)) {
      flow_.AttachResources();
    }
    // A goodbye or thanks after a disclosure says where the lines are, in
    // its text too, unless a node said in this reply already tells where
    // they are (NodeSpec::points_to_lines).
    if (closing_thread && !flow_.PointsToLines()) {
      const std::vector<std::string>& line = ClosingLine();
      if (!line.empty()) flow_.Say(line, "@closing_lines");
    }
    reply_.safety.kind = verdict_.kind;
    reply_.safety.level = verdict_.level;
    if (verdict_.level == SafetyLevel::kNone && !session_.risk.empty()) {
      reply_.safety.kind =
          ParseSafetyKind(session_.risk).value_or(SafetyKind::kNone);
      reply_.safety.earlier = true;
    }
    const int every = dialogs_.config().reminder_every;
    if (every > 0 && session_.turns % static_cast<uint32_t>(every) == 0) {
      flow_.Say(dialogs_.config().reminder, "@reminder");
    }
    if (!session_.stack.empty()) {
      reply_.flow = session_.stack.back().flow;
      reply_.node = session_.stack.back().node;
    }
    if (reply_.topic.empty() && !reply_.fallback) {
      if (const FlowSpec* flow = dialogs_.FindFlow(reply_.flow)) {
        reply_.topic = flow->topic;
      }
    }
    // A full history drops its oldest record; its strings' memory, moved
    // to the end, takes the new one.
    std::vector<TurnRecord>& history = session_.history;
    if (history.size() >= Session::kMaxHistory) {
      std::move(history.begin() + 1, history.end(), history.begin());
    } else {
      history.emplace_back();
    }
    history.back().intent = reply_.intent;
    history.back().node.assign(reply_.flow).append(1, '.').append(reply_.node);
  }

  void Explain() {
    json chosen = nullptr;
    if (match_.intent >= 0) {
      const IntentSpec& intent = dialogs_.spec().intents[match_.intent];
      chosen = {{"intent", intent.id},
                {"pattern_index", match_.pattern},
                {"pattern", intent.patterns[match_.pattern]},
                {"file", intent.file},
                {"captures", match_.captures},
                {"concepts",
                 dialogs_.concepts().Present(normalized_, intent.concepts)}};
    }
    reply_.explain = {
        {"input", normalized_},
        {"truncated", info_.truncated},
        {"invalid_utf8", info_.invalid_utf8},
        {"safety",
         {{"kind", SafetyKindName(verdict_.kind)},
          {"level", SafetyLevelName(verdict_.level)},
          {"rule", verdict_.rule},
          {"concepts",
           dialogs_.concepts().Present(
               normalized_, dialogs_.safety().ConceptsOf(verdict_.rule))},
          {"minor", verdict_.minor},
          {"set_aside", set_aside_}}},
        {"candidates", ExplainCandidates(dialogs_, match_)},
        {"chosen", chosen},
        {"action", action_},
        {"flow", reply_.flow},
        {"node", reply_.node},
        {"slots", session_.slots},
    };
  }

  const DialogSet& dialogs_;
  Session& session_;
  const TurnOptions& options_;
  Reply& reply_;
  FlowRunner flow_;
  std::string normalized_;
  NormalizeInfo info_;
  SafetyVerdict verdict_;
  bool keep_resources_ = false;  // the risk state: helplines on the reply
  // The risk check-in the safety node answered instead (Screen()), for
  // explain; empty if none.
  std::string set_aside_;
  bool feelings_answer_ = false;  // MatchContext::feelings_answer
  IntentMatch match_;
  std::vector<ScoredGuess> ranked_;  // filled by Guess()
  std::string action_;
};

}  // namespace

Reply Engine::Respond(std::string_view text, Session* session,
                      const TurnOptions& options) const {
  Reply reply;
  TurnSteps(*dialogs_, session, options, &reply).Run(text);
  return reply;
}

}  // namespace trustcoach
