// SafetyScreen::RuleIds(): every rule a verdict can name, as coverage
// (trustcoach test --coverage) counts them.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "engine/dialog_loader.h"
#include "engine/engine.h"

namespace trustcoach {
namespace {

TEST_CASE(
    "The safety screen lists its rule ids, section by section in file order",
    "[safety][coverage]") {
  std::unique_ptr<Engine> engine;
  REQUIRE(Engine::Load(TRUSTCOACH_DIALOGS_DIR, &engine).ok());
  std::ifstream in(std::string(TRUSTCOACH_DIALOGS_DIR) + "/safety.json");
  const nlohmann::json spec = nlohmann::json::parse(in);
  std::vector<std::string> expected;
  for (const char* section : {"crisis", "negations", "check_in", "idioms"}) {
    for (const nlohmann::json& rule :
         spec.value(section, nlohmann::json::array())) {
      expected.push_back(rule.at("id").get<std::string>());
    }
  }
  const std::vector<std::string> ids = engine->dialogs().safety().RuleIds();
  CHECK(ids == expected);
  REQUIRE_FALSE(ids.empty());
  // Each id is one a verdict can name.
  for (const std::string& id : ids) {
    CAPTURE(id);
    CHECK_FALSE(id.empty());
  }
}

}  // namespace
}  // namespace trustcoach
