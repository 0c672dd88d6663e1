#pragma once

#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/session.h"

namespace trustcoach {

class DialogSet;
struct NodeSpec;
struct Branch;

// The flow runner: walks the nodes of one turn, saying what they say and
// keeping the session's stack of flows. One per turn; holds references to
// the session and the reply it fills.
class FlowRunner {
 public:
  FlowRunner(const DialogSet& dialogs, Session* session,
             const TurnOptions& options, Reply* reply);

  FlowRunner(const FlowRunner&) = delete;
  FlowRunner& operator=(const FlowRunner&) = delete;

  // The node at the top of the stack, or null.
  const NodeSpec* CurrentNode() const;

  // Says one of `variants`, rotating per `key` so that a variant is never
  // the one said on the previous visit.
  void Say(const std::vector<std::string>& variants, const std::string& key,
           const std::vector<std::string>& quick_replies = {});

  // Takes up a second signal: one of `variants` (rotating per `key`, not a
  // line said lately) goes before the question (the last paragraph) of the
  // reply's last message. Nothing when every variant was said lately.
  void Aside(const std::vector<std::string>& variants, const std::string& key);

  // Moves to `target` as named from the current flow ("node", "flow",
  // "flow.node", "@return", "@end", "@menu").
  void Go(const std::string& target);

  // Starts `position` on top of the current flow, which resumes when the new
  // one ends, unless the current flow had already ended.
  void Interrupt(const FlowPosition& position);

  // Replaces the top of the stack with `position` and enters it.
  void Replace(const FlowPosition& position);

  // Enters `position`: branches, slots set on entry, what it says, `next`.
  // `position` may be the stack's top.
  void Enter(const FlowPosition& position);

  // Ends the current flow; resumes the interrupted one, if any.
  void Return();

  // "@continue": ends the current flow and goes back to the interrupted one
  // without entering it again or a line announcing it; the interrupted
  // node's quick replies come with the reply. As EndFlow() when nothing was
  // interrupted.
  void Continue();
  void StandUnsaid(const NodeSpec* node);

  // Ends the current flow without resuming; the conversation stays at the
  // last node, where global intents still work.
  void EndFlow();

  // Back to the last topic the conversation was on (the stack, then the
  // history: the latest node of a flow with a `recap`), after the engine's
  // `resume` line with that recap; without one, `resume_none` and the menu.
  // `back`: the person asked to go back to the topic mid-conversation
  // ("back to my boyfriend"), not after a break: a `return_recap` line
  // instead of a "welcome back".
  void Resume(bool back = false);

  // Forgets the lines said kRecentTurns or more turns ago; once a turn.
  void ForgetOldLines();

  // The message of this turn asks something ("how do i get her to trust
  // me again"): an offer made lately that it leads back to is taken as yes.
  void set_asking(bool asking) { asking_ = asking; }

  // The topic of the intent held back this turn at a free-text question
  // (the highest priority of kind "topic"): a branch `{"known": "@held"}`
  // reads it, so that a statement captured as the answer ("every time i
  // bring it up he gets defensive") is met on its topic rather than with a
  // line that only names what happened.
  void set_held_topic(std::string_view topic) { held_topic_ = topic; }

  // The message of this turn opens with a question frame
  // (OpensWithQuestionFrame()): a branch `{"if": "@asking"}` holds, so that
  // a question nothing understood, captured at a free-text question, is not
  // thanked for as if it were the answer.
  void set_framed_question(bool framed) { framed_question_ = framed; }

  // Forgets that the offer at `position` was made: the person declined it
  // ("no"), so asking for it again later is not taken as yes.
  void ForgetOffer(const FlowPosition& position);

  // Whether the conversation has been on a coaching topic (a node of a flow
  // with a `recap`, other than a clarifying question, was said):
  // `{"known": "@topic"}`.
  bool KnowsTopic() const;

  // Whether one of `node`'s reprompts was said in the last kRecentTurns
  // turns: its question has been asked twice lately.
  bool RepromptedLately(const NodeSpec& node) const;

  // Attaches the safety resources for the session's risk to the reply.
  void AttachResources();

  // Whether this turn said in full a node whose text tells where the
  // helplines are (NodeSpec::points_to_lines).
  bool PointsToLines() const { return points_to_lines_; }

  // Whether a crisis state of harm by someone close (abuse, danger now,
  // sexual violence, child safety) lasts: repair work is then gated.
  bool HarmRiskLasts() const;

  // `target` resolved from no flow; the menu when it does not resolve.
  FlowPosition Resolved(const std::string& target) const;

 private:
  bool BranchHolds(const Branch& branch) const;
  // Whether `line` (a template) was said in the last kRecentTurns turns.
  bool SaidLately(std::string_view line) const;
  // Whether a recap or return line ("We were talking about...", "Back to
  // ...") was said in the last kRecentTurns turns; MarkRecap() notes one.
  // Whether `node` names three or more feelings in `on`; with `capture`,
  // it asks how the person feels ("How are you feeling?").
  bool AsksFeelings(const NodeSpec& node) const;
  bool RecappedLately() const;
  void MarkRecap();
  // Whether the offer at `position` (a node that waits for "yes") was made
  // twice in the last kRecentTurns turns; MarkOffer() notes one.
  bool OfferedTwiceLately(const FlowPosition& position) const;
  // Whether the offer at `position` was made in the last kRecentTurns turns.
  // A safety node asked twice (its `say`, then its `again`).
  bool AskedTwice(const FlowPosition& position) const;
  bool OfferedLately(const FlowPosition& position) const;
  void MarkOffer(const FlowPosition& position);
  // The variant of `variants` to say for `key` this time (and counts it).
  const std::string& Choose(const std::vector<std::string>& variants,
                            const std::string& key);

  const DialogSet& dialogs_;
  Session& session_;
  const TurnOptions& options_;
  Reply& reply_;
  int hops_ = 0;
  bool returning_ = false;        // Return() is entering the interrupted node
  bool asking_ = false;           // set_asking()
  std::string_view held_topic_;   // set_held_topic()
  bool framed_question_ = false;  // set_framed_question()
  bool points_to_lines_ = false;  // PointsToLines()
  std::string key_;  // "flow.node" for Say(), its capacity kept for the turn
};

}  // namespace trustcoach
