#include "engine/template.h"

#include <catch2/catch.hpp>

namespace trustcoach {
namespace {

const Reflections kReflections = {
    {"i", "you"}, {"my", "your"}, {"me", "you"}, {"am", "are"}};

TEST_CASE("RenderTemplate fills slots and defaults", "[engine][template]") {
  const std::map<std::string, std::string> slots = {{"partner", "husband"},
                                                    {"empty", ""}};
  auto [tmpl, expected] = GENERATE(table<std::string, std::string>({
      {"Your {partner} said", "Your husband said"},
      {"{partner|your partner}", "husband"},
      {"{missing|your partner}", "your partner"},
      {"{empty|someone}", "someone"},
      {"{missing}.", "."},
      {"no slots", "no slots"},
      {"a { brace", "a { brace"},
      {"{not a slot}", "{not a slot}"},
      {"{}", "{}"},
      {"unclosed {partner", "unclosed {partner"},
  }));
  CAPTURE(tmpl);
  CHECK(RenderTemplate(tmpl, slots, kReflections) == expected);
}

TEST_CASE("Reflection swaps first person for second", "[engine][template]") {
  CHECK(Reflect("i am hurt by my husband", kReflections) ==
        "you are hurt by your husband");
  CHECK(Reflect("he told me.", kReflections) == "he told you.");
  CHECK(Reflect("", kReflections).empty());
  const std::map<std::string, std::string> slots = {
      {"promise", "i will call my mum"}};
  CHECK(RenderTemplate("So: \"{~promise}\"", slots, kReflections) ==
        "So: \"you will call your mum\"");
  CHECK(RenderTemplate("{~missing|that}", slots, kReflections) == "that");
}

TEST_CASE("The verb after 'i' agrees once it is 'you'", "[engine][template]") {
  CHECK(Reflect("i was hurt", kReflections) == "you were hurt");
  CHECK(Reflect("i really was.", kReflections) == "you really were.");
  CHECK(Reflect("he was there and i was not", kReflections) ==
        "he was there and you were not");
}

TEST_CASE("An empty slot says the fact of that name", "[engine][template]") {
  const std::map<std::string, std::string> slots = {{"cause", ""},
                                                    {"partner", "wife"}};
  const std::map<std::string, std::string> facts = {
      {"event", "the affair"}, {"partner", "husband"}, {"cause", "lies"}};
  CHECK(RenderTemplate("since {event|what happened}", slots, kReflections,
                       &facts) == "since the affair");
  // A slot the flow filled wins over the fact.
  CHECK(RenderTemplate("your {partner}", slots, kReflections, &facts) ==
        "your wife");
  CHECK(RenderTemplate("{cause|it}", slots, kReflections, &facts) == "lies");
  CHECK(RenderTemplate("since {event|what happened}", slots, kReflections) ==
        "since what happened");
}

TEST_CASE("TemplateSlots lists the slots a template uses",
          "[engine][template]") {
  CHECK(TemplateSlots("{a} and {~b|x} but not {c d}") ==
        std::vector<std::string>{"a", "b"});
}

}  // namespace
}  // namespace trustcoach
