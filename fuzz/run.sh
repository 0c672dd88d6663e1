#!/usr/bin/env bash
# Runs every libFuzzer target built by fuzz/build.sh for a bounded time,
# starting from its checked-in seed corpus (fuzz/corpus/<target>/, read only;
# new inputs go to build-fuzz/corpus/<target>/). Fails on the first crash,
# leak, timeout or out-of-memory; the input that caused it is saved as
# build-fuzz/artifacts/<target>-crash-* (copy it into
# fuzz/regressions/<target>/ with the fix, so that ctest replays it).
#   fuzz/run.sh [--seconds N] [target...]     (default 60 s each, all targets)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
targets=()
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
((${#targets[@]})) || targets=(normalize engine_turn dialog_loader session api_request)

build_dir=${TRUSTCOACH_FUZZ_BUILD_DIR:-build-fuzz}
mkdir -p "$build_dir/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for target in "${targets[@]}"; do
  binary="$build_dir/bin/${target}_fuzzer"
  if [ ! -x "$binary" ]; then
    echo "fuzz/run.sh: $binary is missing: run fuzz/build.sh" >&2
    exit 2
  fi
  mkdir -p "$build_dir/corpus/$target"
  dict=()
  [ -f "fuzz/$target.dict" ] && dict=(-dict="fuzz/$target.dict")
  echo "== $target: ${seconds}s"
  log="$build_dir/artifacts/$target.log"
  if "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=30 \
      -detect_leaks=1 -print_final_stats=1 "${dict[@]}" \
      -artifact_prefix="$build_dir/artifacts/$target-" \
      "$build_dir/corpus/$target" "fuzz/corpus/$target" >"$log" 2>&1; then
    grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" | tr '\n' ' '
    echo
  else
    echo "fuzz/run.sh: $target FAILED; last lines of $log:" >&2
    tail -40 "$log" >&2
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz/run.sh: failures in ${failed[*]}" >&2
  exit 1
fi
echo "fuzz/run.sh: ${#targets[@]} targets, no crash or leak"
