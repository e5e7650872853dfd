#!/usr/bin/env bash
# bob record end to end: stdio and exit status pass through, the profile holds the exact execs,
# opens and annotations, and passes `bob validate`. Needs root and BPF.
set -euo pipefail
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
T=$(mktemp -d /tmp/bob-record-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

require "[ \"\$(id -u)\" = 0 ]" "root (BPF tracing)"
require "\"$BOB\" record -q -o '$T/probe.yaml' -- /bin/true" "BPF tracing through bob record"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Exit status and stdout pass through; the profile is still written.
set +e
out=$("$BOB" record -q --name demo --format json -o "$T/p.json" -- \
      /bin/sh -c 'echo hello; cat /etc/hostname >/dev/null; exit 3')
rc=$?
set -e
[ "$rc" = 3 ] || fail "exit status $rc, want 3"
[ "$out" = hello ] || fail "stdout '$out', want hello"
[ -s "$T/p.json" ] || fail "no profile written"

dash=$(readlink -f /bin/sh)
cat_bin=$(readlink -f "$(command -v cat)")
python3 - "$T/p.json" "$dash" "$cat_bin" <<'PY'
import json, sys
path, dash, cat = sys.argv[1:]
doc = json.load(open(path))
assert doc["kind"] == "ApplicationProfile", doc["kind"]
assert doc["metadata"]["name"] == "demo"
ann = doc["metadata"]["annotations"]
rec = json.loads(ann["bob.dev/recorded-with"])
assert "exec" in rec["traced"] and "open" in rec["traced"], rec
roots = json.loads(ann["bob.dev/roots"])
assert roots["cwd"], roots
c = doc["spec"]["containers"][0]
execs = {(e["path"], tuple(e.get("args", []))) for e in c["execs"]}
want_sh = (dash, ("/bin/sh", "-c", "echo hello; cat /etc/hostname >/dev/null; exit 3"))
assert want_sh in execs, execs
assert any(p == cat for p, _ in execs), execs
opens = {o["path"]: o["flags"] for o in c["opens"]}
assert "O_RDONLY" in opens.get("/etc/hostname", []), sorted(opens)
assert "execve" in c["syscalls"] and "exit_group" in c["syscalls"], c["syscalls"]
PY

if "$BOB" validate --help >/dev/null 2>&1; then
  "$BOB" validate "$T/p.json" || fail "bob validate rejected the recorded profile"
fi

# Usage errors: no command; a command that does not exist.
set +e
"$BOB" record -q -o "$T/x.yaml" >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "no command: exit $rc, want 2"
"$BOB" record -q -o "$T/x.yaml" -- bob-no-such-command-xyz >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ] || fail "missing command: exit $rc, want 2"
[ ! -e "$T/x.yaml" ] || fail "a profile was written for a failed recording"
set -e

# Two runs whose temp directory differs: the varying segment becomes ⋯, the rest stays.
"$BOB" record -q --runs 2 --format json -o "$T/runs.json" -- \
  /bin/sh -c 'd=$(mktemp -d /tmp/bob-runs.XXXXXX); echo x > "$d/same-name"; cat "$d/same-name" >/dev/null; rm -r "$d"'
python3 - "$T/runs.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["spec"]["containers"][0]
paths = [o["path"] for o in c["opens"]]
assert "/tmp/bob-runs.\u22ef/same-name" not in paths  # whole segments only
assert "/tmp/\u22ef/same-name" in paths, paths
PY

# --fresh: every run starts from the same state of DIR (restored, a file the run deleted comes
# back) and of NEW (absent before run 1, so removed again); without it run 2 sees run 1's state.
D="$T/fresh"
mkdir -p "$D/sub"
echo keep >"$D/sub/keep"
state_script='if [ -e "$0/state" ] || [ ! -e "$0/sub/keep" ] || [ -e "$0.new" ]; then
  echo again >>"$0.log"; else echo first >>"$0.log"; fi
rm -f "$0/sub/keep"; echo x >"$0/state"; mkdir -p "$0.new"'
"$BOB" record -q --runs 3 --fresh "$D" --fresh "$D.new" -o "$T/fresh.yaml" -- \
  /bin/sh -c "$state_script" "$D" || fail "record --fresh failed"
[ "$(tr '\n' ' ' <"$D.log")" = "first first first " ] || fail "--fresh runs: $(cat "$D.log")"
[ -e "$D/state" ] && [ ! -e "$D/sub/keep" ] || fail "--fresh: DIR does not hold the last run's state"
ls -A "$T" | grep -q bob-fresh && fail "--fresh left its snapshot: $(ls -A "$T")"
rm -rf "$D" "$D.log" "$D.new"
mkdir -p "$D/sub"
echo keep >"$D/sub/keep"
"$BOB" record -q --runs 2 -o "$T/stale.yaml" -- /bin/sh -c "$state_script" "$D" ||
  fail "record --runs 2 failed"
[ "$(tr '\n' ' ' <"$D.log")" = "first again " ] || fail "runs without --fresh: $(cat "$D.log")"
set +e
"$BOB" record -q --runs 2 --fresh / -o "$T/x.yaml" -- /bin/true 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "--fresh /: exit $rc, want 2"
"$BOB" record -q --fresh "$D" -o "$T/x.yaml" -- /bin/true 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "--fresh without --runs: exit $rc, want 2"
"$BOB" record -q --runs 2 --fresh "$T" --fresh "$D" -o "$T/x.yaml" -- /bin/true 2>/dev/null; rc=$?
[ "$rc" = 2 ] || fail "nested --fresh: exit $rc, want 2"
[ ! -e "$T/x.yaml" ] || fail "a profile was written after a usage error"
set -e
echo "ok"
