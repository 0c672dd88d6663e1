#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/status.h"

namespace trustcoach {

// Where a conversation is in a flow.
struct FlowPosition {
  std::string flow;
  std::string node;
  bool operator==(const FlowPosition&) const = default;
};

// One past turn, for context and explain. Holds no message text.
struct TurnRecord {
  std::string intent;
  std::string node;  // "flow.node" after the turn
  bool operator==(const TurnRecord&) const = default;
};

// The whole state of one conversation, as the engine needs it between turns.
// A plain value: copy it, store it, compare it.
struct Session {
  static constexpr int kVersion = 1;
  static constexpr size_t kMaxHistory = 4;
  static constexpr uint32_t kRecentTurns = 6;

  uint64_t seed = 0;                // chooses reply variants
  std::vector<FlowPosition> stack;  // back() is the current position
  std::map<std::string, std::string> slots;
  // What the person has told the coach, from every signal of every message
  // (not only the intent that won): "side", "partner", "event", "feeling",
  // "feelings", "therapy", ... (intents' `facts`, docs/dialog-format.md).
  // Nodes branch on them (`known`) and templates say them ({event}).
  std::map<std::string, std::string> facts;
  std::map<std::string, uint32_t> visits;  // "flow.node" -> times entered
  // Lines said lately: (a 32-bit hash of the line's template, the turn it
  // was last said on), sorted by hash, so that no line is said again within
  // kRecentTurns turns while another variant is left. Pruned every turn.
  // Written out as an object of 8 hex digits -> turn. A sorted vector: it
  // holds about a dozen entries, and a map node per entry was a sixth of a
  // Session's memory.
  std::vector<std::pair<uint32_t, uint32_t>> said;
  uint32_t turns = 0;
  uint32_t misses = 0;  // consecutive fallbacks
  std::string risk;     // safety kind seen in this conversation, "" if none
  // Messages the risk state still lasts (engine/risk.h); 0 outside it.
  uint32_t risk_left = 0;
  bool abuse = false;               // abuse seen: no couples work from now on
  bool minor = false;               // the person said they are under 18
  std::vector<TurnRecord> history;  // the last kMaxHistory turns

  bool operator==(const Session&) const = default;
};

// Compact, versioned JSON ({"v":1,...}).
// Session::said: the turn the line `key` was last said on, or null.
const uint32_t* SaidOn(const Session& session, uint32_t key);
// Records that the line `key` was said on `turn`.
void MarkSaid(uint32_t key, uint32_t turn, Session* session);
void ForgetSaid(uint32_t key, Session* session);
// A said key as it is written out ("%08x"), and back: false unless `text`
// is exactly 8 lowercase hex digits.
std::string SaidKeyText(uint32_t key);
bool ParseSaidKey(std::string_view text, uint32_t* key);

nlohmann::json SessionToJson(const Session& session);
std::string SerializeSession(const Session& session);

// Fails with InvalidArgument on malformed JSON, a wrong field type or an
// unknown version; `*session` is untouched then.
Status SessionFromJson(const nlohmann::json& json, Session* session);
Status ParseSession(std::string_view text, Session* session);

}  // namespace trustcoach
