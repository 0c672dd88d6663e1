#include "engine/normalizer.h"

#include <string>

#include <catch2/catch.hpp>

namespace trustcoach {
namespace {

Substitutions TestSubstitutions() {
  return {.words = {{"don't", "do not"},
                    {"i'm", "i am"},
                    {"u", "you"},
                    {"bf", "boyfriend"},
                    {"idk", "i do not know"}}};
}

TEST_CASE("Normalize folds case, quotes, dashes and space",
          "[engine][normalizer]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"Hello World", "hello world"},
      {"  lots\t of \n\n space  ", "lots of space"},
      {"I\u2019m fine \u2014 really", "i am fine - really"},
      {"\u201cquoted\u201d", "\"quoted\""},
      {"wait\u2026", "wait..."},
      {"DON'T", "do not"},
      {"don\u2019t go", "do not go"},
      {"u and ur bf", "you and ur boyfriend"},
      {"IDK what to do", "i do not know what to do"},
      {"'bf'", "'boyfriend'"},
      {"bf's phone", "bf's phone"},
      {"", ""},
      {"   ", ""},
  }));
  CAPTURE(input);
  CHECK(Normalize(input, TestSubstitutions()) == expected);
}

TEST_CASE("Normalize replaces phrases before their first word",
          "[engine][normalizer]") {
  Substitutions subs = TestSubstitutions();
  subs.words["he's"] = "he is";
  subs.AddPhrase("he's been", "he has been");
  subs.AddPhrase("he's got", "he has got");
  subs.AddPhrase("he's been there", "he was there");  // longest first
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"he's been lying", "he has been lying"},
      {"He\u2019s BEEN lying", "he has been lying"},
      {"he's lying", "he is lying"},
      {"he's", "he is"},
      {"he's been", "he has been"},
      {"he's been.", "he has been."},
      {"he's been there", "he was there"},
      {"he's been therefore", "he has been therefore"},
      {"he's beens", "he is beens"},
      {"he's got a new phone, he's sorry",
       "he has got a new phone, he is sorry"},
      {"'he's been'", "'he has been'"},
      {"he's been's", "he is been's"},
      {"ok he's been, don't", "ok he has been, do not"},
      {"she's been", "she's been"},  // not in the table
  }));
  CAPTURE(input);
  CHECK(Normalize(input, subs) == expected);
}

TEST_CASE("Normalize folds Latin accents so ASCII word boundaries hold",
          "[engine][normalizer]") {
  auto [input, expected] = GENERATE(table<std::string, std::string>({
      {"Fianc\u00e9", "fiance"},
      {"MY FIANC\u00c9E", "my fiancee"},
      {"se\u00f1or na\u00efve \u00c6sir", "senor naive aesir"},
      {"stra\u00dfe", "strasse"},
      {"\u00c5ngstr\u00f6m", "angstrom"},
      {"Cafe\u0301", "cafe"},  // combining accent
  }));
  CAPTURE(input);
  CHECK(Normalize(input, {}) == expected);
}

TEST_CASE("Normalize splits emoji off words", "[engine][normalizer]") {
  CHECK(Normalize("angry\U0001F621\U0001F621", {}) ==
        "angry \U0001F621 \U0001F621");
  CHECK(Normalize("\u2764\ufe0fhim", {}) == "\u2764 him");
  CHECK(Normalize("thumbs\U0001F44D\U0001F3FD up", {}) ==
        "thumbs \U0001F44D \U0001F3FD up");
}

TEST_CASE("Normalize keeps right-to-left and other scripts",
          "[engine][normalizer]") {
  CHECK(Normalize("\u05e9\u05dc\u05d5\u05dd", {}) ==
        "\u05e9\u05dc\u05d5\u05dd");
  CHECK(Normalize("\u0645\u0631\u062d\u0628\u0627 ok", {}) ==
        "\u0645\u0631\u062d\u0628\u0627 ok");
  // Bidi controls are dropped.
  CHECK(Normalize("a\u202eb\u202c", {}) == "ab");
  CHECK(Normalize("\u041f\u0420\u0418\u0412\u0415\u0422", {}) ==
        "\u043f\u0440\u0438\u0432\u0435\u0442");
}

TEST_CASE("Normalize replaces invalid UTF-8 and never reads past the end",
          "[engine][normalizer]") {
  NormalizeInfo info;
  CHECK(Normalize(std::string("ok\xff\xfe!"), {}, &info) ==
        "ok \ufffd \ufffd !");
  CHECK(info.invalid_utf8);
  CHECK(Normalize(std::string("\xe2\x80"), {}, &info) == "\ufffd \ufffd");
  CHECK(Normalize(std::string("\xc0\xaf"), {}, &info) ==
        "\ufffd \ufffd");  // overlong
  CHECK(Normalize(std::string("\xed\xa0\x80x"), {}, &info).find('x') !=
        std::string::npos);  // surrogate
  const std::string with_nul("a\0b", 3);
  CHECK(Normalize(with_nul, {}) == "ab");
}

TEST_CASE("Normalize cuts long input at a character boundary",
          "[engine][normalizer]") {
  std::string huge;
  while (huge.size() < 100 * 1024) huge += "\u00e9t\u00e9 ";
  NormalizeInfo info;
  const std::string out = Normalize(huge, {}, &info);
  CHECK(info.truncated);
  CHECK(info.input_bytes == huge.size());
  CHECK(out.size() <= kMaxInputBytes);
  CHECK(out.find("ete ete") == 0);

  NormalizeInfo short_info;
  Normalize("short", {}, &short_info);
  CHECK_FALSE(short_info.truncated);
}

TEST_CASE("SanitizeUtf8 keeps valid text and bounds its size",
          "[engine][normalizer]") {
  bool changed = true;
  CHECK(SanitizeUtf8("caf\u00e9", 100, &changed) == "caf\u00e9");
  CHECK_FALSE(changed);
  CHECK(SanitizeUtf8(std::string("a\xff"), 100, &changed) == "a\ufffd");
  CHECK(changed);
  CHECK(SanitizeUtf8("\u00e9\u00e9", 3) == "\u00e9");
}

}  // namespace
}  // namespace trustcoach
