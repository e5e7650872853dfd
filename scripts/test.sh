#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite in the normal build (build/)
# and again in a clang ASan + UBSan build (build-sanitize/, with the short fuzz runs); then
# prints meson's summary of each run. Exits non-zero when a run fails.
#
#   scripts/test.sh [--sanitize | --no-sanitize | --sanitize-only] [extra `meson test` arguments]
#
# Both runs are the default (and --sanitize says so explicitly); --no-sanitize runs the normal
# build only, --sanitize-only the sanitizer build only. The sanitizer build is described in
# docs/hardening.md ("Sanitizers").
set -euo pipefail
cd "$(dirname "$0")/.."

normal=1
sanitize=1
case "${1:-}" in
  --sanitize) sanitize=1; shift ;;
  --no-sanitize) sanitize=0; shift ;;
  --sanitize-only) normal=0; sanitize=1; shift ;;
esac

# clang for the sanitizer build: libFuzzer and the sanitizer runtimes (libclang-rt-14-dev) come
# with it. b_lundef=false because the ASan runtime is linked into executables, not libbob.so.
sanitize_options=(-Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true)

logs=$(mktemp -d "${TMPDIR:-/tmp}/bob-test.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# run_suite NAME BUILDDIR [meson test args]: runs the suite, keeps its output for the summary.
run_suite() {
  local name=$1 dir=$2
  shift 2
  local start=$SECONDS status=0
  echo "== $name: meson test -C $dir" >&2
  meson test -C "$dir" --print-errorlogs --num-processes 2 "$@" 2>&1 | tee "$logs/$name.log" ||
    status=$?
  echo "$status $((SECONDS - start))" >"$logs/$name.status"
}

start=$SECONDS
if [ "$normal" = 1 ]; then
  build_start=$SECONDS
  scripts/setup.sh --tests
  echo "== normal build took $((SECONDS - build_start)) s" >&2
  run_suite normal build "$@"
fi
if [ "$sanitize" = 1 ]; then
  build_start=$SECONDS
  CC=clang CXX=clang++ scripts/setup.sh --tests --builddir build-sanitize -- "${sanitize_options[@]}"
  echo "== sanitizer build took $((SECONDS - build_start)) s" >&2
  run_suite sanitize build-sanitize "$@"
fi

# Both summaries together at the end (the first one is far up in the output), then one line in
# the plain "N passed, N failed" form.
failed_runs=0
passed=0 failed=0 skipped=0
count() { local v; v=$(sed -n "s/^$1: *\([0-9]*\) *\$/\1/p" "$2" | tail -n 1); echo "${v:-0}"; }
for name in normal sanitize; do
  [ -f "$logs/$name.status" ] || continue
  read -r status seconds <"$logs/$name.status"
  log="$logs/$name.log"
  echo
  echo "== $name build: meson test summary (exit $status, ${seconds} s)"
  sed -n '/^Ok: /,/^Timeout: /p' "$log"  # meson's own summary block
  passed=$((passed + $(count Ok "$log") + $(count 'Expected Fail' "$log")))
  failed=$((failed + $(count Fail "$log") + $(count 'Unexpected Pass' "$log") +
            $(count Timeout "$log")))
  skipped=$((skipped + $(count Skipped "$log")))
  if [ "$status" != 0 ]; then failed_runs=$((failed_runs + 1)); fi
done
echo
echo "scripts/test.sh took $((SECONDS - start)) s"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed_runs" = 0 ]
