// Engine benchmarks with the shipped dialogs: one turn over a realistic mix,
// each kind of turn alone, dialog load time, and the bytes a conversation's
// state takes in memory and serialised. Run by scripts/bench.sh.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "engine/engine.h"
#include "engine/session.h"

namespace trustcoach::bench {
namespace {

const Engine& ShippedEngine() {
  static const Engine* engine = [] {
    std::unique_ptr<Engine> loaded;
    Status status = Engine::Load(ShippedDialogsDir(), &loaded);
    if (!status.ok()) {
      std::fprintf(stderr, "cannot load dialogs: %s\n",
                   status.ToString().c_str());
      std::abort();
    }
    return loaded.release();
  }();
  return *engine;
}

// One call per iteration, walking the mix as one conversation after another:
// an opening is Engine::Start(), every other entry Engine::Respond().
void BM_TurnMix(benchmark::State& state) {
  const Engine& engine = ShippedEngine();
  const auto& mix = RealisticMix();
  Session session;
  size_t next = 0;
  uint64_t seed = 1;
  for (auto _ : state) {
    const ScriptedTurn& turn = mix[next];
    Reply reply = turn.kind == Kind::kOpening
                      ? engine.Start(seed++, &session)
                      : engine.Respond(turn.text, &session);
    benchmark::DoNotOptimize(reply);
    next = (next + 1) % mix.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TurnMix);

// The same turn again and again, per kind: the session is restored from the
// state just before that turn (the copy is measured by BM_SessionCopy).
void BM_TurnKind(benchmark::State& state) {
  const Engine& engine = ShippedEngine();
  const auto& mix = RealisticMix();
  const Kind kind = static_cast<Kind>(state.range(0));
  state.SetLabel(std::string(KindName(kind)));
  // The states before each turn of this kind.
  std::vector<std::pair<Session, std::string_view>> turns;
  Session session;
  for (const ScriptedTurn& turn : mix) {
    if (turn.kind == kind) turns.emplace_back(session, turn.text);
    if (turn.kind == Kind::kOpening) {
      engine.Start(1, &session);
    } else {
      engine.Respond(turn.text, &session);
    }
  }
  size_t next = 0;
  for (auto _ : state) {
    Session copy = turns[next].first;
    Reply reply = kind == Kind::kOpening
                      ? engine.Start(7, &copy)
                      : engine.Respond(turns[next].second, &copy);
    benchmark::DoNotOptimize(reply);
    next = (next + 1) % turns.size();
  }
}
BENCHMARK(BM_TurnKind)
    ->Arg(static_cast<int>(Kind::kOpening))
    ->Arg(static_cast<int>(Kind::kCoaching))
    ->Arg(static_cast<int>(Kind::kFallback))
    ->Arg(static_cast<int>(Kind::kCrisis));

// A session mid-conversation: after every turn of the mix.
Session MidConversation() {
  const Engine& engine = ShippedEngine();
  Session session;
  for (const ScriptedTurn& turn : RealisticMix()) {
    if (turn.kind == Kind::kOpening) {
      engine.Start(1, &session);
    } else {
      engine.Respond(turn.text, &session);
    }
  }
  return session;
}

void BM_SessionCopy(benchmark::State& state) {
  const Session session = MidConversation();
  for (auto _ : state) {
    Session copy = session;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_SessionCopy);

// What the server does around a turn: parse the stored state, serialise it.
void BM_SessionRoundTrip(benchmark::State& state) {
  const std::string text = SerializeSession(MidConversation());
  for (auto _ : state) {
    Session session;
    Status status = ParseSession(text, &session);
    benchmark::DoNotOptimize(status);
    std::string again = SerializeSession(session);
    benchmark::DoNotOptimize(again);
  }
}
BENCHMARK(BM_SessionRoundTrip);

void BM_SessionParse(benchmark::State& state) {
  const std::string text = SerializeSession(MidConversation());
  for (auto _ : state) {
    Session session;
    Status status = ParseSession(text, &session);
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_SessionParse);

void BM_SessionSerialize(benchmark::State& state) {
  const Session session = MidConversation();
  state.SetLabel(SerializeSession(session).substr(0, 80));
  for (auto _ : state) {
    std::string text = SerializeSession(session);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_SessionSerialize);

// Bytes of state: counters, not times. heap_bytes is what a copy of the
// Session allocates (malloc_usable_size, so allocator rounding included).
void BM_StateBytes(benchmark::State& state) {
  const Session session = MidConversation();
  size_t heap = 0;
  for (auto _ : state) {
    const size_t before = ThreadHeapBytes();
    Session copy = session;
    heap = ThreadHeapBytes() - before;
    benchmark::DoNotOptimize(copy);
  }
  state.counters["in_memory_bytes"] =
      static_cast<double>(sizeof(Session) + heap);
  state.counters["serialised_bytes"] =
      static_cast<double>(SerializeSession(session).size());
  Session fresh;
  ShippedEngine().Start(1, &fresh);
  state.counters["serialised_bytes_after_start"] =
      static_cast<double>(SerializeSession(fresh).size());
}
BENCHMARK(BM_StateBytes)->Iterations(1);

void BM_LoadShippedDialogs(benchmark::State& state) {
  for (auto _ : state) {
    std::unique_ptr<Engine> engine;
    Status status = Engine::Load(ShippedDialogsDir(), &engine);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
    benchmark::DoNotOptimize(engine);
  }
}
// The CPU column is the whole process's: loading compiles the safety screen
// on a second thread.
BENCHMARK(BM_LoadShippedDialogs)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

// Turn time against message length (the engine reads the first 2,000 bytes).
void BM_TurnLength(benchmark::State& state) {
  const Engine& engine = ShippedEngine();
  const size_t bytes = static_cast<size_t>(state.range(0));
  std::string text = "my husband cheated on me and ";
  const std::string_view filler[] = {"we ",      "talked ", "about ", "the ",
                                     "weekend ", "and ",    "work ",  "plans "};
  for (size_t i = 0; text.size() < bytes; ++i) text += filler[i % 8];
  text.resize(bytes);
  Session start;
  engine.Start(1, &start);
  for (auto _ : state) {
    Session session = start;
    Reply reply = engine.Respond(text, &session);
    benchmark::DoNotOptimize(reply);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(bytes));
}
BENCHMARK(BM_TurnLength)->Arg(10)->Arg(100)->Arg(1000)->Arg(2000)->Arg(10000);

// Every message seen for the first time, as people write: each distinct
// user message of the project's evaluation data (tests/data), once each, in
// a fresh conversation, on a freshly loaded engine. RE2 builds a DFA state
// the first time a set meets a new stretch of text, and a state of a set of
// a thousand patterns holds thousands of instructions: BM_TurnMix, fifteen
// messages repeated, measures the cached states only. Counters: per-turn
// median, 90th percentile and mean in microseconds for the first pass and a
// second pass over the same messages (cached), and the process's resident
// memory gained over the first pass (the DFA caches, capped by each set's
// max_mem).
void BM_TurnNovel(benchmark::State& state) {
  const std::vector<std::string>& messages = NovelMessages();
  if (messages.empty()) {
    state.SkipWithError("no messages under tests/data");
    return;
  }
  using Clock = std::chrono::steady_clock;
  // Microseconds per turn of one pass over every message.
  auto pass = [&](const Engine& engine) {
    std::vector<double> micros;
    micros.reserve(messages.size());
    uint64_t seed = 1;
    for (const std::string& text : messages) {
      Session session;
      engine.Start(seed++, &session);
      const Clock::time_point start = Clock::now();
      Reply reply = engine.Respond(text, &session);
      benchmark::DoNotOptimize(reply);
      micros.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start)
              .count());
    }
    return micros;
  };
  auto report = [&](std::string_view name, std::vector<double> micros) {
    double sum = 0;
    for (double m : micros) sum += m;
    std::sort(micros.begin(), micros.end());
    state.counters[std::string(name) + "_median_us"] =
        micros[micros.size() / 2];
    state.counters[std::string(name) + "_p90_us"] =
        micros[micros.size() * 9 / 10];
    state.counters[std::string(name) + "_mean_us"] = sum / micros.size();
  };
  for (auto _ : state) {
    state.PauseTiming();
    std::unique_ptr<Engine> engine;
    Status status = Engine::Load(ShippedDialogsDir(), &engine);
    if (!status.ok()) {
      state.SkipWithError(status.ToString().c_str());
      return;
    }
    const double rss_before = ResidentMegabytes();
    state.ResumeTiming();
    std::vector<double> first = pass(*engine);
    state.PauseTiming();
    state.counters["dfa_MB"] = ResidentMegabytes() - rss_before;
    report("novel", std::move(first));
    report("seen", pass(*engine));
    state.ResumeTiming();
  }
  state.counters["messages"] = static_cast<double>(messages.size());
}
BENCHMARK(BM_TurnNovel)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace trustcoach::bench
