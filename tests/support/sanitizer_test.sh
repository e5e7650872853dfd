#!/usr/bin/env bash
# Test wrapper of the sanitizer build (tests/meson.build sets it as the default test setup when
# b_sanitize is on; see docs/hardening.md, "Sanitizers").
#
#   sanitizer_test.sh SUPPORT_DIR TEST_COMMAND [ARGS...]
#
# Every ASan, LSan and UBSan report of the test and of every process it starts (bob run by a shell,
# python or node test, helpers, test binaries) is written to a folder private to this run. The
# test fails when that folder holds a report, whatever the exit codes were: a shell test that
# expects bob to fail, or that runs bob in the background, would otherwise pass over a report.
set -u
support=$1
shift

reports=$(mktemp -d "${TMPDIR:-/tmp}/bob-sanitizer.XXXXXX") || exit 1
# exitcode=86: not one of bob's own exit codes (0-5, 128+N), so a report is never mistaken for
# "deviations found" (1) by a test that checks the code. Sanitizer-built children inherit all this.
common="log_path=$reports/report:print_suppressions=0"
export ASAN_OPTIONS="$common:exitcode=86:detect_leaks=1:check_initialization_order=1"
ASAN_OPTIONS+=":strict_init_order=1:detect_stack_use_after_return=1:abort_on_error=0"
export LSAN_OPTIONS="$common:exitcode=86:suppressions=$support/lsan.supp"
export UBSAN_OPTIONS="$common:halt_on_error=1:print_stacktrace=1:suppressions=$support/ubsan.supp"
# For the few tests that must adapt: ASan reserves terabytes of address space for its shadow
# memory, so `prlimit --as` cannot bound a sanitized bob (use ASAN_OPTIONS hard_rss_limit_mb).
export BOB_SANITIZED=1

"$@"
status=$?

shopt -s nullglob
found=("$reports"/report.*)
if [ ${#found[@]} -gt 0 ]; then
  for report in "${found[@]}"; do
    echo "==== sanitizer report of process ${report##*.} ====" >&2
    cat "$report" >&2
  done
  echo "sanitizer: ${#found[@]} report(s) from this test or a process it started" \
       "(test exit status $status); failing the test" >&2
  rm -rf "$reports"
  # 0 and 77 (meson's "skipped") would hide the report: those become 86.
  [ "$status" -ne 0 ] && [ "$status" -ne 77 ] && exit "$status"
  exit 86
fi
rm -rf "$reports"
exit "$status"
