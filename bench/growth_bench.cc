// Turn time as the number of intents grows: the shipped core flows plus 10,
// 100, 1,000 and 10,000 generated intents, all in one RE2::Set.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "engine/engine.h"

namespace trustcoach::bench {
namespace {

struct Grown {
  std::unique_ptr<Engine> engine;
  size_t total_intents = 0;
};

// Built once per size, in a temporary folder removed at exit.
const Grown& GrownEngine(size_t generated) {
  static std::map<size_t, Grown>* cache = new std::map<size_t, Grown>;
  auto it = cache->find(generated);
  if (it != cache->end()) return it->second;
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("trustcoach-growth-" + std::to_string(getpid()) +
                            "-" + std::to_string(generated)))
                              .string();
  Grown grown;
  grown.total_intents = WriteGrowthDialogs(dir, generated);
  Status status = Engine::Load(dir, &grown.engine);
  std::filesystem::remove_all(dir);
  if (!status.ok()) {
    std::fprintf(stderr, "growth dialogs: %s\n", status.ToString().c_str());
    std::abort();
  }
  return cache->emplace(generated, std::move(grown)).first->second;
}

void Report(benchmark::State& state, const Grown& grown) {
  state.counters["intents"] = static_cast<double>(grown.total_intents);
}

// A message that matches one generated intent (so the winner's captures are
// extracted), and one that matches nothing generated (a fallback).
void BM_TurnIntents(benchmark::State& state) {
  const size_t generated = static_cast<size_t>(state.range(0));
  const bool hit = state.range(1) != 0;
  const Grown& grown = GrownEngine(generated);
  state.SetLabel(hit ? "generated intent" : "no generated intent");
  const std::string text = hit ? GrowthMessage(60, generated / 2)
                               : "we talked about the weekend and work plans";
  Session start;
  grown.engine->Start(1, &start);
  for (auto _ : state) {
    Session session = start;
    Reply reply = grown.engine->Respond(text, &session);
    benchmark::DoNotOptimize(reply);
  }
  Report(state, grown);
}
BENCHMARK(BM_TurnIntents)->ArgsProduct({{10, 100, 1000, 10000}, {1, 0}});

void BM_LoadIntents(benchmark::State& state) {
  const size_t generated = static_cast<size_t>(state.range(0));
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("trustcoach-load-" + std::to_string(getpid())))
                              .string();
  const size_t total = WriteGrowthDialogs(dir, generated);
  for (auto _ : state) {
    std::unique_ptr<Engine> engine;
    Status status = Engine::Load(dir, &engine);
    if (!status.ok()) state.SkipWithError(status.ToString().c_str());
    benchmark::DoNotOptimize(engine);
  }
  std::filesystem::remove_all(dir);
  state.counters["intents"] = static_cast<double>(total);
}
BENCHMARK(BM_LoadIntents)
    ->MeasureProcessCPUTime()
    ->Arg(10)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace trustcoach::bench
