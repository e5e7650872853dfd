#!/usr/bin/env bash
# Records an offline `npm install` of a local package with a postinstall script under one HOME,
# TMPDIR and prefix, and checks the profile: node exec'd with the postinstall script, the file the
# script reads, the vendor roots annotation. Two runs with --fresh must both run the postinstall.
# When `bob verify-install` is built, fresh runs with other roots must pass (twice: the profile of
# two runs must not depend on luck) and a run reading one extra file must fail with R0002.
set -euo pipefail
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require "[ \"\$(id -u)\" = 0 ]" "root (BPF tracing)"
require "command -v npm" "npm"
require "command -v node" "node"
T=$(mktemp -d /tmp/bob-npm-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
require "\"$BOB\" record -q -o '$T/probe.yaml' -- /bin/true" "BPF tracing through bob record"
fail() { echo "FAIL: $*" >&2; exit 1; }

cp -r "$BOB_SOURCE_ROOT/testdata/trace/npm-postinstall" "$T/src"
(cd "$T/src" && HOME="$T" npm pack --silent --pack-destination "$T" >/dev/null)
tarball="$T/bob-postinstall-fixture-1.0.0.tgz"
[ -f "$tarball" ] || fail "npm pack produced no tarball"

install_env() {  # HOME, TMPDIR and prefix of one "machine"
  local root="$1"
  mkdir -p "$root/home" "$root/tmp" "$root/prefix"
  echo "HOME=$root/home TMPDIR=$root/tmp npm_config_cache=$root/home/.npm \
npm_config_update_notifier=false npm_config_prefix=$root/prefix"
}
npm_cmd=(npm install --offline --no-audit --no-fund --loglevel=error --global "$tarball")

# Two runs, each from the same fresh HOME, TMPDIR and prefix (--fresh): without it the second
# npm install finds the package "up to date" and skips the postinstall.
vendor="$T/vendor"
env $(install_env "$vendor") BOB_POSTINSTALL_LOG="$T/postinstall.log" "$BOB" record -q \
  --name npm-fixture --runs 2 --fresh "$vendor/home" --fresh "$vendor/tmp" \
  --fresh "$vendor/prefix" --format json -o "$T/profile.json" -- "${npm_cmd[@]}" >/dev/null
[ -f "$vendor/prefix/lib/node_modules/bob-postinstall-fixture/installed.marker" ] || \
  fail "the postinstall script did not run"
[ "$(grep -c ran "$T/postinstall.log")" = 2 ] || \
  fail "the postinstall ran $(grep -c ran "$T/postinstall.log") time(s) in 2 fresh runs"
ls -A "$vendor" | grep -q bob-fresh && fail "--fresh left its snapshots: $(ls -A "$vendor")"

node_bin=$(readlink -f "$(command -v node)")
python3 - "$T/profile.json" "$vendor" "$node_bin" <<'PY'
import json, sys
path, vendor, node = sys.argv[1:]
doc = json.load(open(path))
roots = json.loads(doc["metadata"]["annotations"]["bob.dev/roots"])
assert roots["home"] == vendor + "/home", roots
assert roots["tmp"] == vendor + "/tmp", roots
assert roots["prefix"] == vendor + "/prefix", roots
c = doc["spec"]["containers"][0]
assert any(e["path"] == node and "postinstall.js" in " ".join(e.get("args", []))
           for e in c["execs"]) or any(e["path"].endswith("/sh") for e in c["execs"]), c["execs"]
opens = {o["path"] for o in c["opens"]}
assert "/etc/os-release" in opens or "/usr/lib/os-release" in opens, sorted(opens)[:50]
marker = vendor + "/prefix/lib/node_modules/bob-postinstall-fixture/installed.marker"
assert marker in opens, [p for p in opens if "marker" in p]
PY

if "$BOB" verify-install --help >/dev/null 2>&1; then
  for user in "$T/user" "$T/user2"; do
    env $(install_env "$user") "$BOB" verify-install -q --profile "$T/profile.json" \
      --report "$user.report" -- "${npm_cmd[@]}" >/dev/null ||
      fail "a genuine install with other roots did not pass: $(cat "$user.report")"
  done
  extra="$T/extra-secret.txt"
  echo secret > "$extra"
  other="$T/other"
  set +e
  env $(install_env "$other") BOB_EXTRA_READ="$extra" "$BOB" verify-install -q --format json \
    --profile "$T/profile.json" --report "$T/report.json" -- "${npm_cmd[@]}" >/dev/null
  rc=$?
  set -e
  [ "$rc" = 1 ] || fail "an install reading one extra file: exit $rc, want 1"
  grep -q "extra-secret.txt" "$T/report.json" || fail "the report does not name the extra read"
fi
echo ok
