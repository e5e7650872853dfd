#!/usr/bin/env bash
# One fuzz target's test: replay every saved regression input, then fuzz the seed corpus for
# FUZZ_SECONDS (default 20). New corpus entries and crash artifacts go to a scratch directory,
# never into the repository. Usage: run-short.sh FUZZER TARGET_NAME SOURCE_DIR
#
# The seed is fixed (FUZZ_SEED, default 1): the suite explores the same inputs in every run, so a
# failure in CI points at a change of bob, not at the luck of a random seed. Long, random-seeded
# runs are tests/fuzz/run-long.sh. FUZZ_SEED=0 asks libFuzzer for a random seed.
set -euo pipefail
fuzzer=$1 name=$2 src=$3
seconds=${FUZZ_SECONDS:-20}
seed=${FUZZ_SEED:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

scratch=$(mktemp -d "${TMPDIR:-/tmp}/bob-fuzz-$name.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

regressions=("$src/regressions/$name"/*)
if [[ -e ${regressions[0]} ]]; then
  echo "replaying ${#regressions[@]} regression input(s) of $name"
  "$fuzzer" -runs=1 "${regressions[@]}"
fi

dict=()
[[ -f $src/dict/$name.dict ]] && dict=("-dict=$src/dict/$name.dict")
echo "fuzzing $name for ${seconds}s"
status=0
"$fuzzer" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$scratch/" "${dict[@]}" "$scratch" "$src/corpus/$name" >"$scratch.log" 2>&1 ||
  status=$?
tail -n 80 "$scratch.log"
rm -f "$scratch.log"
if (( status != 0 )); then
  # The scratch dir goes away with this test: print the input so the log keeps it.
  for artifact in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-*; do
    [[ -e $artifact ]] || continue
    echo "input $(basename "$artifact") (base64):"
    base64 -w0 "$artifact"
    echo
  done
  echo "fuzzer $name failed (exit $status)" >&2
  exit "$status"
fi
