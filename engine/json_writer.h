#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace trustcoach {

// Appends `text` as a JSON string literal, escaped as nlohmann::json's dump()
// escapes it (UTF-8 kept as is, control characters as \n or \u00XX). Bytes
// that are not valid UTF-8 become U+FFFD, as dump() does with
// error_handler_t::replace, so the output is always valid JSON.
void AppendJsonString(std::string_view text, std::string* out);

// Whether `text` is valid UTF-8 that a JSON string holds as it is (no
// control character, '"' or '\\'): AppendJsonString() would only quote it,
// and between quotes it parses back to itself.
bool IsPlainJsonText(std::string_view text);

// Writes compact JSON straight into a string, without building a tree: for
// the hot paths (session state, HTTP replies, transcript lines), where a
// nlohmann::json tree cost more than the work it described. The caller
// decides the structure and key order; commas are placed here.
//
//   std::string out;
//   JsonWriter(&out).BeginObject().Key("turn").Int(3).EndObject();
//
// Nesting is not checked: an unbalanced Begin/End pair writes invalid JSON.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  // An object key; the next call writes its value.
  JsonWriter& Key(std::string_view key);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  // The shortest text that reads back as `value`; finite values only.
  JsonWriter& Double(double value);
  // A value that is already JSON text, copied as is.
  JsonWriter& Raw(std::string_view json);

 private:
  JsonWriter& Open(char bracket);
  JsonWriter& Close(char bracket);
  // Writes the comma before a value or key that follows another.
  void Separate();

  std::string* const out_;
  bool after_value_ = false;  // the last thing written ends a value
};

}  // namespace trustcoach
