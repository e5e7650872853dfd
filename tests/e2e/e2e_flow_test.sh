#!/usr/bin/env bash
# Runs scripts/e2e-flow.sh (the README's main job) and asserts both verdicts and exit codes:
# genuine package exit 0, tampered package exit 1 with the expected alerts, tampered BoB exit 4,
# and the web application's command injection caught (exit 1, cat and /etc/passwd).
#   e2e_flow_test.sh [npm|webapp|all]     (env: BOB, BOB_SOURCE_ROOT, set by meson)
set -uo pipefail
part="${1:-all}"
here="$(cd "$(dirname "$0")" && pwd)"
source_root="${BOB_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}"
# shellcheck source=../support/prereq.sh
source "$source_root/tests/support/prereq.sh"

require '[ "$(id -u)" = 0 ]' "root (bob traces with eBPF)"
require '[ -r /sys/kernel/btf/vmlinux ]' "BPF type information (/sys/kernel/btf/vmlinux)"
require 'command -v docker-registry' "docker-registry (Debian package docker-registry)"
require 'command -v skopeo' "skopeo"
require 'command -v umoci' "umoci"
require '[ -x /bin/busybox ]' "busybox-static"
require 'command -v node && command -v npm' "nodejs and npm"
require 'command -v php' "php-cli"
require 'command -v curl' "curl"
require 'command -v ping' "ping (iputils-ping)"

work="$(mktemp -d "${TMPDIR:-/tmp}/bob-e2e-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT

failures=0
expect_exit() {  # STEP EXPECTED
  local got
  got="$(awk -F'\t' -v s="$1" '$1 == s {print $3}' "$work/flow/results.tsv" 2>/dev/null)"
  if [ "$got" = "$2" ]; then
    echo "ok   $1 exited $2"
  else
    echo "FAIL $1: expected exit $2, got ${got:-nothing (the step did not run)}"
    failures=$((failures + 1))
  fi
}

flow_rc=0
"$source_root/scripts/e2e-flow.sh" --bob "$BOB" --workdir "$work/flow" --part "$part" || flow_rc=$?
echo
echo "== e2e-flow.sh exited $flow_rc"

if [ "$part" != webapp ]; then
  expect_exit vendor-record 0
  expect_exit vendor-validate 0
  expect_exit vendor-generalize 0
  expect_exit vendor-keygen 0
  expect_exit vendor-push-specific 0
  expect_exit vendor-push-generalized 0
  expect_exit user-discover 0
  expect_exit user-pull 0
  expect_exit genuine-verify 0
  expect_exit tampered-verify 1
  expect_exit attacker-push 0
  expect_exit tampered-bob-pull 4
fi
if [ "$part" != npm ]; then
  expect_exit webapp-record 0
  expect_exit webapp-validate 0
  expect_exit webapp-benign-verify 0
  expect_exit webapp-attack-verify 1
fi
node "$here/check_reports.js" "$work/flow" "$part" || failures=$((failures + 1))
[ "$flow_rc" = 0 ] || { echo "FAIL e2e-flow.sh exited $flow_rc"; failures=$((failures + 1)); }

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all end-to-end checks passed"
