#!/usr/bin/env bash
# Builds trustcoach with its benchmarks (Release, in build-bench/) and runs
# them; see docs/performance.md.
#   scripts/bench.sh [engine] [http] [instructions] [memory] [plot]
#   (default: all five)
# Results go to build-bench/results/; plot writes docs/*.svg. Environment:
# REPETITIONS [5] engine repetitions (medians are reported); the HTTP and
# memory knobs are described in bench/http/run.sh and bench/memory.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=("$@")
((${#steps[@]})) || steps=(engine http instructions memory plot)

# What the benchmarks need besides the build (setup.sh installs the rest).
packages=(wrk gnuplot-nox bc python3 valgrind)
source scripts/lib/packages.sh
install_missing bench "${packages[@]}"
TRUSTCOACH_BUILD_DIR=build-bench scripts/setup.sh -DTRUSTCOACH_BUILD_BENCH=ON \
  -DCMAKE_BUILD_TYPE=Release

build=build-bench
results=$build/results
mkdir -p "$results"
for step in "${steps[@]}"; do
  case $step in
    engine)
      "$build/bin/trustcoach_bench" --benchmark_repetitions="${REPETITIONS:-5}" \
        --benchmark_report_aggregates_only=true \
        --benchmark_out="$results/engine.json" --benchmark_out_format=json ;;
    http) bench/http/run.sh "$build" "$results" ;;
    instructions) bench/http/instructions.sh "$build" "$results" ;;
    memory) bench/memory.sh "$build" "$results" ;;
    plot)
      bench/summary.py "$results" >"$results/summary.txt"
      bench/plot.sh "$results" docs ;;
    *) echo "bench: unknown step '$step' (engine, http, instructions, memory, plot)" >&2; exit 2 ;;
  esac
done
bench/summary.py "$results"
