#include "engine/json_writer.h"

#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace trustcoach {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed UTF-8 sequence at the start of `text`
// (Unicode 15, table 3-7), or 0 when it is not one.
size_t Utf8SequenceLength(std::string_view text) {
  const auto byte = [&](size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char lead = byte(0);
  size_t length;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

// Bytes that a JSON string cannot hold as they are: control characters,
// '"', '\\', and (to be checked as UTF-8) everything from 0x80.
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> special{};
  for (size_t c = 0; c < 256; ++c) {
    special[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
  }
  return special;
}();

#if defined(__SSE2__)
// Bit k set when byte k of the 16 at `at` is special: a signed compare
// finds the bytes below 0x20 and, being negative, those from 0x80.
inline unsigned SpecialMask16(const char* at) {
  const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
  const __m128i special =
      _mm_or_si128(_mm_cmplt_epi8(chunk, _mm_set1_epi8(0x20)),
                   _mm_or_si128(_mm_cmpeq_epi8(chunk, _mm_set1_epi8('"')),
                                _mm_cmpeq_epi8(chunk, _mm_set1_epi8('\\'))));
  return static_cast<unsigned>(_mm_movemask_epi8(special));
}
#endif

// The end of the run of plain bytes from `i`: sixteen bytes at a time with
// SSE2 (the last sixteen of the text overlapping the ones already seen),
// eight at a time without it, and byte by byte for what is left.
size_t PlainPrefix(std::string_view text, size_t i) {
  const size_t size = text.size();
#if defined(__SSE2__)
  if (size >= 16) {
    for (; i + 16 <= size; i += 16) {
      if (const unsigned mask = SpecialMask16(text.data() + i); mask != 0) {
        return i + static_cast<size_t>(std::countr_zero(mask));
      }
    }
    if (i == size) return size;
    // The last sixteen bytes; those before `i` are known to be plain.
    const size_t last = size - 16;
    const unsigned mask = SpecialMask16(text.data() + last) >> (i - last);
    return mask == 0 ? size : i + static_cast<size_t>(std::countr_zero(mask));
  }
#endif
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  while (i + 8 <= size) {
    uint64_t word;
    std::memcpy(&word, text.data() + i, 8);
    // A byte is special when it is below 0x20, is '"' or '\\', or has its
    // high bit set: each test sets the high bit of the bytes that match.
    const uint64_t below_space = word - kOnes * 0x20;
    const uint64_t quote = (word ^ (kOnes * '"')) - kOnes;
    const uint64_t backslash = (word ^ (kOnes * '\\')) - kOnes;
    if (((below_space | quote | backslash) & ~word & kHigh) != 0 ||
        (word & kHigh) != 0) {
      break;
    }
    i += 8;
  }
  while (i < size && !kSpecial[static_cast<unsigned char>(text[i])]) {
    ++i;
  }
  return i;
}

}  // namespace

void AppendJsonString(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    // Runs of plain characters are copied in one go.
    size_t plain = PlainPrefix(text, i);
    out->append(text.data() + i, plain - i);
    i = plain;
    if (i == text.size()) break;
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const size_t length = Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out->append(kReplacement);
        ++i;
      } else {
        out->append(text.data() + i, length);
        i += length;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xf]);
    }
    ++i;
  }
  out->push_back('"');
}

bool IsPlainJsonText(std::string_view text) {
  size_t i = 0;
  for (;;) {
    i = PlainPrefix(text, i);
    if (i == text.size()) return true;
    if (static_cast<unsigned char>(text[i]) < 0x80) return false;
    const size_t length = Utf8SequenceLength(text.substr(i));
    if (length == 0) return false;
    i += length;
  }
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  Separate();
  if (IsPlainJsonText(key)) {  // every key the code writes: one append
    const size_t size = out_->size();
    out_->resize(size + key.size() + 3);
    char* at = out_->data() + size;
    *at++ = '"';
    std::memcpy(at, key.data(), key.size());
    at[key.size()] = '"';
    at[key.size() + 1] = ':';
  } else {
    AppendJsonString(key, out_);
    out_->push_back(':');
  }
  after_value_ = false;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view value) {
  Separate();
  AppendJsonString(value, out_);
  after_value_ = true;
  return *this;
}

namespace {

// `value` as JSON number text in `buffer`: the shortest that reads back.
template <typename Number>
std::string_view NumberText(Number value, char (&buffer)[32]) {
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string_view(buffer, static_cast<size_t>(result.ptr - buffer));
}

}  // namespace

JsonWriter& JsonWriter::Int(int64_t value) {
  char buffer[32];
  return Raw(NumberText(value, buffer));
}

JsonWriter& JsonWriter::Uint(uint64_t value) {
  char buffer[32];
  return Raw(NumberText(value, buffer));
}

JsonWriter& JsonWriter::Double(double value) {
  char buffer[32];
  return Raw(NumberText(value, buffer));
}

JsonWriter& JsonWriter::Bool(bool value) {
  return Raw(value ? "true" : "false");
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  Separate();
  out_->append(json);
  after_value_ = true;
  return *this;
}

JsonWriter& JsonWriter::Open(char bracket) {
  Separate();
  out_->push_back(bracket);
  after_value_ = false;
  return *this;
}

JsonWriter& JsonWriter::Close(char bracket) {
  out_->push_back(bracket);
  after_value_ = true;
  return *this;
}

void JsonWriter::Separate() {
  if (after_value_) out_->push_back(',');
}

}  // namespace trustcoach
