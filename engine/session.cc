#include "engine/session.h"

namespace trustcoach {

using nlohmann::json;

json SessionToJson(const Session& session) {
  json stack = json::array();
  for (const FlowPosition& position : session.stack) {
    stack.push_back({position.flow, position.node});
  }
  json history = json::array();
  for (const TurnRecord& turn : session.history) {
    history.push_back({turn.intent, turn.node});
  }
  json out = {
      {"v", Session::kVersion},    {"seed", session.seed},
      {"stack", std::move(stack)}, {"slots", session.slots},
      {"visits", session.visits},  {"turns", session.turns},
      {"misses", session.misses},  {"history", std::move(history)},
  };
  if (!session.risk.empty()) out["risk"] = session.risk;
  if (session.abuse) out["abuse"] = true;
  if (session.minor) out["minor"] = true;
  return out;
}

std::string SerializeSession(const Session& session) {
  return SessionToJson(session).dump();
}

Status SessionFromJson(const json& in, Session* session) {
  try {
    if (!in.is_object()) {
      return Status::InvalidArgument("session: not a JSON object");
    }
    if (in.at("v").get<int>() != Session::kVersion) {
      return Status::InvalidArgument("session: unsupported version " +
                                     in.at("v").dump());
    }
    Session parsed;
    parsed.seed = in.at("seed").get<uint64_t>();
    for (const json& position : in.at("stack")) {
      parsed.stack.push_back({position.at(0).get<std::string>(),
                              position.at(1).get<std::string>()});
    }
    parsed.slots = in.at("slots").get<std::map<std::string, std::string>>();
    parsed.visits = in.at("visits").get<std::map<std::string, uint32_t>>();
    parsed.turns = in.at("turns").get<uint32_t>();
    parsed.misses = in.at("misses").get<uint32_t>();
    for (const json& turn : in.at("history")) {
      parsed.history.push_back(
          {turn.at(0).get<std::string>(), turn.at(1).get<std::string>()});
    }
    parsed.risk = in.value("risk", std::string());
    parsed.abuse = in.value("abuse", false);
    parsed.minor = in.value("minor", false);
    *session = std::move(parsed);
    return Status::OK();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("session: ") + e.what());
  }
}

Status ParseSession(std::string_view text, Session* session) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::InvalidArgument("session: malformed JSON");
  }
  return SessionFromJson(parsed, session);
}

}  // namespace trustcoach
