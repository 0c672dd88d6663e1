#include "engine/flow.h"

#include <algorithm>
#include <map>

#include "engine/dialog_loader.h"
#include "engine/risk.h"
#include "engine/template.h"

namespace trustcoach {
namespace {

// Enough for any sensible chain of `next`, `branch` and returns; a loop in
// the dialogs stops here instead of hanging a request thread.
constexpr int kMaxHops = 12;
constexpr size_t kMaxStack = 4;

// The helplines as plain text, one a line ("Samaritans: call 116 123"), for
// the `{lines}` slot of a node that attaches them: asked for a line by
// name, the person reads its number in the reply itself, not only in the
// list an integrator shows under it.
std::string LinesText(const std::vector<Resource>& resources) {
  std::string out;
  for (const Resource& line : resources) {
    std::string how;
    if (!line.phone.empty()) {
      how = (line.sms == line.phone ? "call or text " : "call ") + line.phone;
    }
    if (!line.sms.empty() && line.sms != line.phone) {
      if (!how.empty()) how += " or ";
      how += line.sms.rfind("text", 0) == 0 ? line.sms : "text " + line.sms;
    }
    if (how.empty() && !line.web.empty()) how = line.web;
    if (how.empty()) continue;
    if (!out.empty()) out += '\n';
    out += "- " + line.name + ": " + how;
  }
  return out;
}

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t Hash(std::string_view text) {  // FNV-1a
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The key in Session::said that stands for "a question about how the
// person feels was asked", whatever its words or node.
constexpr char kFeelingsMark[] = "@feelings_asked";

// How many feelings a node names in `on` to ask how the person feels.
constexpr long kFeelingsNamed = 3;

bool IsTerminal(const NodeSpec& node) {
  return node.on.empty() && node.else_to.empty() && node.next.empty() &&
         node.branch.empty();
}

// A node that asks nothing and leads nowhere once said: no `on`, `else` or
// `next` (a `branch` is taken on entry, before it says anything). Coming
// back to it after a detour would only repeat its last words.
bool WaitsForNothing(const NodeSpec& node) {
  return node.on.empty() && node.else_to.empty() && node.next.empty();
}

// An offer: a node marked `offer` that waits for "yes" ("Shall we go
// through the four parts?", "Ready for step 2?").
bool IsOffer(const NodeSpec& node) {
  return node.offer && node.on.count("yes") > 0;
}

}  // namespace

FlowRunner::FlowRunner(const DialogSet& dialogs, Session* session,
                       const TurnOptions& options, Reply* reply)
    : dialogs_(dialogs),
      session_(*session),
      options_(options),
      reply_(*reply) {}

const NodeSpec* FlowRunner::CurrentNode() const {
  if (session_.stack.empty()) return nullptr;
  return dialogs_.FindNode(session_.stack.back().flow,
                           session_.stack.back().node);
}

void FlowRunner::Say(const std::vector<std::string>& variants,
                     const std::string& key,
                     const std::vector<std::string>& quick_replies) {
  if (variants.empty()) return;
  reply_.messages.push_back(
      {RenderTemplate(Choose(variants, key), session_.slots,
                      dialogs_.reflections(), &session_.facts),
       quick_replies});
}

void FlowRunner::Aside(const std::vector<std::string>& variants,
                       const std::string& key) {
  if (variants.empty() || reply_.messages.empty()) return;
  if (std::all_of(variants.begin(), variants.end(),
                  [&](const std::string& v) { return SaidLately(v); })) {
    return;
  }
  const std::string line =
      RenderTemplate(Choose(variants, key), session_.slots,
                     dialogs_.reflections(), &session_.facts);
  std::string& text = reply_.messages.back().text;
  const size_t cut = text.rfind("\n\n");
  const size_t at = cut == std::string::npos ? 0 : cut + 2;
  text.insert(at, line + " ");
}

namespace {

// The key of `line` in Session::said: 32 bits of its hash.
uint32_t SaidKey(std::string_view line) {
  // The hash's low nibble first: sessions written when the key was kept as
  // that text (low nibble first) keep their keys ("%08x" of this).
  const uint64_t h = Hash(line);
  uint32_t key = 0;
  for (int i = 0; i < 8; ++i) key = (key << 4) | ((h >> (4 * i)) & 0xf);
  return key;
}

}  // namespace

bool FlowRunner::SaidLately(std::string_view line) const {
  const uint32_t* turn = SaidOn(session_, SaidKey(line));
  return turn != nullptr && session_.turns - *turn < Session::kRecentTurns;
}

// The variants rotate per key from a seeded start, so that a node never says
// the variant of its previous visit; a variant said lately by any node (the
// same offer from two places, a hub visited four times) is skipped while
// another is left.
const std::string& FlowRunner::Choose(const std::vector<std::string>& variants,
                                      const std::string& key) {
  uint32_t& count = session_.visits[key];
  const uint64_t first = Mix(session_.seed ^ Hash(key)) % variants.size();
  size_t skip = 0;
  while (skip + 1 < variants.size() &&
         SaidLately(variants[(first + count + skip) % variants.size()])) {
    ++skip;
  }
  const std::string& chosen =
      variants[(first + count + skip) % variants.size()];
  count += static_cast<uint32_t>(skip) + 1;
  MarkSaid(SaidKey(chosen), session_.turns, &session_);
  return chosen;
}

void FlowRunner::ForgetOldLines() {
  std::erase_if(session_.said, [&](const auto& entry) {
    return session_.turns - entry.second >= Session::kRecentTurns;
  });
}

void FlowRunner::Resume(bool back) {
  const FlowSpec* flow = nullptr;
  FlowPosition position;
  const auto resumable = [&](std::string_view flow_id,
                             std::string_view node_id) {
    const FlowSpec* f = dialogs_.FindFlow(flow_id);
    if (!IsCoachingTopic(f) || dialogs_.FindNode(flow_id, node_id) == nullptr) {
      return false;
    }
    flow = f;
    position = {std::string(flow_id), std::string(node_id)};
    return true;
  };
  for (auto it = session_.stack.rbegin(); it != session_.stack.rend(); ++it) {
    if (resumable(it->flow, it->node)) break;
  }
  for (auto it = session_.history.rbegin();
       flow == nullptr && it != session_.history.rend(); ++it) {
    const size_t dot = it->node.find('.');
    if (dot == std::string::npos) continue;
    resumable(std::string_view(it->node).substr(0, dot),
              std::string_view(it->node).substr(dot + 1));
  }
  if (flow == nullptr) {
    Say(dialogs_.config().resume_none, "@resume_none");
    return Go(kTargetMenu);
  }
  const std::vector<std::string>& lines =
      back && !dialogs_.config().return_recap.empty()
          ? dialogs_.config().return_recap
          : dialogs_.config().resume;
  if (!lines.empty()) {
    std::map<std::string, std::string> slots = session_.slots;
    slots["recap"] = flow->recap;
    reply_.messages.push_back(
        {RenderTemplate(Choose(lines, back ? "@return" : "@resume"), slots,
                        dialogs_.reflections()),
         {}});
    MarkRecap();
  }
  // The conversation is on this topic again: no detour to come back to.
  session_.stack.clear();
  Replace(position);
}

void FlowRunner::Go(const std::string& target) {
  if (target == kTargetReturn) return Return();
  if (target == kTargetEnd) return EndFlow();
  if (target == kTargetContinue) return Continue();
  if (target == kTargetMenu) return Replace(Resolved(dialogs_.config().menu));
  const std::string_view from =
      session_.stack.empty() ? std::string_view() : session_.stack.back().flow;
  FlowPosition position;
  if (!dialogs_.Resolve(from, target, &position)) return;
  // The opening is a hub: going there from another flow ("yes, start
  // over") leaves every interrupted flow behind, as Interrupt() does.
  if (position.flow == dialogs_.config().start && from != position.flow &&
      session_.stack.size() > 1) {
    session_.stack.erase(session_.stack.begin(), session_.stack.end() - 1);
  }
  Replace(position);
}

void FlowRunner::Continue() {
  if (session_.stack.size() <= 1) return EndFlow();
  session_.stack.pop_back();
  // The aside ("thanks", "ok") is answered and the interrupted node's
  // question stands, unannounced: "We were talking about X. No rush: we can
  // carry on..." read as filler to the people it was said to (two blind
  // judges counted it among the wrong replies). Its quick replies come with
  // the answer, and its `on` reads the next message.
  StandUnsaid(CurrentNode());
}

// The node at the top of the stack is not said again (its question was
// asked a moment ago, or the aside needs no more words): its quick replies
// go with the last message of the reply if that has none.
void FlowRunner::StandUnsaid(const NodeSpec* node) {
  if (node == nullptr || reply_.messages.empty()) return;
  std::vector<std::string>& quick = reply_.messages.back().quick_replies;
  if (quick.empty()) quick = node->quick_replies;
}

void FlowRunner::Interrupt(const FlowPosition& position) {
  const NodeSpec* current = CurrentNode();
  // A flow that has ended ("@end": an opener's "go ahead", a moment's
  // answer) is not come back to: "Let's pick up where we were" would say
  // its last words again.
  if (current == nullptr || IsTerminal(*current) ||
      current->next == kTargetEnd ||
      session_.stack.back().flow == position.flow) {
    return Replace(position);
  }
  // The opening and the menu are hubs, not detours: going there ("start
  // over", "menu") leaves every interrupted flow behind.
  if (position.flow == dialogs_.config().start ||
      position.flow == dialogs_.config().menu) {
    session_.stack.clear();
    return Replace(position);
  }
  if (session_.stack.size() >= kMaxStack) {
    session_.stack.erase(session_.stack.begin());
  }
  session_.stack.push_back(position);
  Enter(position);
}

void FlowRunner::Replace(const FlowPosition& position) {
  if (session_.stack.empty()) {
    session_.stack.push_back(position);
  } else {
    session_.stack.back() = position;
  }
  Enter(position);
}

// Nothing changes the stack before the last use of `position` but the
// assignment to that same top.
void FlowRunner::Enter(const FlowPosition& position) {
  if (++hops_ > kMaxHops) return;
  const NodeSpec* node = dialogs_.FindNode(position.flow, position.node);
  if (node == nullptr) return;
  if (node->couples && session_.abuse) {
    return Replace(Resolved(dialogs_.config().abuse_redirect));
  }
  if (HarmRiskLasts() && !dialogs_.config().risk_redirect.empty()) {
    const FlowSpec* flow = dialogs_.FindFlow(position.flow);
    if (flow != nullptr && flow->repair_work) {
      // A minor hears the minors' answer (the youth line), not the adult one.
      const std::string& redirect =
          session_.minor && !dialogs_.config().minor_redirect.empty()
              ? dialogs_.config().minor_redirect
              : dialogs_.config().risk_redirect;
      return Replace(Resolved(redirect));
    }
  }
  if (session_.minor && !dialogs_.config().minor_redirect.empty()) {
    const FlowSpec* flow = dialogs_.FindFlow(position.flow);
    if (node->not_for_minors || (flow != nullptr && flow->not_for_minors)) {
      return Replace(Resolved(dialogs_.config().minor_redirect));
    }
  }
  if (&session_.stack.back() != &position) session_.stack.back() = position;
  for (const Branch& branch : node->branch) {
    if (!BranchHolds(branch)) continue;
    // The node it leads to is entered afresh: its own first line, not only
    // its last paragraph as after a detour.
    if (branch.if_slot == "@back") returning_ = false;
    return Go(branch.to);
  }
  for (const auto& [slot, value] : node->set) session_.slots[slot] = value;
  // Asked for again a few turns after the offer was made ("how do i get
  // her to trust me again" after the four parts were offered), or reached a
  // third time: the person wants what is offered, not the offer again. A
  // statement that only leads back to it ("i already gave her my
  // passwords") hears the offer a second time.
  if (!returning_ && IsOffer(*node) &&
      (asking_ ? OfferedLately(position) : OfferedTwiceLately(position))) {
    return Go(node->on.at("yes"));
  }
  key_.assign(position.flow).append(1, '.').append(position.node);
  // A node entered again (after a detour, a hub reached twice) says its
  // `again` lines, which do not replay the first visit.
  const bool again = !node->again.empty() && session_.visits.count(key_) > 0;
  if (again) {
    ++session_.visits[key_];
    key_.append("#again");
  }
  // Back after a detour at a node without `again`: only the last paragraph
  // (the question) of a variant, not the whole first visit again.
  const bool question_only = returning_ && !again;
  returning_ = false;
  const size_t before = reply_.messages.size();
  // A node that attaches the lines may name them in its text: `{lines}`.
  if (node->resources) {
    AttachResources();
    session_.slots["lines"] = LinesText(reply_.resources);
  }
  Say(again ? node->again : node->say, key_, node->quick_replies);
  if (node->resources) session_.slots.erase("lines");
  if (reply_.messages.size() > before) {
    std::string& text = reply_.messages.back().text;
    const size_t cut = text.rfind("\n\n");
    const std::string_view question =
        cut == std::string::npos ? std::string_view(text)
                                 : std::string_view(text).substr(cut + 2);
    // Back after a detour, the question asked a moment ago stands: a short
    // carry-on line with its quick replies instead of the same words again.
    // So too for a question asked twice lately in other words ("Does your
    // partner know what happened?", then "First, does your partner know
    // about it?"): it is not put a third time. The node notes its visits as
    // "@asked1:flow.node" and "@asked2:flow.node", as offers do.
    const std::string node_key = position.flow + "." + position.node;
    if (question_only &&
        (SaidLately(question) || SaidLately("@asked2:" + node_key))) {
      // Not a line announcing the question either ("We can pick up from
      // there whenever you're ready."): the detour's answer ends the reply.
      reply_.messages.pop_back();
      StandUnsaid(node);
    } else {
      if (question_only && cut != std::string::npos) text.erase(0, cut + 2);
      // How the person feels (a free-text question naming the feelings,
      // not an offer such as the anger node's), asked a moment ago by this
      // node or another in other words ("How are you feeling about it?", then
      // "What are you feeling most right now?"), and answered with something
      // else: the node's own words stand without the question, and its `on`
      // still reads the answer.
      if (!question_only && cut != std::string::npos &&
          !node->capture.empty() && AsksFeelings(*node)) {
        const uint32_t* asked = SaidOn(session_, SaidKey(kFeelingsMark));
        if (asked != nullptr && session_.turns - *asked <= 1) {
          text.erase(cut);
        } else {
          MarkSaid(SaidKey(kFeelingsMark), session_.turns, &session_);
        }
      }
      // The question said, whole or as the last paragraph, for the check
      // above on the next return.
      MarkSaid(SaidKey(question_only ? std::string_view(text) : question),
               session_.turns, &session_);
      const std::string first = "@asked1:" + node_key;
      MarkSaid(SaidKey(SaidLately(first) ? "@asked2:" + node_key : first),
               session_.turns, &session_);
    }
  }
  if (IsOffer(*node) && reply_.messages.size() > before) MarkOffer(position);
  // Said in full, not only its question after a detour.
  if (node->points_to_lines && !question_only &&
      reply_.messages.size() > before) {
    points_to_lines_ = true;
  }
  if (!node->next.empty()) return Go(node->next);
  if (IsTerminal(*node) && session_.stack.size() > 1) Return();
}

bool FlowRunner::AsksFeelings(const NodeSpec& node) const {
  const auto feelings =
      std::count_if(node.on.begin(), node.on.end(), [&](const auto& on) {
        const IntentSpec* intent = dialogs_.FindIntent(on.first);
        return intent != nullptr && intent->kind == "feeling";
      });
  return feelings >= kFeelingsNamed;
}

void FlowRunner::Return() {
  if (session_.stack.size() <= 1) return EndFlow();
  // The detour was a coaching topic of its own, not an aside such as
  // thanks or an off-topic question.
  const bool topic =
      IsCoachingTopic(dialogs_.FindFlow(session_.stack.back().flow));
  session_.stack.pop_back();
  // An offer made twice lately, and left for something else both times, an
  // offer left for another coaching topic, or a clarifying question left
  // for anything, is not put again on the way back: the detour's answer
  // stands, and the node's `on` still reads the next message ("yes" still
  // takes it).
  // A node that waits for nothing (its flow had said its last words) is
  // not said again either: "Back to that now." would lead nowhere.
  // A safety question asked twice already (its words and its `again`) and
  // left both times for the person's own topic is not asked a third time:
  // the lines stay attached while the risk lasts, and "Can I check in once
  // more?" after every answer reads as not listening.
  const NodeSpec* left = CurrentNode();
  if (AskedTwice(session_.stack.back()) ||
      OfferedTwiceLately(session_.stack.back()) ||
      (topic && OfferedLately(session_.stack.back())) ||
      (left != nullptr && (left->clarify || WaitsForNothing(*left)))) {
    if (session_.stack.size() > 1) return Return();
    return;
  }
  // "We were talking about how you feel." tells the person which thread is
  // picked up again; flows without a recap get the plain line. Once in six
  // turns: after a second detour close to the first, the thread is plain
  // from the question itself, and a second "We were talking about..." or
  // "Back to..." reads as a loop.
  const FlowSpec* flow = dialogs_.FindFlow(session_.stack.back().flow);
  const size_t recap_at = reply_.messages.size();
  if (RecappedLately()) {
    // Nothing before the node's question.
  } else if (IsCoachingTopic(flow) && !dialogs_.config().return_recap.empty()) {
    std::map<std::string, std::string> slots = session_.slots;
    slots["recap"] = flow->recap;
    reply_.messages.push_back(
        {RenderTemplate(Choose(dialogs_.config().return_recap, "@return"),
                        slots, dialogs_.reflections()),
         {}});
  } else {
    Say(dialogs_.config().returning, "@return");
  }
  const bool announced = reply_.messages.size() > recap_at;
  MarkRecap();
  returning_ = true;
  Enter(session_.stack.back());
  // Nothing came after the line (the node's question was asked a moment
  // ago, or it said nothing more): "We were talking about X. Back to that
  // now." would announce a question that never comes.
  if (announced && reply_.messages.size() == recap_at + 1) {
    reply_.messages.erase(reply_.messages.begin() +
                          static_cast<std::ptrdiff_t>(recap_at));
    StandUnsaid(CurrentNode());
  }
}

namespace {
// The key in Session::said that stands for "a recap or a return line was
// said": any of them, whatever its variant or flow.
constexpr char kRecapMark[] = "@recap";
}  // namespace

// A node of a flow with a recap (a coaching topic, not the opening, the
// menu or a utility), other than a clarifying question, was said before:
// the person has told the coach what it is about.
bool FlowRunner::KnowsTopic() const {
  return std::any_of(
      session_.visits.begin(), session_.visits.end(), [&](const auto& visit) {
        const std::string& key = visit.first;
        const size_t dot = key.find('.');
        if (dot == std::string::npos || key[0] == '@') return false;
        const std::string_view flow_id = std::string_view(key).substr(0, dot);
        if (!IsCoachingTopic(dialogs_.FindFlow(flow_id))) return false;
        // A clarifying question asked is not the person's answer to it.
        const NodeSpec* node =
            dialogs_.FindNode(flow_id, std::string_view(key).substr(dot + 1));
        return node != nullptr && !node->clarify;
      });
}

bool FlowRunner::RecappedLately() const { return SaidLately(kRecapMark); }

bool FlowRunner::RepromptedLately(const NodeSpec& node) const {
  return std::any_of(node.reprompt.begin(), node.reprompt.end(),
                     [&](const std::string& line) { return SaidLately(line); });
}

// Two marks per offer node in Session::said, the first and the second
// offer within kRecentTurns turns: "@offer1:flow.node", "@offer2:...".
bool FlowRunner::OfferedTwiceLately(const FlowPosition& position) const {
  if (!OfferedLately(position)) return false;
  const std::string key = position.flow + "." + position.node;
  return SaidLately("@offer1:" + key) && SaidLately("@offer2:" + key);
}

bool FlowRunner::AskedTwice(const FlowPosition& position) const {
  if (position.flow != dialogs_.config().safety_flow) return false;
  const NodeSpec* node = dialogs_.FindNode(position.flow, position.node);
  if (node == nullptr || node->again.empty()) return false;
  const auto visits = session_.visits.find(position.flow + "." + position.node);
  return visits != session_.visits.end() && visits->second >= 2;
}

bool FlowRunner::OfferedLately(const FlowPosition& position) const {
  // The safety flow asks again while the risk lasts, on purpose.
  if (position.flow == dialogs_.config().safety_flow) return false;
  const NodeSpec* node = dialogs_.FindNode(position.flow, position.node);
  if (node == nullptr || !IsOffer(*node)) return false;
  const std::string key = position.flow + "." + position.node;
  return SaidLately("@offer1:" + key) || SaidLately("@offer2:" + key);
}

void FlowRunner::ForgetOffer(const FlowPosition& position) {
  const std::string key = position.flow + "." + position.node;
  ForgetSaid(SaidKey("@offer1:" + key), &session_);
  ForgetSaid(SaidKey("@offer2:" + key), &session_);
}

void FlowRunner::MarkOffer(const FlowPosition& position) {
  const std::string key = position.flow + "." + position.node;
  const std::string first = "@offer1:" + key;
  MarkSaid(SaidKey(SaidLately(first) ? "@offer2:" + key : first),
           session_.turns, &session_);
}

void FlowRunner::MarkRecap() {
  MarkSaid(SaidKey(kRecapMark), session_.turns, &session_);
}

void FlowRunner::EndFlow() {
  if (session_.stack.size() > 1) session_.stack.pop_back();
}

bool FlowRunner::HarmRiskLasts() const {
  if (session_.risk_left == 0 || session_.slots.count(kRiskWatchSlot) > 0) {
    return false;
  }
  const SafetyKind kind =
      ParseSafetyKind(session_.risk).value_or(SafetyKind::kNone);
  return kind == SafetyKind::kAbuse || kind == SafetyKind::kDangerNow ||
         kind == SafetyKind::kSexualViolence ||
         kind == SafetyKind::kChildSafety;
}

bool FlowRunner::BranchHolds(const Branch& branch) const {
  std::string_view value;
  if (!branch.known.empty()) {
    if (branch.known == "@returning") {
      value = session_.turns > 1 ? "true" : "";
    } else if (branch.known == "@topic") {
      value = KnowsTopic() ? "true" : "";
    } else if (branch.known == "@after") {
      // The flow (or "flow.node", when `equals` names one) the last turn
      // ended at: "is that enough?" or "what if it doesn't work" is asked
      // about what was said last.
      if (session_.history.empty()) return false;
      const std::string& last = session_.history.back().node;
      if (branch.equals.find('.') != std::string::npos) {
        return last == branch.equals;
      }
      value = std::string_view(last).substr(0, last.find('.'));
    } else if (branch.known == "@after_topic") {
      // The topic of the intent that won the last turn ("start_talk":
      // communication), wherever its answer lives.
      if (session_.history.empty()) return false;
      const IntentSpec* intent =
          dialogs_.FindIntent(session_.history.back().intent);
      if (intent != nullptr) value = intent->topic;
    } else if (branch.known == "@held") {
      value = held_topic_;
    } else if (branch.known == "@midflow") {
      // Entered as a detour from a flow that is still going.
      value = session_.stack.size() > 1 ? "true" : "";
    } else if (auto it = session_.facts.find(branch.known);
               it != session_.facts.end()) {
      value = it->second;
    }
    return branch.equals.empty() ? !value.empty() : value == branch.equals;
  }
  if (branch.if_slot.empty()) return true;
  if (branch.if_slot == "@abuse") {
    value = session_.abuse ? "true" : "";
  } else if (branch.if_slot == "@minor") {
    value = session_.minor ? "true" : "";
  } else if (branch.if_slot == "@risk") {
    value = session_.risk;
  } else if (branch.if_slot == "@asking") {
    value = framed_question_ ? "true" : "";
  } else if (branch.if_slot == "@back") {
    // Entered again by Return() after a detour: a crisis node answers with
    // a short line rather than its whole block once more.
    value = returning_ ? "true" : "";
  } else {
    auto it = session_.slots.find(branch.if_slot);
    if (it != session_.slots.end()) value = it->second;
  }
  return branch.equals.empty() ? !value.empty() : value == branch.equals;
}

void FlowRunner::AttachResources() {
  SafetyKind kind = ParseSafetyKind(session_.risk).value_or(SafetyKind::kNone);
  // Control named in a check-in, with no crisis answer yet: the abuse line.
  if (kind == SafetyKind::kNone && session_.abuse) kind = SafetyKind::kAbuse;
  const ResourceDirectory& directory = dialogs_.resources();
  reply_.resources = directory.ResourcesFor(
      kind, session_.minor, directory.ResolveRegion(options_.region));
}

FlowPosition FlowRunner::Resolved(const std::string& target) const {
  FlowPosition position;
  if (!dialogs_.Resolve("", target, &position)) {
    position = {dialogs_.config().menu, ""};
  }
  return position;
}

}  // namespace trustcoach
