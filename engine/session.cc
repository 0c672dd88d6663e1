#include "engine/session.h"

#include <algorithm>
#include <cstdint>

#include "engine/json_writer.h"

namespace trustcoach {

using nlohmann::json;

namespace {

// Where `key` is or would go in Session::said (sorted by key).
template <typename Said>
auto SaidEntry(Said& said, uint32_t key) {
  return std::lower_bound(
      said.begin(), said.end(), key,
      [](const auto& entry, uint32_t k) { return entry.first < k; });
}

}  // namespace

const uint32_t* SaidOn(const Session& session, uint32_t key) {
  auto it = SaidEntry(session.said, key);
  return it != session.said.end() && it->first == key ? &it->second : nullptr;
}

void MarkSaid(uint32_t key, uint32_t turn, Session* session) {
  auto it = SaidEntry(session->said, key);
  if (it != session->said.end() && it->first == key) {
    it->second = turn;
  } else {
    session->said.emplace(it, key, turn);
  }
}

void ForgetSaid(uint32_t key, Session* session) {
  auto it = SaidEntry(session->said, key);
  if (it != session->said.end() && it->first == key) session->said.erase(it);
}

std::string SaidKeyText(uint32_t key) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, key >>= 4) out[i] = kHex[key & 0xf];
  return out;
}

bool ParseSaidKey(std::string_view text, uint32_t* key) {
  if (text.size() != 8) return false;
  uint32_t value = 0;
  for (const char c : text) {
    uint32_t digit;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint32_t>(c - 'a' + 10);
    } else {
      return false;
    }
    value = (value << 4) | digit;
  }
  *key = value;
  return true;
}

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
  if (session.risk_left > 0) out["risk_left"] = session.risk_left;
  if (!session.said.empty()) {
    json said = json::object();
    for (const auto& [key, turn] : session.said) said[SaidKeyText(key)] = turn;
    out["said"] = std::move(said);
  }
  if (session.abuse) out["abuse"] = true;
  if (!session.facts.empty()) out["facts"] = session.facts;
  if (session.minor) out["minor"] = true;
  return out;
}

// Written directly rather than as SessionToJson(session).dump(): building
// the JSON tree was a fifth of a turn's cost in the server. Keys come in
// std::map order, as dump() writes them; session_test checks both agree.
std::string SerializeSession(const Session& session) {
  std::string out;
  out.reserve(256);
  JsonWriter writer(&out);
  writer.BeginObject();
  if (session.abuse) writer.Key("abuse").Bool(true);
  if (!session.facts.empty()) {
    writer.Key("facts").BeginObject();
    for (const auto& [name, value] : session.facts) {
      writer.Key(name).String(value);
    }
    writer.EndObject();
  }
  writer.Key("history").BeginArray();
  for (const TurnRecord& turn : session.history) {
    writer.BeginArray().String(turn.intent).String(turn.node).EndArray();
  }
  writer.EndArray();
  if (session.minor) writer.Key("minor").Bool(true);
  writer.Key("misses").Uint(session.misses);
  if (!session.risk.empty()) writer.Key("risk").String(session.risk);
  if (session.risk_left > 0) writer.Key("risk_left").Uint(session.risk_left);
  if (!session.said.empty()) {
    writer.Key("said").BeginObject();
    for (const auto& [key, turn] : session.said) {
      writer.Key(SaidKeyText(key)).Uint(turn);
    }
    writer.EndObject();
  }
  writer.Key("seed").Uint(session.seed);
  writer.Key("slots").BeginObject();
  for (const auto& [name, value] : session.slots) {
    writer.Key(name).String(value);
  }
  writer.EndObject().Key("stack").BeginArray();
  for (const FlowPosition& position : session.stack) {
    writer.BeginArray().String(position.flow).String(position.node).EndArray();
  }
  writer.EndArray();
  writer.Key("turns").Uint(session.turns);
  writer.Key("v").Int(Session::kVersion);
  writer.Key("visits").BeginObject();
  for (const auto& [node, count] : session.visits) writer.Key(node).Uint(count);
  writer.EndObject().EndObject();
  return out;
}

Status SessionFromJson(const json& in, Session* session) {
  // nlohmann converts a float or out-of-range number to an integer type
  // with a plain cast, which is undefined behaviour (fuzz/session_fuzzer.cc
  // found "seed":18456744073709551615): check type and range first.
  const auto unsigned_field = [](const json& value, uint64_t max,
                                 uint64_t* out) {
    if (!value.is_number_unsigned()) return false;
    *out = value.get<uint64_t>();
    return *out <= max;
  };
  try {
    if (!in.is_object()) {
      return Status::InvalidArgument("session: not a JSON object");
    }
    uint64_t number = 0;
    if (!unsigned_field(in.at("v"), UINT32_MAX, &number) ||
        number != Session::kVersion) {
      return Status::InvalidArgument("session: unsupported version " +
                                     in.at("v").dump());
    }
    Session parsed;
    uint64_t turns = 0, misses = 0;
    if (!unsigned_field(in.at("seed"), UINT64_MAX, &parsed.seed) ||
        !unsigned_field(in.at("turns"), UINT32_MAX, &turns) ||
        !unsigned_field(in.at("misses"), UINT32_MAX, &misses) ||
        !in.at("visits").is_object()) {
      return Status::InvalidArgument(
          "session: seed, turns, misses and visits must be unsigned integers");
    }
    parsed.turns = static_cast<uint32_t>(turns);
    parsed.misses = static_cast<uint32_t>(misses);
    for (const auto& [node, count] : in.at("visits").items()) {
      if (!unsigned_field(count, UINT32_MAX, &number)) {
        return Status::InvalidArgument(
            "session: seed, turns, misses and visits must be unsigned "
            "integers");
      }
      parsed.visits[node] = static_cast<uint32_t>(number);
    }
    for (const json& position : in.at("stack")) {
      parsed.stack.push_back({position.at(0).get<std::string>(),
                              position.at(1).get<std::string>()});
    }
    parsed.slots = in.at("slots").get<std::map<std::string, std::string>>();
    for (const json& turn : in.at("history")) {
      parsed.history.push_back(
          {turn.at(0).get<std::string>(), turn.at(1).get<std::string>()});
    }
    parsed.risk = in.value("risk", std::string());
    // Absent in sessions written before the risk state (issue 14).
    if (in.contains("risk_left")) {
      uint64_t left = 0;
      if (!unsigned_field(in.at("risk_left"), UINT32_MAX, &left)) {
        return Status::InvalidArgument(
            "session: risk_left must be an unsigned integer");
      }
      parsed.risk_left = static_cast<uint32_t>(left);
    }
    // Absent in sessions written before lines said lately were kept.
    if (in.contains("said")) {
      if (!in.at("said").is_object()) {
        return Status::InvalidArgument("session: said must be an object");
      }
      for (const auto& [line, turn] : in.at("said").items()) {
        uint32_t key = 0;
        if (!ParseSaidKey(line, &key) ||
            !unsigned_field(turn, UINT32_MAX, &number)) {
          return Status::InvalidArgument(
              "session: said must map 8 hex digits to unsigned integers");
        }
        MarkSaid(key, static_cast<uint32_t>(number), &parsed);
      }
    }
    // Absent in sessions written before facts were kept.
    if (in.contains("facts")) {
      parsed.facts = in.at("facts").get<std::map<std::string, std::string>>();
    }
    parsed.abuse = in.value("abuse", false);
    parsed.minor = in.value("minor", false);
    *session = std::move(parsed);
    return Status::OK();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("session: ") + e.what());
  }
}

namespace {

// Reads exactly the text SerializeSession() writes: sorted keys, no white
// space, ASCII strings without \\u escapes, numbers without sign or leading
// zero. Returns false on anything else, and the caller falls back to the
// general parser, so both paths accept and refuse the same inputs.
class CanonicalReader {
 public:
  explicit CanonicalReader(std::string_view text) : text_(text) {}

  bool Read(Session* out) {
    Session s;
    if (!Literal("{")) return false;
    if (Literal("\"abuse\":true,")) s.abuse = true;
    if (Literal("\"facts\":") &&
        (!Object(&s.facts) || s.facts.empty() || !Literal(","))) {
      return false;
    }
    if (!Literal("\"history\":") || !Pairs(&s.history)) return false;
    if (Literal(",\"minor\":true")) s.minor = true;
    if (!Literal(",\"misses\":") || !Uint32(&s.misses)) return false;
    if (Literal(",\"risk\":") && (!String(&s.risk) || s.risk.empty())) {
      return false;
    }
    if (Literal(",\"risk_left\":") &&
        (!Uint32(&s.risk_left) || s.risk_left == 0)) {
      return false;
    }
    if (Literal(",\"said\":") && (!Object(&s.said) || s.said.empty())) {
      return false;
    }
    if (!Literal(",\"seed\":") || !Number(&s.seed)) return false;
    if (!Literal(",\"slots\":") || !Object(&s.slots)) return false;
    if (!Literal(",\"stack\":") || !Pairs(&s.stack)) return false;
    if (!Literal(",\"turns\":") || !Uint32(&s.turns)) return false;
    uint32_t version = 0;
    if (!Literal(",\"v\":") || !Uint32(&version) ||
        version != Session::kVersion) {
      return false;
    }
    if (!Literal(",\"visits\":") || !Object(&s.visits)) return false;
    if (!Literal("}") || pos_ != text_.size()) return false;
    *out = std::move(s);
    return true;
  }

 private:
  bool Literal(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  bool String(std::string* out) {
    if (!Literal("\"")) return false;
    out->clear();
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20 ||
          static_cast<unsigned char>(c) >= 0x80) {
        return false;
      }
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ == text_.size()) return false;
      switch (text_[pos_++]) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        default:
          return false;  // \\u and invalid escapes
      }
    }
    return false;
  }

  bool Number(uint64_t* out) {
    const size_t start = pos_;
    uint64_t value = 0;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      const uint64_t digit = static_cast<uint64_t>(text_[pos_] - '0');
      if (value > (UINT64_MAX - digit) / 10) return false;
      value = value * 10 + digit;
      ++pos_;
    }
    const size_t digits = pos_ - start;
    if (digits == 0 || (digits > 1 && text_[start] == '0')) return false;
    // A fraction or exponent makes it a float: the general parser decides.
    if (pos_ < text_.size() &&
        (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E')) {
      return false;
    }
    *out = value;
    return true;
  }

  bool Uint32(uint32_t* out) {
    uint64_t value = 0;
    if (!Number(&value) || value > UINT32_MAX) return false;
    *out = static_cast<uint32_t>(value);
    return true;
  }

  bool Value(std::string* out) { return String(out); }
  bool Value(uint32_t* out) { return Uint32(out); }

  // {"key":value,...} with strictly increasing keys.
  template <typename T>
  bool Object(std::map<std::string, T>* out) {
    if (!Literal("{")) return false;
    if (Literal("}")) return true;
    do {
      std::string key;
      T value{};
      if (!String(&key) || !Literal(":") || !Value(&value)) return false;
      if (!out->empty() && !(out->rbegin()->first < key)) return false;
      out->emplace_hint(out->end(), std::move(key), std::move(value));
    } while (Literal(","));
    return Literal("}");
  }

  // {"8 hex digits":turn,...} with strictly increasing keys (Session::said).
  bool Object(std::vector<std::pair<uint32_t, uint32_t>>* out) {
    if (!Literal("{")) return false;
    if (Literal("}")) return true;
    do {
      std::string text;
      uint32_t key = 0, turn = 0;
      if (!String(&text) || !ParseSaidKey(text, &key) || !Literal(":") ||
          !Uint32(&turn)) {
        return false;
      }
      if (!out->empty() && !(out->back().first < key)) return false;
      out->emplace_back(key, turn);
    } while (Literal(","));
    return Literal("}");
  }

  // [["a","b"],...] into FlowPosition or TurnRecord.
  template <typename T>
  bool Pairs(std::vector<T>* out) {
    if (!Literal("[")) return false;
    if (Literal("]")) return true;
    do {
      std::string first, second;
      if (!Literal("[") || !String(&first) || !Literal(",") ||
          !String(&second) || !Literal("]")) {
        return false;
      }
      out->push_back(T{std::move(first), std::move(second)});
    } while (Literal(","));
    return Literal("]");
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Status ParseSession(std::string_view text, Session* session) {
  // The text this process wrote, read without building a JSON tree (a
  // quarter of a server turn's cost); anything else takes the general path.
  if (CanonicalReader(text).Read(session)) return Status::OK();
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Status::InvalidArgument("session: malformed JSON");
  }
  return SessionFromJson(parsed, session);
}

}  // namespace trustcoach
