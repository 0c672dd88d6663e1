#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace trustcoach::fuzz {

// The shipped dialogs: $TRUSTCOACH_DIALOGS when set, else the source tree's.
inline std::string DialogsDir() {
  const char* dir = std::getenv("TRUSTCOACH_DIALOGS");
  return dir != nullptr && *dir ? dir : TRUSTCOACH_DIALOGS_DIR;
}

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code
// points past U+10FFFF).
inline bool IsValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned min = 0;
    unsigned code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// Stops the fuzzer with a message when an invariant does not hold; unlike
// assert() it stays on in release builds.
#define FUZZ_CHECK(condition)                                          \
  do {                                                                 \
    if (!(condition)) {                                                \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #condition);                              \
      std::abort();                                                    \
    }                                                                  \
  } while (false)

}  // namespace trustcoach::fuzz
