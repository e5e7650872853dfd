#!/usr/bin/env bash
# bob export --format seccomp, enforced for real: a command runs to success under a profile that
# lists the syscalls it needs (taken from `strace -f -c`), and a syscall the profile omits
# (mkdir/mkdirat) fails with EPERM. With --log the same call is only logged and succeeds.
# usage: test_seccomp.sh SECCOMP_RUN_HELPER   (env: BOB, BOB_SOURCE_ROOT)
set -euo pipefail
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
helper="${1:-}"
require "[ -x '$helper' ]" "the libseccomp test helper (install libseccomp-dev and reconfigure)"
require "command -v strace" "strace"
require "strace -f -o /dev/null true" "ptrace permission for strace"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) require "false" "a machine bob maps to a seccomp architecture (amd64 or arm64)" ;;
esac

# The work: create a directory, write a file in it, read it back.
work='mkdir "$1" && echo ok > "$1/f" && cat "$1/f"'

# 1. The syscalls the work needs, as strace counts them (execve of the shell included).
strace -f -c -o "$tmp/strace.txt" -- /bin/sh -c "$work" sh "$tmp/probe" >/dev/null
# strace -c counts only calls that return, so exit and exit_group never appear: add them.
{ awk '$1 ~ /^[0-9.]+$/ && $NF != "total" { print $NF }' "$tmp/strace.txt"; echo exit; echo exit_group; } |
  sort -u > "$tmp/calls"
grep -qx 'mkdir\|mkdirat' "$tmp/calls" || fail "strace did not see mkdir/mkdirat: $(tr '\n' ' ' < "$tmp/calls")"
[ "$(wc -l < "$tmp/calls")" -ge 10 ] || fail "suspiciously few syscalls: $(cat "$tmp/calls")"

write_profile() {  # $1 = output file, stdin = syscall names
  {
    echo "apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1"
    echo "kind: ApplicationProfile"
    echo "metadata: {name: seccomp-test, namespace: default}"
    echo "spec:"
    echo "  architectures: [$arch]"
    echo "  containers:"
    echo "  - name: app"
    echo "    syscalls:"
    sed 's/^/    - /'
  } > "$1"
}

write_profile "$tmp/allow.yaml" < "$tmp/calls"
grep -vx 'mkdir\|mkdirat' "$tmp/calls" | write_profile "$tmp/deny.yaml"

"$BOB" export --format seccomp "$tmp/allow.yaml" -o "$tmp/allow.json"
"$BOB" export --format seccomp "$tmp/deny.yaml" -o "$tmp/deny.json"
"$BOB" export --format seccomp --log "$tmp/deny.yaml" -o "$tmp/log.json"
[ "$(jq -r .defaultAction "$tmp/allow.json")" = SCMP_ACT_ERRNO ] || fail "default action"
[ "$(jq -r '.syscalls[0].names | length' "$tmp/allow.json")" = "$(wc -l < "$tmp/calls")" ] ||
  fail "the allow-list does not hold every recorded syscall"
[ "$(jq -r .defaultAction "$tmp/log.json")" = SCMP_ACT_LOG ] || fail "--log default action"

# 2. Everything the work needs is listed: it runs to success.
out=$("$helper" "$tmp/allow.json" /bin/sh -c "$work" sh "$tmp/run1") ||
  fail "the work failed under its own syscall list (exit $?)"
[ "$out" = ok ] || fail "unexpected output '$out'"
[ -f "$tmp/run1/f" ] || fail "the work did not write its file"

# 3. mkdir/mkdirat omitted: the same work fails at mkdir with EPERM and creates nothing.
set +e
"$helper" "$tmp/deny.json" /bin/sh -c 'mkdir "$1"' sh "$tmp/run2" 2> "$tmp/deny.err"
status=$?
set -e
[ "$status" -ne 0 ] || fail "mkdir succeeded although the profile omits it"
grep -q "Operation not permitted" "$tmp/deny.err" || fail "expected EPERM, got: $(cat "$tmp/deny.err")"
[ ! -e "$tmp/run2" ] || fail "the directory was created"

# 4. With --log the omitted call is allowed (and logged by the kernel).
"$helper" "$tmp/log.json" /bin/sh -c 'mkdir "$1"' sh "$tmp/run3" || fail "--log profile blocked mkdir"
[ -d "$tmp/run3" ] || fail "--log profile did not let mkdir through"

echo "seccomp export: allowed run ok, mkdir blocked with EPERM, --log lets it through"
