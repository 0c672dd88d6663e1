#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace trustcoach::bench {

// The shipped dialogs (dialogs/ in the source tree).
std::string ShippedDialogsDir();

// One message of the realistic mix and what it stands for.
enum class Kind { kOpening, kCoaching, kFallback, kCrisis };
struct ScriptedTurn {
  Kind kind;
  std::string_view text;  // empty for kOpening (Engine::Start)
};

// A realistic conversation: an opening, coaching answers, a few
// fallbacks and one crisis message, in the proportions of the mix.
const std::vector<ScriptedTurn>& RealisticMix();
std::string_view KindName(Kind kind);

// Writes a dialogs folder under `dir` (created) holding a copy of the shipped
// dialogs plus flows/generated.json with `intents` generated global intents,
// each with two patterns and its own one-node flow.
// Returns the number of intents of the folder in total.
size_t WriteGrowthDialogs(const std::string& dir, size_t intents);

// A message of about `bytes` bytes of ordinary words that matches the
// generated intent `index` near its end.
std::string GrowthMessage(size_t bytes, size_t index);

// Every distinct user message of the conversation and line sets under
// tests/data (JSON lines: a conversation's turns' "user", a line's "text"),
// as typed, in file order; empty if the folder is missing.
const std::vector<std::string>& NovelMessages();

// The process's resident memory (/proc/self/statm), in MB; 0 if unknown.
double ResidentMegabytes();

// Heap bytes currently allocated through operator new by this thread
// (bench_util.cc replaces the global operator new/delete to count them).
size_t ThreadHeapBytes();

}  // namespace trustcoach::bench
