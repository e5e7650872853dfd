#!/usr/bin/env bash
# Longer fuzzing runs, by hand or in a nightly job (not part of the test suite).
#
#   tests/fuzz/run-long.sh [SECONDS] [TARGET...]
#
# SECONDS (default 600) per target; TARGETs default to all of them. Environment:
#   FUZZ_BUILD_DIR  an existing build directory configured with -Dfuzz=true (default: configure
#                   and build build-fuzz/ next to the source with clang, ASan and UBSan)
#   FUZZ_SKIP_BUILD=1  use the targets in FUZZ_BUILD_DIR as they are
#   FUZZ_JOBS       targets run at the same time (default 2)
#   FUZZ_OUT        where new corpus entries, crash inputs and logs go (default: a new temporary
#                   directory); the repository's corpus is only read
# Prints one summary line per target (execs, exec/s, corpus size, findings) and exits non-zero
# when any target found something. Details: docs/fuzzing.md.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-600}
[[ $# -gt 0 ]] && shift
all=(reference www_authenticate link manifest bundle profile_yaml profile_json path_match exec_args)
targets=("$@")
(( ${#targets[@]} )) || targets=("${all[@]}")
jobs=${FUZZ_JOBS:-2}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/bob-fuzz-long.XXXXXX")}
mkdir -p "$out"

build=${FUZZ_BUILD_DIR:-$src/build-fuzz}
if [[ ! -f $build/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup "$build" "$src" -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined
fi
[[ ${FUZZ_SKIP_BUILD:-} == 1 ]] || meson compile -C "$build" "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

run_one() {
  local name=$1 dir=$out/$1
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local dict=()
  [[ -f $src/tests/fuzz/dict/$name.dict ]] && dict=("-dict=$src/tests/fuzz/dict/$name.dict")
  local start=$SECONDS status=0
  nice -n 5 "$build/tests/fuzz/fuzz_$name" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" "${dict[@]}" \
    "$dir/corpus" "$src/tests/fuzz/corpus/$name" >"$dir/log" 2>&1 || status=$?
  local execs rate corpus findings
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  # libFuzzer's last status line: "corp: <units>/<bytes>".
  corpus=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$dir/log" | tail -n 1 | cut -d' ' -f2)
  # slow-unit-* files are not findings: on a loaded machine a unit can wait for the CPU.
  findings=$(find "$dir/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  printf '%-17s %5ss  execs=%-10s exec/s=%-6s corpus=%-5s findings=%s exit=%s\n' "$name" \
    "$((SECONDS - start))" "${execs:-?}" "${rate:-?}" "$corpus" "$findings" "$status" \
    | tee "$dir/summary"
  return "$status"
}

failed=0
for name in "${targets[@]}"; do
  while (( $(jobs -rp | wc -l) >= jobs )); do wait -n || failed=1; done
  run_one "$name" &
done
while (( $(jobs -rp | wc -l) > 0 )); do wait -n || failed=1; done
echo "output (new corpus entries, artifacts, logs): $out"
exit "$failed"
