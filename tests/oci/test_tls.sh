#!/usr/bin/env bash
# push/pull/discover against docker-registry serving https (registry_harness.py --tls): with the
# test CA given by --ca-file it works; without it or with another CA bob stops with a TLS
# verification error, exit 3, and writes nothing (neither to the registry nor to disk). Also: a
# registry whose name is not a loopback name gets https unless it is named with
# --insecure-registry.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools skopeo umoci busybox python3 openssl jq curl
require_harness BOB_TEST_REGISTRY_CA "registry_harness.py --tls"

. "$here/test_push_pull_lib.sh"
REG=$BOB_TEST_REGISTRY
CA=$BOB_TEST_REGISTRY_CA
OTHER_CA="$(dirname "$CA")/other-ca.crt"
tls=(--tls-registry "$REG")

make_image app v1 one   # skopeo with --dest-tls-verify=false: bob alone is under test here
make_keys vendor
profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
img1=$(image_digest app v1)
check_match "the subject image is in the TLS registry" "$img1" '^sha256:[0-9a-f]{64}$'

echo "--- with the CA: push, discover, pull"
bob_digest=$("$BOB" push "${tls[@]}" --ca-file "$CA" --subject "$REG/demo/app@$img1" \
  --key "$T/vendor.key" "$profile" 2>"$T/push.err")
check "push over TLS exits 0" "$?" 0
check_match "push prints a digest" "$bob_digest" '^sha256:[0-9a-f]{64}$'
json=$("$BOB" discover "${tls[@]}" --ca-file "$CA" "$REG/demo/app@$img1" --format json 2>/dev/null)
check "discover over TLS lists the BoB" "$(jq -r '.subjects[0].bobs[0].digest' <<<"$json")" "$bob_digest"
"$BOB" pull "${tls[@]}" --ca-file "$CA" "$REG/demo/app@$img1" --key "$T/vendor.pub" \
  -o "$T/pulled.yaml" >/dev/null 2>&1
check "pull over TLS exits 0" "$?" 0
check "pulled bytes equal the vendor's" "$(cmp "$profile" "$T/pulled.yaml" && echo same)" same
"$BOB" verify "${tls[@]}" --ca-file "$CA" "$REG/demo/app@$bob_digest" --key "$T/vendor.pub" \
  >/dev/null 2>&1
check "verify over TLS exits 0" "$?" 0

# refused NAME CA-ARGS...: push, pull and discover each exit 3 with a TLS verification error;
# nothing reaches the registry or the disk.
refused() {
  local name=$1
  shift
  "$BOB" push "${tls[@]}" "$@" --subject "$REG/demo/app@$img1" --variant generalized \
    --key "$T/vendor.key" "$profile" >"$T/r.out" 2>"$T/r.err"
  check "$name: push exits 3" "$?" 3
  check_contains "$name: push names the TLS verification" "$(cat "$T/r.err")" "TLS verification failed"
  check_contains "$name: the hint names --ca-file" "$(cat "$T/r.err")" "--ca-file"
  check "$name: push prints no digest" "$(cat "$T/r.out")" ""
  rm -f "$T/none.yaml"
  "$BOB" pull "${tls[@]}" "$@" "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/none.yaml" \
    >/dev/null 2>"$T/r.err"
  check "$name: pull exits 3" "$?" 3
  check_contains "$name: pull names the TLS verification" "$(cat "$T/r.err")" "TLS verification failed"
  check "$name: pull writes nothing" "$(test -e "$T/none.yaml" && echo written || echo none)" none
  "$BOB" discover "${tls[@]}" "$@" "$REG/demo/app@$img1" >/dev/null 2>"$T/r.err"
  check "$name: discover exits 3" "$?" 3
}
echo "--- without the CA"
refused "no CA"
echo "--- with another CA"
refused "wrong CA" --ca-file "$OTHER_CA"
echo "--- with an unreadable CA file"
"$BOB" discover "${tls[@]}" --ca-file "$T/missing.pem" "$REG/demo/app@$img1" >/dev/null 2>"$T/r.err"
check "missing CA file: exit 3" "$?" 3
check_contains "missing CA file is named" "$(cat "$T/r.err")" "cannot use the CA file $T/missing.pem"

json=$("$BOB" discover "${tls[@]}" --ca-file "$CA" "$REG/demo/app@$img1" --format json 2>/dev/null)
check "the refused pushes left the registry unchanged (still one BoB)" \
  "$(jq '.subjects[0].bobs | length' <<<"$json")" 1

echo "--- a loopback registry not named with --tls-registry is spoken to in plain HTTP"
"$BOB" discover -v --ca-file "$CA" "$REG/demo/app@$img1" >/dev/null 2>"$T/plain.err"
check "plain HTTP to the https registry exits 3" "$?" 3
check_contains "the request went to http://" "$(cat "$T/plain.err")" "http://$REG/v2/"

echo "--- a host name that is not a loopback name: https unless named insecure"
# bob treats only localhost, 127.0.0.0/8 and ::1 as loopback by name, so bob-test.localhost is
# not one; libcurl (7.78 and later) resolves every *.localhost name to the loopback address
# itself, without /etc/hosts or DNS, so the name reaches the registry started here on any
# machine, whatever its host name resolves to.
out=$(python3 "$here/test_tamper_helper.py" start-registry "$T/plain-registry") ||
  { echo "FAIL: plain docker-registry did not start"; exit 1; }
registry_pid="${out#* }"   # stopped by cleanup()
plain="bob-test.localhost:${out% *}"
check "libcurl resolves $plain to the loopback registry" \
  "$(curl -s -o /dev/null -w '%{http_code} %{remote_ip}' "http://$plain/v2/")" "200 127.0.0.1"
"$BOB" discover -v "$plain/demo/app@$img1" >/dev/null 2>"$T/named.err"
check "a non-loopback name over plain HTTP is refused (exit 3)" "$?" 3
check_contains "it was tried over https" "$(cat "$T/named.err")" "https://$plain/v2/"
"$BOB" discover -v --insecure-registry "$plain" "$plain/demo/app@$img1" >/dev/null 2>"$T/named.err"
check_contains "--insecure-registry allows plain HTTP to it" "$(cat "$T/named.err")" \
  "GET http://$plain/v2/"
check_contains "and the registry answered (the repository is unknown there)" \
  "$(cat "$T/named.err")" "-> 404"

finish
