#!/usr/bin/env bash
# Fail-closed pull: every tampering exits 4, names the check that failed and writes nothing.
# Also: hostile tarballs in a (validly signed) BoB are refused on pull.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools docker-registry skopeo umoci busybox python3 openssl jq

. "$here/test_push_pull_lib.sh"
helper() { python3 "$here/test_tamper_helper.py" "$@"; }
start_registry
make_image app v1 one
make_image app v2 two
make_image app v3 three
make_image app v4 four
make_keys vendor
make_keys attacker
profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
profile2="$BOB_SOURCE_ROOT/testdata/corpus/bob/example/argocd/sbobs/cp-argocd-server.yaml"
img1=$(image_digest app v1); img2=$(image_digest app v2)
img3=$(image_digest app v3); img4=$(image_digest app v4)

# expect_rejected NAME CHECK IMAGE [extra pull args]: exit 4, the message names CHECK, no output.
# The trusted key is $T/$trusted.pub (default: vendor).
expect_rejected() {
  local name=$1 check_name=$2 image=$3
  shift 3
  rm -rf "$T/out"
  "$BOB" pull "$REG/demo/app@$image" --key "$T/${trusted:-vendor}.pub" -o "$T/out" "$@" \
    >/dev/null 2>"$T/err"
  check "$name: exit 4" "$?" 4
  check_contains "$name: names the $check_name check" "$(cat "$T/err")" "BoB rejected ($check_name)"
  check "$name: nothing written" "$(test -e "$T/out" && echo written || echo none)" none
  check "$name: no staging left" "$(ls -a "$T" | grep -c '^\.bob-pull')" 0
}

good=$("$BOB" push --subject "$REG/demo/app@$img1" --key "$T/vendor.key" "$profile" 2>/dev/null)
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/ok.yaml" 2>/dev/null
check "untampered BoB pulls" "$?" 0

echo "--- wrong key"
trusted=attacker expect_rejected "wrong key" signature "$img1"
check_contains "wrong key: the signature check itself failed" "$(cat "$T/err")" \
  "signature rejected (signature)"

echo "--- no signature"
"$BOB" push --subject "$REG/demo/app@$img2" "$profile" >/dev/null 2>&1
expect_rejected "no signature" signature "$img2"
check_contains "no signature is named" "$(cat "$T/err")" "no signature"
rm -rf "$T/out"
"$BOB" pull "$REG/demo/app@$img2" --allow-unsigned -o "$T/out" >/dev/null 2>"$T/err"
check "--allow-unsigned accepts it" "$?" 0
check_contains "--allow-unsigned warns loudly" "$(cat "$T/err")" "NOT verified"

echo "--- the newest BoB unsigned, an older one signed: still refused, the older one is named"
older=$("$BOB" push --subject "$REG/demo/app@$img2" --key "$T/vendor.key" \
  --annotation org.opencontainers.image.created=2001-01-01T00:00:00Z "$profile" 2>/dev/null)
expect_rejected "newest unsigned, older signed" signature "$img2"
check_contains "the older BoB is counted" "$(cat "$T/err")" "1 older BoB is attached"
check_contains "the hint names bob verify" "$(cat "$T/err")" "bob verify"
check_contains "the older BoB's digest is named" "$(cat "$T/err")" "${older##*@}"

echo "--- a signature made for another digest, grafted onto an unsigned BoB"
target=$("$BOB" push --subject "$REG/demo/app@$img3" "$profile2" 2>/dev/null)
helper graft-signature "$REG" demo/app "$good" "$target" >/dev/null
expect_rejected "signature of another digest" signature "$img3"
check_contains "the in-toto subject check is named" "$(cat "$T/err")" "(subject)"

echo "--- swapped subject: the signed BoB copied with its subject changed to another image"
helper swap-subject "$REG" demo/app "$good" "$img4" >/dev/null
expect_rejected "swapped subject" signature "$img4"

echo "--- a BoB moved to another image: the signed manifest listed under image v2"
helper relist "$REG" demo/app "$img2" "$good"
# v2 now lists an unsigned BoB (accepted below with --allow-unsigned) and the moved one, which is
# validly signed but belongs to v1.
expect_rejected "moved BoB" subject "$img2" --all --allow-unsigned

echo "--- a referrers listing whose creation time (used to pick the newest) disagrees with the BoB"
liar=$("$BOB" push --subject "$REG/demo/app@$img1" --key "$T/vendor.key" --variant generalized \
  "$profile2" 2>/dev/null)
helper fake-created "$REG" demo/app "$img1" "$liar"
expect_rejected "lying listing" annotations "$img1"

echo "--- swapped layer: the registry serves other bytes under the layer digest"
layer=$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$good" | jq -r '.layers[0].digest')
blob=$(helper blob-path "$STORAGE_ROOT" "$layer")
cp "$blob" "$T/layer.orig"
printf 'kind: ApplicationProfile\nmetadata: {name: evil}\n' >"$blob"
expect_rejected "swapped layer" layer "$img1" --variant specific
cp "$T/layer.orig" "$blob"
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" --variant specific -o "$T/ok2.yaml" \
  2>/dev/null
check "restored layer pulls again" "$?" 0

echo "--- hostile tarballs, each in a BoB signed with the trusted key"
for kind in traversal absolute symlink hardlink device fifo bomb; do
  make_image "h$kind" v1 "$kind"
  himg=$(image_digest "h$kind" v1)
  hb=$(python3 "$here/test_tamper_helper.py" hostile "$kind" "$REG" "demo/h$kind" "$himg")
  "$BOB" sign "$REG/demo/h$kind@$hb" --key "$T/vendor.key" >/dev/null 2>&1
  check "$kind: signed" "$?" 0
  rm -rf "$T/out"
  "$BOB" pull "$REG/demo/h$kind@$himg" --key "$T/vendor.pub" -o "$T/out" >/dev/null 2>"$T/err"
  check "$kind: exit 4" "$?" 4
  check_contains "$kind: names the archive check" "$(cat "$T/err")" "BoB rejected (archive)"
  check "$kind: nothing written" "$(test -e "$T/out" && echo written || echo none)" none
done
check "nothing escaped to /tmp" "$(test -e /tmp/bob-absolute-escape.yaml && echo yes || echo no)" no
check "nothing escaped next to the output" "$(test -e "$T/../escaped.yaml" && echo yes || echo no)" no

finish
