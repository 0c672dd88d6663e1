#include "engine/json_writer.h"

#include <random>
#include <string>
#include <vector>

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

// The escaper's rules written the slow way, a byte at a time: what
// AppendJsonString() must produce for any input, valid UTF-8 or not.
std::string Reference(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      // A well-formed sequence (Unicode 15, table 3-7) is kept; any other
      // byte from 0x80 becomes U+FFFD on its own.
      size_t length = 0;
      unsigned char low = 0x80, high = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) length = 2;
      if (c >= 0xE0 && c <= 0xEF) length = 3;
      if (c >= 0xF0 && c <= 0xF4) length = 4;
      if (c == 0xE0) low = 0xA0;
      if (c == 0xED) high = 0x9F;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;
      bool valid = length > 0 && i + length <= text.size();
      for (size_t k = 1; valid && k < length; ++k) {
        const auto next = static_cast<unsigned char>(text[i + k]);
        valid =
            k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
      }
      if (valid) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out.append("\xEF\xBF\xBD");
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += std::string("\\u00") + kHex[c >> 4] + kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out + "\"";
}

TEST_CASE("Every byte at every position of every length escapes as nlohmann's",
          "[json]") {
  // Sixteen bytes at a time with SSE2 (the last sixteen overlapping), eight
  // without, byte by byte below that: every length up to three blocks and
  // more, every position, every byte value, alone and beside a second one.
  for (size_t length = 1; length <= 50; ++length) {
    for (size_t position = 0; position < length; ++position) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string text(length, 'a');
        text[position] = static_cast<char>(byte);
        CAPTURE(length, position, byte);
        const std::string written = Written(text);
        REQUIRE(written == Dump(text));
        REQUIRE(written == Reference(text));
        REQUIRE(IsPlainJsonText(text) == (written == '"' + text + '"'));
        if (position + 1 < length) {
          text[length - 1] = '"';
          REQUIRE(Written(text) == Dump(text));
        }
      }
    }
  }
}

TEST_CASE("Random text escapes as the reference, and as nlohmann when valid",
          "[json]") {
  // Pieces that exercise every branch: plain runs, escapes, controls, valid
  // sequences of two to four bytes, and broken ones.
  const std::vector<std::string> pieces = {"a",
                                           "plain words ",
                                           "0123456789abcdef",
                                           "\"",
                                           "\\",
                                           "\n",
                                           "\t",
                                           std::string("\0", 1),
                                           "\x01",
                                           "\x1f",
                                           "\x7f",
                                           "/",
                                           "caf\xC3\xA9",
                                           "\xE2\x80\x94",
                                           "\xF0\x9F\x98\xA2",
                                           "\xEF\xBF\xBD",
                                           "\xE2\x80\xAE",
                                           "\xD7\xA9"};
  const std::vector<std::string> broken = {"\xff",
                                           "\xC3",
                                           "\xC0\xAF",
                                           "\xED\xA0\x80",
                                           "\xF4\x90\x80\x80",
                                           "\xE2\x82",
                                           "\xF0\x9F\x98",
                                           "\x80",
                                           "\xF8\x88\x80\x80\x80"};
  std::mt19937 random(20261205);
  for (int round = 0; round < 20000; ++round) {
    const bool valid = round % 2 == 0;
    std::string text;
    const int count = std::uniform_int_distribution<int>(0, 24)(random);
    for (int k = 0; k < count; ++k) {
      if (!valid && random() % 4 == 0) {
        text += broken[random() % broken.size()];
      } else if (random() % 8 == 0) {
        // Any byte at all; in valid text, any ASCII byte.
        text += static_cast<char>(random() % (valid ? 128 : 256));
      } else {
        text += pieces[random() % pieces.size()];
      }
    }
    CAPTURE(text);
    const std::string written = Written(text);
    REQUIRE(written == Reference(text));
    REQUIRE(json::parse(written, nullptr, false).is_string());
    // Valid UTF-8: nlohmann's dump writes exactly the same.
    if (valid) REQUIRE(written == Dump(text));
  }
}

TEST_CASE("Keys are escaped like strings", "[json]") {
  for (const std::string& key :
       {std::string("turn"), std::string("quick_replies"),
        std::string("a key longer than sixteen bytes"),
        std::string("say \"hi\""), std::string("tab\there"),
        std::string("caf\xC3\xA9"), std::string("")}) {
    std::string out;
    JsonWriter(&out).BeginObject().Key(key).Int(1).EndObject();
    CAPTURE(key);
    CHECK(out == Dump(json{{key, 1}}));
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
