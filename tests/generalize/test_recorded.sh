#!/usr/bin/env bash
# The generalize guarantee over recorded runs (issue 5): real workloads are recorded with
# `bob record`, generalized with `bob generalize`, and then
#   - every exec, open (with flags), syscall, capability and endpoint the recording allows is still
#     allowed by the output (profile_covers: lost_behaviour, and a replay of the recording through
#     verify-install's comparator);
#   - `bob validate` of the output reports no wildcard warning;
#   - a fresh run of the same workload, under other roots and with other random names, passes
#     `bob verify-install --profile OUTPUT` (the practical guarantee).
# Generalized with --exec-args (the tree workload runs mkdir once per random number).
# Workloads: a shell script making 60 mktemp files and three mktemp directories (mktemp's default
# names, which bob record itself writes as ⋯: asserted, and the raw recording must PASS the fresh
# run too); a tree of numeric, uuid and 60 `item-N` names walked by find and archived by tar
# (volatile names and fan-out collapse both trigger: asserted), whose raw recording must FAIL
# verification of the fresh run (its random names differ), so the pass is owed to generalization;
# the examples/npm-demo package installed offline by npm.
# usage: test_recorded.sh PROFILE_COVERS   (env: BOB, BOB_SOURCE_ROOT; needs root and BPF)
set -u
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
covers="${1:-}"
require '[ "$(id -u)" = 0 ]' "root (eBPF tracing)"
require "[ -x '$covers' ]" "the profile_covers helper"
require 'command -v jq && command -v shuf && command -v tar' "jq, shuf and tar"
require 'command -v npm && command -v node' "npm and node"
probe=$(mktemp -d)
require '"$BOB" record -q -o "$probe/p.yaml" -- /bin/true' "a working eBPF tracer (bob record)"
rm -rf "$probe"

W=$(mktemp -d /tmp/bob-generalize-recorded.XXXXXXXXXX)
trap 'rm -rf "$W"' EXIT
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

# One machine's layout: home, project (working) directory, temp dir, npm prefix.
setup_machine() {  # setup_machine NAME WORKLOAD-SCRIPT
  mkdir -p "$W/$1/home" "$W/$1/proj" "$W/$1/tmp" "$W/$1/prefix"
  cp "$2" "$W/$1/proj/work.sh"
}
on_machine() {  # on_machine NAME CMD... : run in that machine's project with its roots
  local m="$W/$1"
  shift
  (cd "$m/proj" && HOME="$m/home" TMPDIR="$m/tmp" npm_config_prefix="$m/prefix" "$@")
}
opens() { jq '[.spec.containers[].opens | length] | add' "$1"; }

# --- the workloads ------------------------------------------------------------------------------
# Random names stay out of exec arguments (shell builtins read the files): generalize folds
# argument lists only when one program has more than 3 of them (mkdir below), see Limitations.
cat >"$W/tempfiles.sh" <<'EOF'
set -e
i=0
while [ $i -lt 60 ]; do
  f=$(mktemp)
  echo "$i" > "$f"
  i=$((i + 1))
done
total=0
for f in "$TMPDIR"/tmp.*; do read -r n < "$f"; total=$((total + n)); done
echo "$total" > "$TMPDIR/sum.txt"
for k in 1 2 3; do  # three, so that one single-class name (1 in 3,000) cannot stay the only one
  d=$(mktemp -d)
  echo done > "$d/result.txt"
  read -r r < "$d/result.txt"
done
echo "$r $(cat "$TMPDIR/sum.txt")"
find "$TMPDIR" -mindepth 1 -delete
EOF
cat >"$W/tree.sh" <<'EOF'
set -e
t="$TMPDIR/tree"
rm -rf "$t" "$TMPDIR/tree.tar"
mkdir -p "$t"
for n in $(shuf -i 1-999 -n 60); do
  mkdir "$t/$n"
  echo "$n" > "$t/$n/data.bin"
done
for n in $(shuf -i 1-999 -n 60); do echo "$n" > "$t/item-$n.txt"; done
for i in 1 2 3 4 5; do echo "$i" > "$t/$(cat /proc/sys/kernel/random/uuid)"; done
find "$t" -type f | sort > "$TMPDIR/list.txt"
tar -cf "$TMPDIR/tree.tar" -C "$TMPDIR" tree
tar -tf "$TMPDIR/tree.tar" | wc -l
EOF
cp -r "$BOB_SOURCE_ROOT/examples/npm-demo/genuine" "$W/npm-src"
(cd "$W/npm-src" && HOME="$W" npm pack --silent --pack-destination "$W" >/dev/null 2>&1) ||
  bad "npm pack"
cat >"$W/npm.sh" <<'EOF'
rm -rf node_modules package.json package-lock.json "$TMPDIR/npm-cache"
exec npm install --offline --no-audit --no-fund --no-update-notifier --cache "$TMPDIR/npm-cache" \
  ./pkg.tgz
EOF

# check_workload NAME RUNS RAW: record on one machine, generalize, check, verify a fresh run on
# another machine; RAW = fail|pass: the raw recording must fail (exit 1) or pass that kind of run
# too; anything else: not checked.
check_workload() {
  local name="$1" runs="$2" raw="$3"
  local rec="$W/$name.recorded.json" gen="$W/$name.generalized.json"
  setup_machine "vendor-$name" "$W/$name.sh"
  setup_machine "user-$name" "$W/$name.sh"
  [ -f "$W/bob-demo-widget-1.0.0.tgz" ] && cp "$W/bob-demo-widget-1.0.0.tgz" "$W/vendor-$name/proj/pkg.tgz" &&
    cp "$W/bob-demo-widget-1.0.0.tgz" "$W/user-$name/proj/pkg.tgz"

  on_machine "vendor-$name" "$BOB" record -q --runs "$runs" --name "$name" --format json \
    -o "$rec" -- /bin/sh work.sh >/dev/null
  local rc=$?
  [ $rc -eq 0 ] && ok "$name: recorded ($(opens "$rec") opens)" || { bad "$name: record exited $rc"; return; }

  "$BOB" generalize -q --exec-args "$rec" --format json -o "$gen" --explain >"$W/$name.explain" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok "$name: generalized ($(opens "$gen") opens)" ||
    { bad "$name: generalize exited $rc"; cat "$W/$name.explain"; return; }

  if "$covers" "$rec" "$gen" >"$W/$name.covers" 2>&1; then
    ok "$name: the output allows everything the recording allows ($(cat "$W/$name.covers"))"
  else
    bad "$name: behaviour lost:"
    head -20 "$W/$name.covers"
  fi

  "$BOB" validate "$gen" >"$W/$name.validate" 2>&1
  rc=$?
  [ $rc -eq 0 ] && ok "$name: bob validate passes" || { bad "$name: bob validate exited $rc"; cat "$W/$name.validate"; }
  if grep -qi wildcard "$W/$name.validate"; then
    bad "$name: bob validate warns about wildcards:"
    grep -i wildcard "$W/$name.validate" | head
  else
    ok "$name: no wildcard warning"
  fi

  on_machine "user-$name" "$BOB" verify-install -q --profile "$gen" --format json \
    --report "$W/$name.verify.json" -- /bin/sh work.sh >/dev/null
  rc=$?
  [ $rc -eq 0 ] && ok "$name: a fresh run under other roots passes verify-install" || {
    bad "$name: verify-install of a fresh run exited $rc"
    jq -r '.findings[]?.alert.message' "$W/$name.verify.json" 2>/dev/null | head -20
  }
  [ "$raw" = fail ] || [ "$raw" = pass ] || return 0
  on_machine "user-$name" "$BOB" verify-install -q --profile "$rec" --format json \
    --report "$W/$name.verify-raw.json" -- /bin/sh work.sh >/dev/null
  rc=$?
  if [ "$raw" = fail ]; then
    [ $rc -eq 1 ] && ok "$name: the raw recording fails the same kind of run (exit 1)" ||
      bad "$name: verify-install with the raw recording exited $rc, want 1"
  else
    [ $rc -eq 0 ] && ok "$name: the raw recording passes the same kind of run too" || {
      bad "$name: verify-install with the raw recording exited $rc, want 0"
      jq -r '.findings[]?.alert.message' "$W/$name.verify-raw.json" 2>/dev/null | head -20
    }
  fi
}

# has_open FILE PATH : the profile lists exactly this open path
has_open() { jq -e --arg p "$2" '[.spec.containers[].opens[].path] | index($p)' "$1" >/dev/null; }
D=$'\xe2\x8b\xaf'  # ⋯

# mktemp's default names (tmp.XXXXXXXXXX) are volatile to bob record itself; a name whose ten
# characters are all of one class (1 in 3,000) stays literal, hence "at most 5" below.
check_workload tempfiles 1 pass
vt="$W/vendor-tempfiles/tmp"
for f in recorded generalized; do
  has_open "$W/tempfiles.$f.json" "$vt/$D" && has_open "$W/tempfiles.$f.json" "$vt/$D/result.txt" &&
    ok "tempfiles: the $f profile lists $vt/$D and $vt/$D/result.txt" ||
    bad "tempfiles: the $f profile lacks $vt/$D or $vt/$D/result.txt"
done
literal=$(jq --arg p "$vt/tmp." '[.spec.containers[].opens[].path | select(startswith($p))] | length' \
  "$W/tempfiles.recorded.json")
[ "$literal" -le 5 ] && ok "tempfiles: $literal of 63 mktemp names recorded literally" ||
  bad "tempfiles: $literal of 63 mktemp names recorded literally, want at most 5"

check_workload tree 1 fail
vt="$W/vendor-tree/tmp"
has_open "$W/tree.generalized.json" "$vt/tree/$D/data.bin" &&
  ok "tree: numeric directories became $D" || bad "tree: no $vt/tree/$D/data.bin open"
# Control: the check is not blind. Without that one open the output must be refused, by both routes.
jq --arg p "$vt/tree/$D/data.bin" '.spec.containers[].opens |= map(select(.path != $p))' \
  "$W/tree.generalized.json" >"$W/tree.minus-one.json"
"$covers" "$W/tree.recorded.json" "$W/tree.minus-one.json" >"$W/tree.minus-one.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^lost_behaviour: .*data.bin" "$W/tree.minus-one.out" &&
  grep -q "^replay against OUT: .*R0002.*data.bin" "$W/tree.minus-one.out" &&
  ok "tree: dropping tree/$D/data.bin is caught by lost_behaviour and by the replay" ||
  { bad "tree: profile_covers did not refuse an output missing one open (exit $rc)"; head -5 "$W/tree.minus-one.out"; }
grep -q "item-" "$W/tree.generalized.json" &&
  bad "tree: item-N names were not collapsed" || ok "tree: the 60 item-N files collapsed"
grep -q "than its threshold" "$W/tree.explain" && ok "tree: --explain names the fan-out collapse" ||
  bad "tree: --explain does not mention a threshold: $(head -5 "$W/tree.explain")"

# npm: three runs, as the vendor does in docs/verify-install.md (the npm cache's random names).
check_workload npm 3 -
[ -f "$W/user-npm/proj/node_modules/bob-demo-widget/build/banner.txt" ] &&
  ok "npm: the postinstall ran in the verified run" || bad "npm: the postinstall did not run"

[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
