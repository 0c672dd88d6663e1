// libFuzzer target: Normalize() and SanitizeUtf8() on arbitrary bytes, with
// the shipped substitutions. Checks that the output is valid UTF-8, trimmed,
// and that SanitizeUtf8() keeps to its byte limit.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "engine/dialog_loader.h"
#include "engine/normalizer.h"
#include "fuzz/fuzz_util.h"

namespace {

const trustcoach::Substitutions& ShippedSubstitutions() {
  static const std::unique_ptr<trustcoach::DialogSet> dialogs = [] {
    std::unique_ptr<trustcoach::DialogSet> set;
    trustcoach::Status status =
        trustcoach::DialogSet::Load(trustcoach::fuzz::DialogsDir(), &set);
    if (!status.ok()) {
      std::fprintf(stderr, "cannot load dialogs: %s\n",
                   status.message().c_str());
      std::abort();
    }
    return set;
  }();
  return dialogs->substitutions();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using trustcoach::fuzz::IsValidUtf8;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  trustcoach::NormalizeInfo info;
  const std::string normalized =
      trustcoach::Normalize(text, ShippedSubstitutions(), &info);
  FUZZ_CHECK(IsValidUtf8(normalized));
  FUZZ_CHECK(info.input_bytes == size);
  // Cut only past the limit; a character straddling it may still fit.
  FUZZ_CHECK(!info.truncated || size > trustcoach::kMaxInputBytes);
  FUZZ_CHECK(normalized.empty() ||
             (normalized.front() != ' ' && normalized.back() != ' '));
  FUZZ_CHECK(normalized.find("  ") == std::string::npos);

  // Without substitutions too: the folding alone.
  FUZZ_CHECK(IsValidUtf8(trustcoach::Normalize(text, {})));

  const size_t max_bytes = size == 0 ? 0 : data[0] % 64;
  bool changed = false;
  const std::string sanitized =
      trustcoach::SanitizeUtf8(text, max_bytes, &changed);
  FUZZ_CHECK(IsValidUtf8(sanitized));
  FUZZ_CHECK(sanitized.size() <= max_bytes);
  FUZZ_CHECK(changed || sanitized == text);
  return 0;
}
