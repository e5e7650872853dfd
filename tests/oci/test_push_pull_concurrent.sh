#!/usr/bin/env bash
# 8 parallel `bob push` of different BoBs to one subject on docker-registry (no referrers API, so
# every push read-modify-writes the same sha256-<hex> fallback index): all 8 must be listed after.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools docker-registry skopeo umoci busybox python3 jq

. "$here/test_push_pull_lib.sh"
start_registry
make_image app v1 one
img=$(image_digest app v1)
profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"

pids=()
for i in 1 2 3 4 5 6 7 8; do
  mkdir -p "$T/p$i"
  # Different bytes per BoB, so 8 different layer and manifest digests.
  { cat "$profile"; echo "# build $i"; } >"$T/p$i/profile.yaml"
  "$BOB" push --subject "$REG/demo/app@$img" --annotation "org.example.build=$i" \
    "$T/p$i/profile.yaml" >"$T/p$i/digest" 2>"$T/p$i/err" &
  pids+=($!)
done
for i in 1 2 3 4 5 6 7 8; do
  wait "${pids[$((i - 1))]}"
  check "push $i exits 0" "$?" 0
done

json=$("$BOB" discover "$REG/demo/app@$img" --format json 2>/dev/null)
check "discover exits 0" "$?" 0
check "all 8 BoBs are discoverable" "$(jq '.subjects[0].bobs | length' <<<"$json")" 8
for i in 1 2 3 4 5 6 7 8; do
  d=$(cat "$T/p$i/digest")
  check "BoB $i ($d) listed" "$(jq --arg d "$d" '[.subjects[0].bobs[] | select(.digest == $d)] | length' <<<"$json")" 1
done
"$BOB" pull "$REG/demo/app@$img" --all --allow-unsigned -o "$T/all" >/dev/null 2>&1
check "pull --all gets all 8" "$(ls "$T/all" | wc -l)" 8

finish
