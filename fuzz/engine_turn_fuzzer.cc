// libFuzzer target: a conversation with the shipped dialogs. The input is
// split at newlines into at most kMaxTurns turns; byte 0 picks the seed, the
// region and whether explain is on. Checks that every reply says something,
// that the session survives a JSON round trip unchanged, and that the
// replies and explain output serialize.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "engine/json_writer.h"
#include "engine/session.h"
#include "fuzz/fuzz_util.h"

namespace {

constexpr size_t kMaxTurns = 12;
constexpr const char* kRegions[] = {"", "en-GB", "US", "de", "xx-ZZ"};

const trustcoach::Engine& ShippedEngine() {
  static const std::unique_ptr<trustcoach::Engine> engine = [] {
    std::unique_ptr<trustcoach::Engine> loaded;
    trustcoach::Status status =
        trustcoach::Engine::Load(trustcoach::fuzz::DialogsDir(), &loaded);
    if (!status.ok()) {
      std::fprintf(stderr, "cannot load dialogs: %s\n",
                   status.message().c_str());
      std::abort();
    }
    return loaded;
  }();
  return *engine;
}

void CheckReply(const trustcoach::Reply& reply) {
  FUZZ_CHECK(!reply.messages.empty());
  for (const trustcoach::Message& message : reply.messages) {
    FUZZ_CHECK(!message.text.empty());
    // What the API writes (JsonWriter's escaper) must be valid JSON.
    std::string written;
    trustcoach::JsonWriter out(&written);
    out.BeginArray().String(message.text);
    for (const std::string& quick_reply : message.quick_replies) {
      out.String(quick_reply);
    }
    out.EndArray();
    FUZZ_CHECK(!nlohmann::json::parse(written, nullptr, false).is_discarded());
  }
  (void)reply.explain.dump(-1, ' ', false,
                           nlohmann::json::error_handler_t::replace);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const trustcoach::Engine& engine = ShippedEngine();
  const uint8_t control = size > 0 ? data[0] : 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (!input.empty()) input.remove_prefix(1);

  const trustcoach::TurnOptions options{
      .trace = (control & 1) ? trustcoach::Trace::kOn : trustcoach::Trace::kOff,
      .region = kRegions[(control >> 1) % std::size(kRegions)]};
  trustcoach::Session session;
  CheckReply(engine.Start(control >> 4, &session, options));

  for (size_t turn = 0; turn < kMaxTurns; ++turn) {
    const size_t end = input.find('\n');
    const std::string_view text = input.substr(0, end);
    CheckReply(engine.Respond(text, &session, options));

    // The stored form of the session must load back to the same value.
    trustcoach::Session reloaded;
    FUZZ_CHECK(trustcoach::ParseSession(trustcoach::SerializeSession(session),
                                        &reloaded)
                   .ok());
    FUZZ_CHECK(reloaded == session);
    session = reloaded;

    if (end == std::string_view::npos) break;
    input.remove_prefix(end + 1);
  }
  return 0;
}
