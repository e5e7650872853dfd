#!/usr/bin/env bash
# The npm scenario of issue 4: a vendor records an offline `npm install` of a local package
# tarball (its postinstall reads its own files, writes output and runs a helper) under one HOME,
# working directory, TMPDIR and prefix; a user verifies a fresh run under other ones: it passes.
# The same package reading one extra file in its postinstall (here: only when a trigger variable
# is set, as CI-targeting malware does) fails with exactly one R0002 for that file. A tampered
# tarball that does the same read fails as well.
set -u
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"

require '[ "$(id -u)" = 0 ]' "root (eBPF tracing)"
require 'command -v npm && command -v node' "npm and node"
require 'command -v python3' "python3"
probe=$(mktemp -d)
require '"$BOB" record -q -o "$probe/p.yaml" -- /bin/true' "a working eBPF tracer (bob record)"
rm -rf "$probe"

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# --- the package -------------------------------------------------------------------------------
make_package() {  # make_package DIR EXTRA-JS
  mkdir -p "$1"
  cat >"$1/package.json" <<'EOF'
{"name": "bob-verify-demo", "version": "1.0.0", "scripts": {"postinstall": "node postinstall.js"}}
EOF
  echo "demo data" >"$1/data.txt"
  printf '#!/bin/sh\necho "helper ran" >"$(dirname "$0")/helper.out"\n' >"$1/helper.sh"
  cat >"$1/postinstall.js" <<EOF
const fs = require('fs');
const os = require('os');
const path = require('path');
const data = fs.readFileSync(path.join(__dirname, 'data.txt'), 'utf8');
fs.writeFileSync(path.join(__dirname, 'out.txt'), data.toUpperCase());
require('child_process').execFileSync('/bin/sh', [path.join(__dirname, 'helper.sh')]);
if (process.env.BOB_DEMO_TRIGGER) {
  try { fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa')); } catch (e) {}
}
$2
EOF
  (cd "$1" && npm pack --silent --pack-destination "$W" >/dev/null 2>&1) || return 1
}
make_package "$W/src/genuine" "" || { bad "npm pack"; exit 1; }
mv "$W/bob-verify-demo-1.0.0.tgz" "$W/genuine.tgz"
make_package "$W/src/tampered" \
  "try { fs.readFileSync(path.join(os.homedir(), '.ssh', 'id_rsa')); } catch (e) {}" ||
  { bad "npm pack"; exit 1; }
mv "$W/bob-verify-demo-1.0.0.tgz" "$W/tampered.tgz"

# One machine's layout: home (with a private key), project dir, temp dir, prefix.
setup_machine() {  # setup_machine NAME TARBALL
  local m="$W/$1"
  mkdir -p "$m/home/.ssh" "$m/proj" "$m/tmp" "$m/prefix"
  echo "PRIVATE KEY" >"$m/home/.ssh/id_rsa"
  cp "$2" "$m/proj/pkg.tgz"
  # The installer: a fresh, offline install each time (no cache left from an earlier run).
  cat >"$m/proj/install.sh" <<'EOF'
rm -rf node_modules package.json package-lock.json "$TMPDIR/npm-cache"
exec npm install --offline --no-audit --no-fund --no-update-notifier --cache "$TMPDIR/npm-cache" ./pkg.tgz
EOF
}
setup_machine vendor "$W/genuine.tgz"
setup_machine user "$W/genuine.tgz"
setup_machine user2 "$W/tampered.tgz"

on_machine() {  # on_machine NAME CMD... : run in that machine's project with its roots
  local m="$W/$1"
  shift
  (cd "$m/proj" && HOME="$m/home" TMPDIR="$m/tmp" npm_config_prefix="$m/prefix" "$@")
}

# --- the vendor records (two runs: random temp names become ⋯) ---------------------------------
on_machine vendor "$BOB" record -q --runs 2 --name bob-verify-demo -o "$W/profile.yaml" \
  -- /bin/sh install.sh >/dev/null
rc=$?
[ $rc -eq 0 ] && ok "vendor recording exits 0" || { bad "record exited $rc"; exit 1; }
grep -q "bob.dev/roots.*$W/vendor/home" "$W/profile.yaml" && ok "the profile notes the vendor's home" \
  || bad "no vendor home in bob.dev/roots"

findings() {  # findings REPORT : one line per alert, "RULE path-or-message"
  python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["findings"]:
    a = f["alert"]; args = a["BaseRuntimeMetadata"]["arguments"]
    print(a["RuleID"], args.get("path", a["message"]))' "$1"
}

verify_on() {  # verify_on MACHINE NAME [ENV=VALUE...]
  local machine="$1" name="$2"
  shift 2
  on_machine "$machine" env "$@" "$BOB" verify-install -q --profile "$W/profile.yaml" \
    --format json --report "$W/$name.json" -- /bin/sh install.sh >/dev/null
}

# --- a genuine run on another machine layout passes ---------------------------------------------
verify_on user genuine
rc=$?
[ $rc -eq 0 ] && ok "genuine install under other roots passes" || {
  bad "genuine install: exit $rc"
  findings "$W/genuine.json" | head -20
}
[ -f "$W/user/proj/node_modules/bob-verify-demo/helper.out" ] && ok "the postinstall ran" \
  || bad "the postinstall did not run"

# --- the same package reading one extra file fails with exactly that R0002 ----------------------
verify_on user triggered BOB_DEMO_TRIGGER=1
rc=$?
[ $rc -eq 1 ] && ok "the extra read fails verification (exit 1)" || bad "triggered: exit $rc"
got=$(findings "$W/triggered.json")
want="R0002 $W/user/home/.ssh/id_rsa"
[ "$got" = "$want" ] && ok "exactly one R0002 for the private key" || {
  bad "triggered findings:"
  echo "$got" | head -20
}

# --- a tampered tarball doing the same read fails too ------------------------------------------
verify_on user2 tampered
rc=$?
[ $rc -eq 1 ] && ok "the tampered tarball fails verification (exit 1)" || bad "tampered: exit $rc"
findings "$W/tampered.json" | grep -qx "R0002 $W/user2/home/.ssh/id_rsa" \
  && ok "the tampered tarball's key read is reported" || {
  bad "no R0002 for the key read of the tampered tarball"
  findings "$W/tampered.json" | head -20
}

[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
