#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/safety.h"
#include "engine/session.h"
#include "engine/status.h"

namespace trustcoach {

class DialogSet;

struct Message {
  std::string text;
  std::vector<std::string> quick_replies;
};

struct SafetyInfo {
  SafetyKind kind = SafetyKind::kNone;
  SafetyLevel level = SafetyLevel::kNone;
  // True when this turn did not detect anything but the conversation had a
  // crisis earlier: integrators may keep a human hand-off available.
  bool earlier = false;
};

struct Reply {
  std::vector<Message> messages;
  SafetyInfo safety;
  std::vector<Resource> resources;  // non-empty on safety replies
  std::string intent;               // "" when nothing matched (fallback)
  std::string topic;                // topic of the intent or flow, "" if none
  std::string flow;                 // position after the turn
  std::string node;
  bool fallback = false;
  bool truncated = false;  // the input was cut at kMaxInputBytes
  nlohmann::json explain;  // filled when Trace::kOn
};

enum class Trace { kOff, kOn };

struct TurnOptions {
  Trace trace = Trace::kOff;
  std::string region;  // locale or region code for resources ("en-GB", "US")
};

// The dialog engine: normalize -> safety -> intent -> flow. Immutable after
// Load(); Start() and Respond() are const and safe to call from any thread
// with distinct sessions.
class Engine {
 public:
  // Loads and validates every dialog file under `dir`. On error nothing is
  // returned and the message names the file, the JSON pointer and the problem.
  static Status Load(const std::string& dir, std::unique_ptr<Engine>* out);

  // As Load(), also returning warnings (unreachable nodes).
  static Status Load(const std::string& dir, std::unique_ptr<Engine>* out,
                     std::vector<std::string>* warnings);

  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Opens a conversation: fills `*session` (seeded by `seed`) and returns the
  // opening messages.
  Reply Start(uint64_t seed, Session* session,
              const TurnOptions& options = {}) const;

  // One turn: any text (empty, huge, invalid UTF-8) is accepted.
  Reply Respond(std::string_view text, Session* session,
                const TurnOptions& options = {}) const;

  const DialogSet& dialogs() const { return *dialogs_; }

 private:
  explicit Engine(std::unique_ptr<DialogSet> dialogs);
  std::unique_ptr<DialogSet> dialogs_;
};

}  // namespace trustcoach
