#!/usr/bin/env bash
# bob export --format seccomp, enforced for real (issue 5): a small installer is recorded with
# `bob record`; the recorded profile and its `bob generalize` output are exported with
# `bob export --format seccomp`; the installer runs to success under each filter, loaded with
# libseccomp in a child process (seccomp_run.cpp). A program making a syscall the profile does not
# list (chroot) fails with EPERM, and passes once that one syscall is added; with --log it passes.
#
# Between seccomp_load and the installer's first instruction the helper makes exactly one
# syscall, the execve of the installer (it does not even free the filter context, which the exec
# discards). That execve is in the profile because bob record counts the command's own execve;
# the test checks it is there instead of adding it.
# usage: test_seccomp.sh SECCOMP_RUN_HELPER   (env: BOB, BOB_SOURCE_ROOT; needs root and BPF)
set -euo pipefail
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
helper="${1:-}"
require "[ -x '$helper' ]" "the libseccomp test helper (install libseccomp-dev and reconfigure)"
require '[ "$(id -u)" = 0 ]' "root (eBPF tracing)"
require 'command -v jq' "jq"
require '[ -x /usr/sbin/chroot ]' "/usr/sbin/chroot"
probe=$(mktemp -d)
require '"$BOB" record -q -o "$probe/p.yaml" -- /bin/true' "a working eBPF tracer (bob record)"
rm -rf "$probe"
case "$(uname -m)" in
  x86_64 | aarch64) ;;
  *) require "false" "a machine bob maps to a seccomp architecture (amd64 or arm64)" ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# --- the installer: unpack a package into a prefix, install a script, render a config ----------
mkdir -p "$tmp/pkg/widget-1.0/bin" "$tmp/pkg/widget-1.0/etc"
printf '#!/bin/sh\necho "widget @VERSION@"\n' >"$tmp/pkg/widget-1.0/bin/widget.in"
printf 'name = widget\nprefix = @PREFIX@\n' >"$tmp/pkg/widget-1.0/etc/widget.conf.in"
tar -czf "$tmp/widget-1.0.tar.gz" -C "$tmp/pkg" widget-1.0
cat >"$tmp/install.sh" <<'EOF'
# usage: sh install.sh TARBALL PREFIX
set -e
tarball="$1" prefix="$2"
work="$prefix/.build"
mkdir -p "$work" "$prefix/bin" "$prefix/etc"
tar -xzf "$tarball" -C "$work"
src="$work/widget-1.0"
sed "s/@VERSION@/1.0/" "$src/bin/widget.in" >"$work/widget"
install -m 0755 "$work/widget" "$prefix/bin/widget"
sed "s|@PREFIX@|$prefix|" "$src/etc/widget.conf.in" >"$prefix/etc/widget.conf"
ln -sf widget "$prefix/bin/widget-1"
rm -rf "$work"
"$prefix/bin/widget-1"
EOF

# 1. Record it, then generalize the recording.
"$BOB" record -q --name widget-installer -o "$tmp/recorded.yaml" -- \
  /bin/sh "$tmp/install.sh" "$tmp/widget-1.0.tar.gz" "$tmp/rec-prefix" >/dev/null
"$BOB" generalize -q "$tmp/recorded.yaml" -o "$tmp/generalized.yaml"

# 2. Export both; check the filters hold what the test relies on.
for p in recorded generalized; do
  "$BOB" export --format seccomp "$tmp/$p.yaml" -o "$tmp/$p.json"
  [ "$(jq -r .defaultAction "$tmp/$p.json")" = SCMP_ACT_ERRNO ] || fail "$p: default action"
  jq -e '.syscalls[0].names | index("execve")' "$tmp/$p.json" >/dev/null ||
    fail "$p: execve is not in the recorded syscalls; the helper's own execve would be refused"
  jq -e '.syscalls[0].names | index("chroot")' "$tmp/$p.json" >/dev/null &&
    fail "$p: the installer's profile lists chroot, the test needs a syscall it does not list"
  [ "$(jq -r '.syscalls[0].names | length' "$tmp/$p.json")" -ge 20 ] ||
    fail "$p: suspiciously few syscalls: $(jq -c '.syscalls[0].names' "$tmp/$p.json")"
done
cmp -s <(jq -c '.syscalls' "$tmp/recorded.json") <(jq -c '.syscalls' "$tmp/generalized.json") ||
  fail "generalize changed the syscall list"

# 3. The installer runs to success under each filter, into a prefix it has not seen.
for p in recorded generalized; do
  out=$("$helper" "$tmp/$p.json" /bin/sh "$tmp/install.sh" "$tmp/widget-1.0.tar.gz" \
        "$tmp/$p-prefix" 2>"$tmp/$p.err") ||
    fail "the installer failed under the $p profile's filter: $(cat "$tmp/$p.err")"
  [ "$out" = "widget 1.0" ] || fail "$p: unexpected installer output '$out'"
  grep -qx "prefix = $tmp/$p-prefix" "$tmp/$p-prefix/etc/widget.conf" ||
    fail "$p: the installer did not render its config"
done

# 4. chroot, which the profile does not list, fails with EPERM (chroot(2) itself; the binary's
#    other syscalls are the installer's), and passes when only chroot is added.
set +e
"$helper" "$tmp/generalized.json" /usr/sbin/chroot / /bin/true 2>"$tmp/deny.err"
status=$?
set -e
[ "$status" -ne 0 ] || fail "chroot succeeded although the profile omits it"
grep -q "Operation not permitted" "$tmp/deny.err" ||
  fail "expected EPERM from chroot, got: $(cat "$tmp/deny.err")"
jq '.syscalls[0].names += ["chroot"]' "$tmp/generalized.json" >"$tmp/with-chroot.json"
"$helper" "$tmp/with-chroot.json" /usr/sbin/chroot / /bin/true ||
  fail "chroot failed although only chroot was missing before"

# 5. With --log the omitted call is allowed (and logged by the kernel).
"$BOB" export --format seccomp --log "$tmp/generalized.yaml" -o "$tmp/log.json"
[ "$(jq -r .defaultAction "$tmp/log.json")" = SCMP_ACT_LOG ] || fail "--log default action"
"$helper" "$tmp/log.json" /usr/sbin/chroot / /bin/true || fail "--log profile blocked chroot"

echo "seccomp export: the recorded installer runs under its recorded and generalized filters," \
     "chroot is blocked with EPERM, --log lets it through"
