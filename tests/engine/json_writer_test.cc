#include "engine/json_writer.h"

#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

namespace trustcoach {
namespace {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string Written(std::string_view text) {
  std::string out;
  AppendJsonString(text, &out);
  return out;
}

TEST_CASE("Strings are escaped as nlohmann::json writes them", "[json]") {
  const std::string text = GENERATE(
      std::string(""), std::string("plain words"), std::string("\"quoted\""),
      std::string("back\\slash"), std::string("tab\tnew\nline\rret\bff\f"),
      std::string("nul \0 and \x01 \x1f \x7f", 15),
      std::string("caf\xC3\xA9 \xE2\x80\x94 na\xC3\xAFve"),
      std::string("emoji \xF0\x9F\x98\xA2\xF0\x9F\x92\x94"),
      std::string("\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D RTL"),
      std::string("\xE2\x80\xAE override"), std::string(300, 'x'));
  CAPTURE(text);
  CHECK(Written(text) == Dump(text));
}

TEST_CASE("Invalid UTF-8 becomes U+FFFD and the output stays valid JSON",
          "[json]") {
  const std::string text =
      GENERATE(std::string("\xff"), std::string("a\xC3"),
               std::string("\xC0\xAF"), std::string("\xED\xA0\x80 surrogate"),
               std::string("\xF4\x90\x80\x80"), std::string("\xE2\x82 cut"),
               std::string("ok \xF0\x9F\x98"), std::string("\x80\x80\x80"));
  CAPTURE(text);
  const std::string written = Written(text);
  const json parsed = json::parse(written, nullptr, false);
  REQUIRE_FALSE(parsed.is_discarded());
  CHECK(parsed.get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
  // The valid part survives.
  if (text.starts_with("ok ")) {
    CHECK(parsed.get<std::string>().starts_with("ok "));
  }
}

TEST_CASE("Every byte at every position of a word escapes as nlohmann's",
          "[json]") {
  // The escaper checks eight bytes at a time: put each byte value at each
  // position around two words.
  for (size_t position = 0; position < 20; ++position) {
    for (int byte = 0; byte < 256; ++byte) {
      std::string text(20, 'a');
      text[position] = static_cast<char>(byte);
      CAPTURE(position, byte);
      REQUIRE(Written(text) == Dump(text));
      // Plain exactly when quoting is all the escaper does.
      REQUIRE(IsPlainJsonText(text) == (Written(text) == '"' + text + '"'));
    }
  }
}

TEST_CASE("Plain JSON text is valid UTF-8 with nothing to escape", "[json]") {
  CHECK(IsPlainJsonText(""));
  CHECK(IsPlainJsonText("I'm fine, thanks"));
  CHECK(IsPlainJsonText("caf\xC3\xA9 \xF0\x9F\x92\x94 \xD7\xA9\xD7\x9C"));
  CHECK_FALSE(IsPlainJsonText("say \"hi\""));
  CHECK_FALSE(IsPlainJsonText("back\\slash"));
  CHECK_FALSE(IsPlainJsonText("line\nbreak"));
  CHECK_FALSE(IsPlainJsonText("cut \xC3"));
  CHECK_FALSE(IsPlainJsonText("\xED\xA0\x80"));      // a surrogate
  CHECK_FALSE(IsPlainJsonText("\xF4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(IsPlainJsonText("\xC0\xAF"));          // overlong
}

TEST_CASE("JsonWriter places commas and nests", "[json]") {
  std::string out;
  JsonWriter writer(&out);
  writer.BeginObject()
      .Key("a")
      .Int(-3)
      .Key("b")
      .BeginArray()
      .Uint(18446744073709551615u)
      .Bool(false)
      .BeginObject()
      .EndObject()
      .BeginArray()
      .EndArray()
      .String("x")
      .EndArray()
      .Key("c")
      .Raw(R"({"k":[1,2]})")
      .Key("d")
      .Bool(true)
      .EndObject();
  CHECK(
      out ==
      R"({"a":-3,"b":[18446744073709551615,false,{},[],"x"],"c":{"k":[1,2]},"d":true})");
  CHECK(json::parse(out).dump() == out);
}

}  // namespace
}  // namespace trustcoach
