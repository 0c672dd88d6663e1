#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/dialog_loader.h"
#include "engine/engine.h"

namespace trustcoach {

// The content rules every dialogs folder must keep, checked on a loaded
// DialogSet: by `trustcoach lint`, by the server when it loads or reloads
// dialogs, and by tests/dialogs/content_test.cc. Each problem is one line,
// "FILE: /json/pointer: problem" where a place is known.
//  - wording: nothing the coach can say blames, dismisses or labels either
//    person (WordingBlocklist()), or claims to be human or a therapist;
//  - help: every path through every flow passes a node that points to
//    professional help (`therapy`, or the safety flow's `resources`) before
//    it ends;
//  - variety: a node that says something and waits for the person has at
//    least two variants (the safety flow keeps its fixed wording);
//  - requests: a free-text question (`capture`) lets a request for therapy
//    through (names "ask_therapy" and "ask_find_therapist" in `on`, when the
//    dialogs define them).
// These read the dialogs only and take a few milliseconds. Unknown and
// unused concepts are checked by DialogSet::Load() itself.
std::vector<std::string> CheckContent(const Engine& engine);

// Whether the patterns understand what the dialogs say they do, checked by
// `trustcoach lint` and tests/dialogs/content_test.cc (not by the server: it
// runs the engine over every example and quick reply, about half a second
// for the shipped dialogs, and a miss makes a worse match, not unsafe text).
// Same format as CheckContent().
//  - quick replies: each is understood at the node that offers it (reaches
//    an intent the node expects or one that starts a flow, or the safety
//    screen), unless the node takes any reply (`else`);
//  - examples: each of an intent's `examples`, said at its node ("at") or
//    as the first message, reaches the intent; no `not_examples` does.
std::vector<std::string> CheckUnderstanding(const Engine& engine);

// Whole words or phrases the coach must never say, folded to lower case.
const std::vector<std::string>& WordingBlocklist();

// The blocked phrases `text` contains as whole words, after folding case and
// curly quotes and setting aside phrases that say the opposite ("not your
// fault").
std::vector<std::string> BlockedPhrases(std::string_view text);

}  // namespace trustcoach
