// libFuzzer target: ParseSession() on arbitrary bytes. The stored state of a
// conversation goes through a hand-written fast path for the canonical form
// SerializeSession() writes, and the JSON parser for anything else. Checks
// that a parsed session serializes and parses back to itself, and that a
// rejected text leaves the session untouched.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/session.h"
#include "fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  trustcoach::Session marker;
  marker.turns = 7;  // a failed parse must leave the session as it was
  trustcoach::Session session = marker;
  const trustcoach::Status status = trustcoach::ParseSession(text, &session);
  if (!status.ok()) {
    FUZZ_CHECK(status.IsInvalidArgument());
    FUZZ_CHECK(session == marker);
    return 0;
  }
  const std::string canonical = trustcoach::SerializeSession(session);
  trustcoach::Session again;
  FUZZ_CHECK(trustcoach::ParseSession(canonical, &again).ok());
  FUZZ_CHECK(again == session);
  FUZZ_CHECK(trustcoach::SerializeSession(again) == canonical);
  return 0;
}
