#!/usr/bin/env bash
# record -> verify on the real tracer: the same command passes; adding exactly one exec, one open
# of a new file, one connection (to a loopback port) or one new syscall fails with exactly that
# alert. Usage: test_record_verify.sh ACTOR (the built tests/verify/actor program).
set -u
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
ACTOR="$1"

require '[ "$(id -u)" = 0 ]' "root (eBPF tracing)"
require 'command -v python3' "python3"
probe=$(mktemp -d)
require '"$BOB" record -q -o "$probe/p.yaml" -- /bin/true' "a working eBPF tracer (bob record)"

work=$(mktemp -d)
listeners=()
cleanup() {
  for pid in "${listeners[@]}"; do kill "$pid" 2>/dev/null; done
  rm -rf "$work" "$probe"
}
trap cleanup EXIT

# Two loopback listeners outside the traced tree; connects complete into their backlog.
listen() {
  python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
print(s.getsockname()[1], flush=True); time.sleep(900)' >"$work/port.$1" &
  listeners+=($!)
  for _ in $(seq 100); do [ -s "$work/port.$1" ] && break; sleep 0.1; done
}
listen a
listen b
port_a=$(cat "$work/port.a")
port_b=$(cat "$work/port.b")

echo "input a" >"$work/a.txt"
echo "input b" >"$work/b.txt"
cp "$ACTOR" "$work/other-tool"
base=("read:$work/a.txt" "write:$work/out.txt" "connect:$port_a" "exec:$ACTOR")
# The installer's command line never changes; what it does comes from the plan file.
plan() { printf '%s\n' "$@" >"$work/plan"; }
plan "${base[@]}"

fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

"$BOB" record -q --runs 3 -o "$work/profile.yaml" -- "$ACTOR" "@$work/plan"
rc=$?
[ $rc -eq 0 ] && ok "record exits 0" || { bad "record exited $rc"; exit 1; }

# verify NAME EXPECTED-EXIT EXPECTED-RULES(space separated, sorted) ACTIONS...
verify() {
  local name="$1" want_rc="$2" want_rules="$3"
  shift 3
  plan "$@"
  "$BOB" verify-install -q --profile "$work/profile.yaml" --format json \
    --report "$work/$name.json" -- "$ACTOR" "@$work/plan"
  local rc=$?
  [ "$rc" -eq "$want_rc" ] && ok "$name: exit $rc" || bad "$name: exit $rc, expected $want_rc"
  local rules
  rules=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(" ".join(sorted(f["alert"]["RuleID"] for f in r["findings"])))' "$work/$name.json")
  if [ "$rules" = "$want_rules" ]; then
    ok "$name: alerts [$rules]"
  else
    bad "$name: alerts [$rules], expected [$want_rules]"
    python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["findings"]: print("  ", f["alert"]["message"])' \
      "$work/$name.json"
  fi
}

# The argument of the single alert, as "key=value".
alert_argument() {
  python3 -c 'import json, sys
f = json.load(open(sys.argv[1]))["findings"]
print(f[0]["alert"]["BaseRuntimeMetadata"]["arguments"][sys.argv[2]] if len(f) == 1 else "")' \
    "$work/$1.json" "$2"
}

verify same 0 "" "${base[@]}"
verify extra-exec 1 "R0001" "${base[@]}" "exec:$work/other-tool"
[ "$(alert_argument extra-exec exec)" = "$work/other-tool" ] && ok "R0001 names the new program" \
  || bad "R0001 names $(alert_argument extra-exec exec)"
verify extra-open 1 "R0002" "${base[@]}" "read:$work/b.txt"
[ "$(alert_argument extra-open path)" = "$work/b.txt" ] && ok "R0002 names the new file" \
  || bad "R0002 names $(alert_argument extra-open path)"
verify extra-connect 1 "R0011" "${base[@]}" "connect:$port_b"
[ "$(alert_argument extra-connect port)" = "$port_b" ] && ok "R0011 names the new port" \
  || bad "R0011 names port $(alert_argument extra-connect port)"
verify extra-syscall 1 "R0003" "${base[@]}" sysinfo
[ "$(alert_argument extra-syscall syscall)" = "sysinfo" ] && ok "R0003 names sysinfo" \
  || bad "R0003 names $(alert_argument extra-syscall syscall)"

# A failing installer fails verification even when its behaviour matched the profile.
"$BOB" verify-install -q --profile "$work/profile.yaml" --format json \
  --report "$work/failing.json" -- /bin/sh -c "exit 3" >/dev/null
rc=$?
[ $rc -eq 1 ] && ok "a failing installer exits 1" || bad "failing installer: exit $rc"

# --timeout kills the tree: inconclusive (5), and the report says so.
"$BOB" verify-install -q --profile "$work/profile.yaml" --timeout 1 --format json \
  --report "$work/timeout.json" -- /bin/sleep 30
rc=$?
[ $rc -eq 5 ] && ok "--timeout is inconclusive (exit 5)" || bad "--timeout: exit $rc"
verdict=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' \
  "$work/timeout.json")
[ "$verdict" = "inconclusive" ] && ok "timeout report verdict" || bad "timeout verdict $verdict"

# JUnit and SARIF from a real run parse.
plan "${base[@]}" "read:$work/b.txt"
"$BOB" verify-install -q --profile "$work/profile.yaml" --format junit \
  --report "$work/r.xml" -- "$ACTOR" "@$work/plan"
python3 "$BOB_SOURCE_ROOT/tests/verify/check_report.py" junit "$work/r.xml" >/dev/null \
  && ok "junit report parses" || bad "junit report"
plan "${base[@]}"
"$BOB" verify-install -q --profile "$work/profile.yaml" --format sarif -- \
  "$ACTOR" "@$work/plan" >"$work/r.sarif"
rc=$?
[ $rc -eq 0 ] && ok "sarif run exits 0" || bad "sarif run exit $rc"
python3 "$BOB_SOURCE_ROOT/tests/verify/check_report.py" sarif "$work/r.sarif" >/dev/null \
  && ok "sarif report parses" || bad "sarif report"

[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
