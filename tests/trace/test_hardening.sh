#!/usr/bin/env bash
# Issue 7 hardening of bob record and bob verify-install, end to end (needs root, BPF, bpftool):
# 1. SIGINT or SIGTERM to bob while the installer runs a tree of sleepers (a plain child, a new
#    session, a double-forked daemon, one ignoring INT/TERM/HUP, `setsid -f`): bob exits 5, no
#    process of the tree is left (marker in their environment, read from /proc), none of the BPF
#    programs and links bob had attached is left (bpftool, by id), verify-install leaves a
#    complete inconclusive JSON report, record leaves no profile.
# 2. Event loss (a 4 KiB ring buffer and a burst of opens), a BPF program the kernel refuses, and
#    a ring-buffer reader that dies mid-run each give exit 5 and say why, never 0; record writes
#    nothing. The same workload without the fault passes, so the test can tell the difference.
# 3. Without the cap_capable program (refused as on a kernel < 6.14) record notes that
#    capabilities were not traced and leaves `capability` out of the traced kinds;
#    verify-install is inconclusive.
# Faults come from BOB_TRACE_TEST_FAULT (docs/tracing.md).
set -uo pipefail
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require "[ \"\$(id -u)\" = 0 ]" "root (BPF tracing)"
require "command -v bpftool" "bpftool"
require "command -v python3" "python3"
require "command -v setsid" "setsid"
T=$(mktemp -d /tmp/bob-hardening.XXXXXX)
# On any exit, end what a failed case may have left: the trees of this run (their marker ends in
# this shell's pid) and the background bobs.
cleanup() {
  local f pid
  for f in $(grep -l -a -s -E "BOB_HARD_MARKER=bob-hard-[a-z-]+-[A-Z]+-$$" /proc/[0-9]*/environ); do
    pid=${f#/proc/}
    kill -9 "${pid%%/*}" 2>/dev/null
  done
  kill -9 $(jobs -p) 2>/dev/null
  rm -rf "$T"
}
trap cleanup EXIT
require "\"$BOB\" record -q -o '$T/probe.yaml' -- /bin/true" "BPF tracing through bob record"
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# ---- 1. interruption ------------------------------------------------------------------------
cat >"$T/tree.sh" <<'SH'
sleep 1000 &
setsid sh -c 'sleep 1000 & exec sleep 1000' &
sh -c 'sh -c "sleep 1000 &"; exec sleep 1000' &
(trap '' INT TERM HUP; exec sleep 1000) &
setsid -f sleep 1000
echo ready >"$READY"
wait
SH
"$BOB" record -q -o "$T/tree-profile.yaml" -- /bin/true || fail "recording the profile failed"

marked() {  # processes whose environment holds the marker
  grep -l -a -s "BOB_HARD_MARKER=$1" /proc/[0-9]*/environ 2>/dev/null | wc -l
}
owned_ids() {  # owned_ids prog|link PID: ids of the BPF programs or links PID holds open
  cat /proc/"$2"/fdinfo/* 2>/dev/null | awk -v key="$1_id:" '$1 == key { print $2 }' | sort -u |
    tr '\n' ' '
}

interrupt_case() {  # interrupt_case verify-install|record INT|TERM
  local mode=$1 sig=$2 marker="bob-hard-$1-$2-$$" out="$T/out-$1-$2" bob rc i before=$fails
  mkdir -p "$out"
  rm -f "$T/ready"
  if [ "$mode" = verify-install ]; then
    BOB_HARD_MARKER=$marker READY=$T/ready "$BOB" verify-install -q --format json \
      --profile "$T/tree-profile.yaml" --report "$out/report.json" -- /bin/sh "$T/tree.sh" \
      >/dev/null 2>"$T/stderr-$mode-$sig" &
  else
    BOB_HARD_MARKER=$marker READY=$T/ready "$BOB" record -o "$out/profile.yaml" \
      -- /bin/sh "$T/tree.sh" >/dev/null 2>"$T/stderr-$mode-$sig" &
  fi
  bob=$!
  for i in $(seq 600); do
    [ -e "$T/ready" ] && [ "$(marked "$marker")" -ge 9 ] && break
    sleep 0.1
  done
  [ "$(marked "$marker")" -ge 9 ] || { fail "$mode $sig: the tree did not start"; kill -9 $bob; return; }
  local progs links
  progs=$(owned_ids prog $bob)
  links=$(owned_ids link $bob)
  [ "$(echo $progs | wc -w)" -ge 5 ] || fail "$mode $sig: bob's programs not seen: '$progs'"
  [ "$(echo $links | wc -w)" -ge 5 ] || fail "$mode $sig: bob's links not seen: '$links'"
  kill -"$sig" $bob
  wait $bob
  rc=$?
  [ "$rc" = 5 ] || fail "$mode $sig: exit $rc, want 5"
  local left
  left=$(marked "$marker")
  [ "$left" = 0 ] || fail "$mode $sig: $left process(es) of the tree still running"
  for i in $links; do
    bpftool link show id "$i" >/dev/null 2>&1 && fail "$mode $sig: BPF link $i still attached"
  done
  # A detached program's memory is freed after an RCU grace period and a deferred work item, so
  # its id can outlive bob's exit by a moment, longer on a loaded machine; it must be gone within
  # 30 s (it no longer runs: its link is gone above).
  local still
  for i in $(seq 300); do
    still=""
    for id in $progs; do bpftool prog show id "$id" >/dev/null 2>&1 && still="$still $id"; done
    [ -z "$still" ] && break
    sleep 0.1
  done
  [ -z "$still" ] || fail "$mode $sig: BPF program(s)$still still loaded"
  if [ "$mode" = verify-install ]; then
    [ "$(ls -A "$out")" = report.json ] || fail "$mode $sig: files left: $(ls -A "$out")"
    python3 - "$out/report.json" "$sig" <<'PY' || fail "$mode $sig: report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "inconclusive" and r["exitCode"] == 5, r
assert any("interrupted by SIG" + sys.argv[2] in x for x in r["inconclusive"]), r["inconclusive"]
PY
  else
    [ -z "$(ls -A "$out")" ] || fail "$mode $sig: files written: $(ls -A "$out")"
    grep -q "interrupted by SIG$sig" "$T/stderr-$mode-$sig" ||
      fail "$mode $sig: stderr does not say why: $(cat "$T/stderr-$mode-$sig")"
  fi
  [ "$fails" = "$before" ] && ok "$mode $sig: exit 5, tree gone, programs and links detached"
}
for mode in verify-install record; do
  for sig in INT TERM; do interrupt_case "$mode" "$sig"; done
done

# ---- 2. loss, refusal, a dead reader ---------------------------------------------------------
cat >"$T/burst.py" <<'PY'
import os
for i in range(10000, 14000):
    try:
        os.close(os.open("/nonexistent-bob-burst/%d" % i, os.O_RDONLY))
    except OSError:
        pass
PY
burst=(python3 "$T/burst.py")
"$BOB" record -q -o "$T/burst.yaml" -- "${burst[@]}" || fail "recording the burst failed"
"$BOB" verify-install -q --profile "$T/burst.yaml" --report "$T/burst-ok.txt" -- "${burst[@]}"
rc=$?
[ "$rc" = 0 ] || fail "the burst without a fault: exit $rc, want 0 ($(cat "$T/burst-ok.txt"))"

fault_case() {  # fault_case NAME FAULT WANT-TEXT PROFILE CMD...
  local name=$1 fault=$2 want=$3 profile=$4 rc before=$fails
  shift 4
  BOB_TRACE_TEST_FAULT=$fault "$BOB" verify-install -q --format json --profile "$profile" \
    --report "$T/$name.json" -- "$@" >/dev/null 2>"$T/$name.verify.err"
  rc=$?
  [ "$rc" = 5 ] || fail "$name: verify-install exit $rc, want 5"
  python3 - "$T/$name.json" "$want" <<'PY' || fail "$name: the report does not say why"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "inconclusive" and r["exitCode"] == 5, r["verdict"]
assert any(sys.argv[2] in x for x in r["inconclusive"]), r["inconclusive"]
PY
  BOB_TRACE_TEST_FAULT=$fault "$BOB" record -o "$T/$name.yaml" -- "$@" >/dev/null \
    2>"$T/$name.record.err"
  rc=$?
  [ "$rc" = 5 ] || fail "$name: record exit $rc, want 5"
  [ ! -e "$T/$name.yaml" ] || fail "$name: record wrote a profile"
  grep -q -- "$want" "$T/$name.record.err" || fail "$name: record does not say why"
  [ "$fails" = "$before" ] && ok "$name: exit 5 from both, with the reason"
}
fault_case loss ringbuf-bytes=4096 "lost" "$T/burst.yaml" "${burst[@]}"
rm -f "$T/ran"
fault_case refused refuse=on_exec "'on_exec'" "$T/tree-profile.yaml" /bin/touch "$T/ran"
[ ! -e "$T/ran" ] || fail "refused: the installer ran without its exec program"
fault_case dead-reader consume-error-after=20 "reading the BPF ring buffer failed" \
  "$T/tree-profile.yaml" /bin/sh -c "sleep 3; touch '$T/late'"
sleep 4
[ ! -e "$T/late" ] || fail "dead-reader: the installer went on running after the reader died"

# ---- 3. no capability tracepoint ------------------------------------------------------------
BOB_TRACE_TEST_FAULT=refuse=on_cap_capable "$BOB" record --format json -o "$T/nocap.json" \
  -- /bin/true 2>"$T/nocap.err"
rc=$?
[ "$rc" = 0 ] || fail "no cap_capable: record exit $rc, want 0"
grep -q "capabilities not traced" "$T/nocap.err" || fail "no cap_capable: no note on stderr"
python3 - "$T/nocap.json" <<'PY' || fail "no cap_capable: profile annotation"
import json, sys
doc = json.load(open(sys.argv[1]))
rec = json.loads(doc["metadata"]["annotations"]["bob.dev/recorded-with"])
assert rec["traced"] == ["exec", "open", "syscall", "network", "dns"], rec["traced"]
assert not doc["spec"]["containers"][0].get("capabilities"), doc["spec"]["containers"][0]
PY
BOB_TRACE_TEST_FAULT=refuse=on_cap_capable "$BOB" verify-install -q --format json \
  --profile "$T/tree-profile.yaml" --report "$T/nocap-verify.json" -- /bin/true 2>/dev/null
rc=$?
[ "$rc" = 5 ] || fail "no cap_capable: verify-install exit $rc, want 5"
grep -q "capabilities were not traced" "$T/nocap-verify.json" ||
  fail "no cap_capable: the report does not say capabilities were not traced"
ok "no cap_capable: recorded with a note; verification inconclusive"

# ---- 4. no /proc of bob's own ----------------------------------------------------------------
# libbpf opens bob's copy of the kernel's types through /proc/self/fd; with an empty /proc bob
# must notice and let libbpf use the kernel's whole BTF, and record the same thing.
# The dynamic loader finds libbob through /proc/self/exe too: hence LD_LIBRARY_PATH. In the
# sanitizer build, LeakSanitizer needs /proc at exit, and the sanitizers read their options from
# /proc/self/environ: a file of that name on the empty /proc turns the leak check off, and sends
# reports to stderr, since ASan warns there that it cannot find the stack's bounds (an error
# still exits 86, which fails the check of the exit status below).
unshare --mount sh -c 'mount -t tmpfs none /proc && mkdir /proc/self &&
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:log_path=stderr" \
  LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}log_path=stderr" \
  UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=stderr" env -0 >/proc/self/environ &&
  exec "$@"' sh env LD_LIBRARY_PATH="$(dirname "$BOB")/../libbob" "$BOB" record -v --format json \
  -o "$T/noproc.json" -- /bin/cat /etc/hostname >/dev/null 2>"$T/noproc.err"
rc=$?
[ "$rc" = 0 ] || fail "no /proc: record exit $rc, want 0: $(tail -3 "$T/noproc.err")"
grep -q "relocation against the kernel's whole BTF: the BTF copy cannot be opened" \
  "$T/noproc.err" || fail "no /proc: bob did not say it used the whole BTF"
python3 - "$T/noproc.json" <<'PY' || fail "no /proc: the profile lacks the exec or the open"
import json, sys
container = json.load(open(sys.argv[1]))["spec"]["containers"][0]
assert {"path": "/usr/bin/cat", "args": ["/bin/cat", "/etc/hostname"]} in container["execs"], \
    container["execs"]
assert any(o["path"] == "/etc/hostname" and o["flags"] == ["O_RDONLY"]
           for o in container["opens"]), container["opens"]
PY
[ "$rc" = 0 ] && ok "no /proc: recorded against the kernel's whole BTF"

# ---- 5. what bob cannot see whole or write as it is ----------------------------------------
# A file whose path is longer than the tracer's 511 bytes: neither the cut name nor a guess may
# stand for it (the cut name could name another file), so recording and verifying are
# inconclusive, not a pass.
fails_before_long=$fails
long="$T/$(python3 -c "print('/'.join(['d' * 100] * 5))")"
mkdir -p "$long/sub" && echo public >"$long/f" && echo secret >"$long/sub/key"
"$BOB" record -o "$T/long.yaml" -- /bin/cat "$long/f" >/dev/null 2>"$T/long.err"
rc=$?
[ "$rc" = 5 ] || fail "long path: record exit $rc, want 5"
[ ! -e "$T/long.yaml" ] || fail "long path: record wrote a profile"
grep -q "511-byte limit" "$T/long.err" || fail "long path: record does not say why"
"$BOB" verify-install -q --profile "$T/tree-profile.yaml" --format json \
  --report "$T/long.json" -- /bin/cat "$long/sub/key" >/dev/null 2>&1
rc=$?
[ "$rc" = 5 ] || fail "long path: verify-install exit $rc, want 5"
grep -q "511-byte limit" "$T/long.json" || fail "long path: the report does not say why"
[ "$fails" = "$fails_before_long" ] && ok "long path: inconclusive, never guessed"

# A glob that matched nothing opens a file literally named `*`: written as it is, the entry would
# be a wildcard and allow every file of the folder.
mkdir -p "$T/globdir"
"$BOB" record -o "$T/glob.yaml" -- /bin/sh -c "cat '$T'/globdir/* 2>/dev/null; exit 0" \
  >/dev/null 2>"$T/glob.err"
rc=$?
[ "$rc" = 5 ] || fail "literal *: record exit $rc, want 5"
[ ! -e "$T/glob.yaml" ] || fail "literal *: record wrote a profile"
grep -q "globdir/\*' holds a segment '\*', which a profile reads as a wildcard" "$T/glob.err" ||
  fail "literal *: record does not say why: $(cat "$T/glob.err")"
[ "$rc" = 5 ] && ok "literal *: no profile that would allow the whole folder"

# A DNS query whose labels hold bytes that are not printable ASCII is recorded, escaped as RFC
# 4343 writes them, and one that is not a DNS query at all makes the run inconclusive.
cat >"$T/dns.py" <<'PY'
import socket, struct, sys
def query(labels):
    body = b"".join(bytes([len(l)]) + l for l in labels) + b"\0" + struct.pack(">HH", 1, 1)
    return struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(query([b"c2VjcmV0\xff", b"a.b", b"exfil", b"example"]), ("127.0.0.1", 53))
if len(sys.argv) > 1:
    s.sendto(b"not a dns query at all", ("127.0.0.1", 53))
PY
"$BOB" record --format json -o "$T/dns.json" -- python3 "$T/dns.py" >/dev/null 2>"$T/dns.err"
rc=$?
[ "$rc" = 0 ] || fail "dns: record exit $rc, want 0: $(tail -2 "$T/dns.err")"
python3 - "$T/dns.json" <<'PY' || fail "dns: the escaped name is not in the profile"
import json, sys
doc = json.load(open(sys.argv[1]))
hood = json.loads(doc["metadata"]["annotations"]["bob.dev/network-neighborhood"])
names = json.dumps(hood)
assert "c2VjcmV0\\\\255.a\\\\.b.exfil.example." in names, names
PY
"$BOB" record -o "$T/dns2.yaml" -- python3 "$T/dns.py" garbage >/dev/null 2>"$T/dns2.err"
rc=$?
[ "$rc" = 5 ] || fail "dns: a non-DNS datagram to port 53: record exit $rc, want 5"
grep -q "no DNS query bob could read" "$T/dns2.err" || fail "dns: record does not say why"
[ "$rc" = 5 ] && ok "dns: odd bytes recorded escaped; an unreadable datagram is inconclusive"

# Names that are not UTF-8: record refuses to write a profile it could not load again (exit 5,
# saying which), and every report format stays valid UTF-8, with U+FFFD for the odd bytes.
"$BOB" record -o "$T/latin1.yaml" -- /bin/cat "$T/caf$(printf '\351')" >/dev/null 2>"$T/latin1.err"
rc=$?
[ "$rc" = 5 ] || fail "not UTF-8: record exit $rc, want 5"
[ ! -e "$T/latin1.yaml" ] || fail "not UTF-8: record wrote a profile"
grep -q "caf\\\\xe9' is not UTF-8" "$T/latin1.err" || fail "not UTF-8: record does not say why"
for format in json sarif junit; do
  "$BOB" verify-install -q --profile "$T/tree-profile.yaml" --format "$format" \
    --report "$T/latin1.$format" -- /bin/cat "$T/caf$(printf '\351')" >/dev/null 2>&1
  rc=$?
  [ "$rc" = 1 ] || fail "not UTF-8: verify-install --format $format exit $rc, want 1"
  python3 -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$T/latin1.$format" ||
    fail "not UTF-8: the $format report is not UTF-8"
  grep -q "caf$(printf '\357\277\275')" "$T/latin1.$format" ||
    fail "not UTF-8: the $format report does not show the name with U+FFFD"
done
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/latin1.json" ||
  fail "not UTF-8: the json report does not parse"
[ "$rc" = 1 ] && ok "not UTF-8: no profile written; reports valid UTF-8"

# A descendant still running after the linger time is killed, not left to run untraced.
"$BOB" verify-install -q --profile "$T/tree-profile.yaml" --format json --report "$T/linger.json" \
  -- /bin/sh -c "setsid sleep 1004 </dev/null >/dev/null 2>&1 & exit 0" >/dev/null 2>&1
rc=$?
[ "$rc" = 5 ] || fail "lingering daemon: verify-install exit $rc, want 5"
sleep 0.2
if pgrep -f "sleep 1004" >/dev/null; then
  fail "lingering daemon: still running"
  pkill -f "sleep 1004"
fi
grep -q "still running after the command exited were killed" "$T/linger.json" ||
  fail "lingering daemon: the report does not say it was killed"
[ "$rc" = 5 ] && ok "lingering daemon: killed, inconclusive"

# The command's own status is passed through and described as what it was.
"$BOB" record -o "$T/exit255.yaml" -- /bin/sh -c "exit 255" >/dev/null 2>"$T/exit255.err"
rc=$?
[ "$rc" = 255 ] || fail "exit 255: record exit $rc, want 255"
grep -q "the command exited with status 255" "$T/exit255.err" ||
  fail "exit 255: not described as an exit: $(cat "$T/exit255.err")"
[ "$rc" = 255 ] && ok "exit 255: passed through, described as an exit"

# A report that cannot reach standard output is a failure, not a silent pass.
"$BOB" verify-install -q --profile "$T/tree-profile.yaml" --format json -- /bin/true \
  >/dev/full 2>"$T/full.err"
rc=$?
[ "$rc" = 2 ] || fail "report to a full stdout: exit $rc, want 2"
grep -q "<stdout>: cannot write" "$T/full.err" || fail "report to a full stdout: no error"
[ "$rc" = 2 ] && ok "report to a full stdout: exit 2"

[ "$fails" = 0 ] || { echo "$fails failure(s)" >&2; exit 1; }
echo ok
