#!/usr/bin/env bash
# Interop with an independent Sigstore implementation: a bundle bob made verifies with the npm
# package @sigstore/verify using only the public key, and fails there once tampered with, signed
# by another key, or checked against another manifest digest (the script compares the in-toto
# subject itself, bug-log G11).
# usage: test_sigstore_interop.sh SIGN_HELPER   (with $BOB set by meson)
set -u
helper="$1"
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
checker="$BOB_SOURCE_ROOT/tests/sign/verify_with_sigstore.js"
modules="$BOB_SOURCE_ROOT/tests/node/node_modules"
require "command -v node" "node (apt-get install nodejs)"
require "test -f $modules/@sigstore/verify/package.json" \
  "npm @sigstore/verify (run scripts/setup.sh)"
require "command -v jq" "the jq command"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; cd "$work"
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails+1)); }
accepts() { if node "$checker" "$@" >out.txt 2>&1; then ok "sigstore accepts: $label"; else bad "sigstore rejects: $label: $(cat out.txt)"; fi; }
rejects() { if node "$checker" "$@" >out.txt 2>&1; then bad "sigstore accepts: $label"; else ok "sigstore rejects: $label ($(tr '\n' ' ' < out.txt))"; fi; }

digest=sha256:$(printf 'the BoB manifest' | sha256sum | cut -c1-64)
other=sha256:$(printf 'another manifest' | sha256sum | cut -c1-64)
image=sha256:$(printf 'the image' | sha256sum | cut -c1-64)
env -u BOB_KEY_PASSPHRASE "$BOB" keygen -o signer --no-passphrase >/dev/null 2>&1
env -u BOB_KEY_PASSPHRASE "$BOB" keygen -o stranger --no-passphrase >/dev/null 2>&1
"$helper" sign signer.key "$digest" "$image" specific > bundle.json || bad "bob signs"

label="bob's bundle with the signer's key";      accepts bundle.json signer.pub "$digest"
label="a bundle from an openssl-made key"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ossl.key 2>/dev/null
openssl pkey -in ossl.key -pubout -out ossl.pub
"$helper" sign ossl.key "$digest" > ossl.json;   accepts ossl.json ossl.pub "$digest"
label="the same bundle with another key";        rejects bundle.json stranger.pub "$digest"
label="the same bundle for another digest";      rejects bundle.json signer.pub "$other"

# Tamper with the statement but keep it valid JSON and valid base64.
jq -c '.dsseEnvelope.payload |= (@base64d | sub("specific"; "generalized") | @base64)' \
  bundle.json > tampered.json
cmp -s bundle.json tampered.json && bad "the tampering changed nothing"
label="a tampered payload";                      rejects tampered.json signer.pub "$digest"
grep -q SIGNATURE_ERROR out.txt && ok "sigstore names a SIGNATURE_ERROR" \
  || bad "sigstore error was not SIGNATURE_ERROR: $(cat out.txt)"
jq -c '.dsseEnvelope.payloadType = "text/plain"' bundle.json > type.json
label="a changed payloadType";                   rejects type.json signer.pub "$digest"

# bob agrees with the independent verifier on every case.
"$helper" verify bundle.json "$digest" signer.pub >/dev/null; rc=$?
[ $rc = 0 ] && ok "bob accepts what sigstore accepts" || bad "bob rejects its own bundle ($rc)"
for case in "tampered.json $digest signer.pub" "bundle.json $other signer.pub" \
            "bundle.json $digest stranger.pub" "type.json $digest signer.pub"; do
  set -- $case
  "$helper" verify "$1" "$2" "$3" >/dev/null 2>&1; rc=$?
  [ $rc = 4 ] && ok "bob rejects with exit 4: $case" || bad "bob exit $rc for $case"
done
[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
