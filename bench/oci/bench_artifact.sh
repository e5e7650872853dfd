#!/usr/bin/env bash
# Benchmark (not a test): HTTP requests and wall time of `bob push` and `bob pull` of a signed BoB
# against a local docker-registry 2.8.2, next to the protocol minimum (docs/artifact.md).
#   bench/oci/bench_artifact.sh [BUILD_DIR]     (default: build)
# Requests are counted twice: by the client (`bob -v` prints "http requests: N (...)") and by the
# registry's access log; the two must agree.
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$root/build}"
export BOB="$build/tools/bob" BOB_SOURCE_ROOT="$root"
. "$root/tests/oci/test_push_pull_lib.sh"
start_registry
make_image app v1 bench
make_keys vendor
img=$(image_digest app v1)
profile="$root/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"

log_lines() { grep -c '"[A-Z]* /v2/' "$REGISTRY_LOG" || true; }
measure() {  # measure LABEL COMMAND...: prints label, client count, registry count, time
  local label=$1 before after start end client
  shift
  before=$(log_lines)
  start=$(date +%s.%N)
  "$@" -v >"$T/out" 2>"$T/err"
  end=$(date +%s.%N)
  sleep 0.2
  after=$(log_lines)
  client=$(grep -o 'http requests: .*' "$T/err" | tail -1)
  printf '%-34s %-52s registry log: %3d   %6.0f ms\n' "$label" "$client" $((after - before)) \
    "$(echo "($end - $start) * 1000" | bc)"
}

echo "bob $("$BOB" --version) / docker-registry $(dpkg-query -W -f='${Version}' docker-registry)"
measure "push, signed, 1 profile (first)" "$BOB" push --subject "$REG/demo/app@$img" --key "$T/vendor.key" "$profile"
measure "push, signed, 1 profile (again)" "$BOB" push --subject "$REG/demo/app@$img" --key "$T/vendor.key" "$profile"
measure "pull by image digest (1st run)" "$BOB" pull "$REG/demo/app@$img" --key "$T/vendor.pub" -o "$T/p1.yaml"
measure "pull by image digest (warm)" "$BOB" pull "$REG/demo/app@$img" --key "$T/vendor.pub" -o "$T/p2.yaml"
measure "verify BoB by digest" "$BOB" verify "$REG/demo/app@$("$BOB" push --subject "$REG/demo/app@$img" --key "$T/vendor.key" "$profile" 2>/dev/null)" --key "$T/vendor.pub"
measure "discover" "$BOB" discover "$REG/demo/app@$img"
