#include "engine/session.h"

#include <catch2/catch.hpp>

namespace trustcoach {
namespace {

Session Sample() {
  Session s;
  s.seed = 0xFFFFFFFFFFFFFFFFull;
  s.stack = {{"hurt", "open"}, {"therapy", "open"}};
  s.slots = {{"partner", "wife"}, {"promise", "text when late \u00e9"}};
  s.facts = {{"event", "the affair"}, {"feeling", "anger"}};
  s.visits = {{"hurt.open", 2}};
  s.turns = 7;
  s.misses = 1;
  s.risk = "suicide";
  s.risk_left = 3;
  s.abuse = true;
  s.minor = true;
  s.history = {{"hurt", "hurt.open"}, {"", "hurt.open"}};
  // Sorted by key; "0000000f" < "2706ff8e" < "a0000000" as text too.
  s.said = {{0x0000000fu, 3}, {0x2706ff8eu, 6}, {0xa0000000u, 7}};
  return s;
}

TEST_CASE("Session survives a JSON round trip", "[engine][session]") {
  const Session original = Sample();
  Session copy;
  REQUIRE(ParseSession(SerializeSession(original), &copy).ok());
  CHECK(copy == original);

  Session empty;
  REQUIRE(ParseSession(SerializeSession(Session{}), &empty).ok());
  CHECK(empty == Session{});
}

TEST_CASE("Session serialisation is versioned and compact",
          "[engine][session]") {
  const std::string text = SerializeSession(Sample());
  CHECK(text.rfind("{", 0) == 0);
  CHECK(nlohmann::json::parse(text).at("v") == Session::kVersion);
  CHECK(text.size() < 400);
}

TEST_CASE("SerializeSession writes what SessionToJson().dump() writes",
          "[engine][session]") {
  Session escapes = Sample();
  escapes.slots = {{"quote", "say \"hi\" \\ back"},
                   {"control", std::string("a\b\f\n\r\t\x01\x1f\x7f", 9)}};
  escapes.abuse = false;
  escapes.risk.clear();
  for (const Session& session : {Sample(), Session{}, escapes}) {
    CHECK(SerializeSession(session) == SessionToJson(session).dump());
  }
}

TEST_CASE("Lines said lately are written as 8 hex digits, in key order",
          "[engine][session]") {
  const nlohmann::json said =
      nlohmann::json::parse(SerializeSession(Sample())).at("said");
  CHECK(said ==
        nlohmann::json::parse(R"({"0000000f":3,"2706ff8e":6,"a0000000":7})"));
  uint32_t key = 0;
  CHECK(ParseSaidKey("2706ff8e", &key));
  CHECK(key == 0x2706ff8eu);
  CHECK(SaidKeyText(key) == "2706ff8e");
  for (const char* bad : {"", "2706ff8", "2706ff8e0", "2706FF8E", "2706ff8g"}) {
    CHECK_FALSE(ParseSaidKey(bad, &key));
  }

  Session session;
  MarkSaid(0x20u, 4, &session);
  MarkSaid(0x10u, 5, &session);
  MarkSaid(0x20u, 6, &session);
  CHECK(session.said ==
        std::vector<std::pair<uint32_t, uint32_t>>{{0x10u, 5}, {0x20u, 6}});
  REQUIRE(SaidOn(session, 0x20u) != nullptr);
  CHECK(*SaidOn(session, 0x20u) == 6);
  CHECK(SaidOn(session, 0x30u) == nullptr);
  ForgetSaid(0x10u, &session);
  ForgetSaid(0x30u, &session);
  CHECK(session.said == std::vector<std::pair<uint32_t, uint32_t>>{{0x20u, 6}});

  // A key that is not 8 hex digits is refused, by either parser.
  Session parsed;
  std::string text = SerializeSession(Sample());
  text.replace(text.find("2706ff8e"), 8, "line one");
  CHECK_FALSE(ParseSession(text, &parsed).ok());
  CHECK(parsed == Session{});
}

TEST_CASE("ParseSession reads canonical and other JSON alike",
          "[engine][session]") {
  Session ascii = Sample();
  ascii.slots = {{"quote", "say \"hi\" \\ back\n"}, {"z", ""}};
  for (const Session& session : {Sample(), Session{}, ascii}) {
    const std::string text = SerializeSession(session);
    Session fast, general;
    REQUIRE(ParseSession(text, &fast).ok());
    REQUIRE(SessionFromJson(nlohmann::json::parse(text), &general).ok());
    CHECK(fast == session);
    CHECK(general == session);
    // The same state with white space and other key order.
    Session spaced;
    REQUIRE(ParseSession(SessionToJson(session).dump(1), &spaced).ok());
    CHECK(spaced == session);
  }
}

TEST_CASE("Sessions written before the risk state still load",
          "[engine][session]") {
  // As version 1 wrote them before issue 14: no "risk_left".
  const std::string old =
      R"({"abuse":true,"history":[],"misses":0,"risk":"suicide","seed":5,)"
      R"("slots":{},"stack":[["safety","suicide"]],"turns":2,"v":1,)"
      R"("visits":{}})";
  Session session;
  REQUIRE(ParseSession(old, &session).ok());
  CHECK(session.risk == "suicide");
  CHECK(session.risk_left == 0);
  CHECK(session.facts.empty());  // written before facts were kept
  CHECK(session.abuse);
  Session spaced;
  REQUIRE(ParseSession(nlohmann::json::parse(old).dump(1), &spaced).ok());
  CHECK(spaced == session);
  // A negative or fractional count is refused.
  Session untouched = session;
  CHECK(ParseSession(R"({"v":1,"seed":1,"stack":[],"slots":{},"visits":{},)"
                     R"("turns":0,"misses":0,"history":[],"risk_left":-1})",
                     &untouched)
            .IsInvalidArgument());
  CHECK(untouched == session);
}

TEST_CASE("Broken session JSON is refused and leaves the session alone",
          "[engine][session]") {
  const Session original = Sample();
  auto text = GENERATE(
      as<std::string>{}, "", "not json", "[]", "{}", R"({"v":2,"seed":1})",
      R"({"v":1,"seed":"x","stack":[],"slots":{},"visits":{},"turns":0,"misses":0,"history":[]})",
      R"({"v":1,"seed":1,"stack":[["only-one"]],"slots":{},"visits":{},"turns":0,"misses":0,"history":[]})",
      // Numbers out of range were cast (undefined behaviour; found by
      // fuzz/session_fuzzer.cc).
      R"({"v":1,"seed":18456744073709551615,"stack":[],"slots":{},"visits":{},"turns":0,"misses":0,"history":[]})",
      R"({"v":1,"seed":1,"stack":[],"slots":{},"visits":{},"turns":4294967296,"misses":0,"history":[]})",
      R"({"v":1,"seed":1,"stack":[],"slots":{},"visits":{"a.b":1e300},"turns":0,"misses":0,"history":[]})",
      R"({"v":1,"seed":1,"stack":[],"slots":{},"visits":{},"turns":-1,"misses":0,"history":[]})",
      R"({"v":1e300,"seed":1,"stack":[],"slots":{},"visits":{},"turns":0,"misses":0,"history":[]})");
  CAPTURE(text);
  Session session = original;
  Status s = ParseSession(text, &session);
  CHECK(s.IsInvalidArgument());
  CHECK(session == original);
}

}  // namespace
}  // namespace trustcoach
