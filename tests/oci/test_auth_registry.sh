#!/usr/bin/env bash
# The BoB flow push -> discover -> pull (signed, --key) -> verify, plus one tampering, against a
# docker-registry that demands credentials: run by registry_harness.py --mode htpasswd (Basic) or
# --mode token (Bearer from tests/oci/token_server.py). bob and skopeo both read the credentials
# from a docker config file; the password must never show up in bob's output, even with -v.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools skopeo umoci busybox openssl jq
require_harness BOB_TEST_REGISTRY_PASSWORD "registry_harness.py --mode htpasswd|token"

. "$here/test_push_pull_lib.sh"
REG=$BOB_TEST_REGISTRY
STORAGE_ROOT="$BOB_TEST_REGISTRY_DIR/storage"
mode=$BOB_TEST_REGISTRY_MODE
user=$BOB_TEST_REGISTRY_USER
password=$BOB_TEST_REGISTRY_PASSWORD

# bob reads $DOCKER_CONFIG/config.json; skopeo reads the same file through REGISTRY_AUTH_FILE.
export DOCKER_CONFIG="$T/docker"
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf '%s:%s' "$user" "$password" | base64 -w0)" \
  >"$DOCKER_CONFIG/config.json"
export REGISTRY_AUTH_FILE="$DOCKER_CONFIG/config.json"

make_image app v1 one
make_keys vendor
make_keys other
profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
img1=$(image_digest app v1)
check_match "[$mode] skopeo pushed the subject with the credentials" "$img1" '^sha256:[0-9a-f]{64}$'

# no_secret NAME FILE: the password (and its base64 Basic form) is not in FILE.
no_secret() {
  local basic
  basic=$(printf '%s:%s' "$user" "$password" | base64 -w0)
  check "[$mode] $1: no password in the output" \
    "$(grep -c -F -e "$password" -e "$basic" "$2")" 0
}

echo "--- [$mode] without credentials: a clear authentication error, exit 3"
DOCKER_CONFIG="$T/empty" "$BOB" discover "$REG/demo/app@$img1" >/dev/null 2>"$T/anon.err"
check "[$mode] anonymous discover exits 3" "$?" 3
check_match "[$mode] anonymous discover says credentials are needed" "$(cat "$T/anon.err")" \
  'authentication|username and password'

echo "--- [$mode] push (signed) -> discover -> pull -> verify"
bob_digest=$("$BOB" push -v --subject "$REG/demo/app@$img1" --key "$T/vendor.key" "$profile" \
  2>"$T/push.err")
check "[$mode] push exits 0" "$?" 0
check_match "[$mode] push prints a digest" "$bob_digest" '^sha256:[0-9a-f]{64}$'
no_secret push "$T/push.err"
if [ "$mode" = token ]; then
  check_contains "[$mode] the push went through a bearer token" "$(cat "$T/push.err")" "/token"
fi

json=$("$BOB" discover -v "$REG/demo/app@$img1" --format json 2>"$T/discover.err")
check "[$mode] discover exits 0" "$?" 0
check "[$mode] discover lists the BoB" "$(jq -r '.subjects[0].bobs[0].digest' <<<"$json")" "$bob_digest"
check "[$mode] the BoB has one signature" "$(jq '.subjects[0].bobs[0].signatures | length' <<<"$json")" 1
no_secret discover "$T/discover.err"

"$BOB" pull -v "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/pulled.yaml" >"$T/pull.out" 2>"$T/pull.err"
check "[$mode] pull exits 0" "$?" 0
check "[$mode] pulled bytes equal the vendor's" "$(cmp "$profile" "$T/pulled.yaml" && echo same)" same
no_secret pull "$T/pull.err"

"$BOB" verify "$REG/demo/app@$bob_digest" --key "$T/vendor.pub" --subject "$img1" >"$T/verify.out" 2>&1
check "[$mode] verify exits 0" "$?" 0
check_contains "[$mode] verify names the subject" "$(cat "$T/verify.out")" "$img1"
"$BOB" verify "$REG/demo/app@$bob_digest" --key "$T/other.pub" >/dev/null 2>&1
check "[$mode] verify with another key exits 4" "$?" 4

echo "--- [$mode] tampering: the registry serves other bytes under the layer digest"
layer=$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$bob_digest" | jq -r '.layers[0].digest')
blob=$(python3 "$here/test_tamper_helper.py" blob-path "$STORAGE_ROOT" "$layer")
check "[$mode] the layer blob is on disk" "$(test -f "$blob" && echo yes)" yes
printf 'kind: ApplicationProfile\nmetadata: {name: evil}\n' >"$blob"
rm -f "$T/evil.yaml"
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/evil.yaml" >/dev/null 2>"$T/evil.err"
check "[$mode] tampered pull exits 4" "$?" 4
check_contains "[$mode] tampered pull names the layer check" "$(cat "$T/evil.err")" "BoB rejected (layer)"
check "[$mode] tampered pull writes nothing" "$(test -e "$T/evil.yaml" && echo written || echo none)" none

finish
