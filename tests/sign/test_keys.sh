#!/usr/bin/env bash
# Keys across tools: bob keygen output is read by OpenSSL, keys made by `openssl genpkey` and
# `openssl ecparam -genkey` (SEC1) and OpenSSL-encrypted PKCS#8 load in bob, other key types are
# refused, and bob's signature over the DSSE PAE verifies with `openssl dgst -verify`.
# usage: test_keys.sh SIGN_HELPER   (with $BOB set by meson)
set -u
helper="$1"
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require "command -v openssl" "the openssl command"
require "command -v jq" "the jq command"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; cd "$work"
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails+1)); }
expect_rc() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: exit $2, expected $3"; fi; }
expect_in() { case "$2" in *"$3"*) ok "$1";; *) bad "$1: [$2] lacks [$3]";; esac; }

digest=sha256:$(printf 'a bob manifest' | sha256sum | cut -c1-64)

# PAE of a bundle, as DSSE defines it, built with shell tools only.
pae_of() {
  local payload_type payload_file="$work/payload.bin"
  payload_type=$(jq -r .dsseEnvelope.payloadType "$1")
  jq -r .dsseEnvelope.payload "$1" | base64 -d > "$payload_file"
  printf 'DSSEv1 %d %s %d ' "${#payload_type}" "$payload_type" "$(wc -c < "$payload_file")"
  cat "$payload_file"
}
openssl_verifies() {  # bundle pub
  pae_of "$1" > "$work/pae.bin"
  jq -r '.dsseEnvelope.signatures[0].sig' "$1" | base64 -d > "$work/sig.der"
  openssl dgst -sha256 -verify "$2" -signature "$work/sig.der" "$work/pae.bin" >/dev/null 2>&1
}

# --- bob keygen, read by OpenSSL --------------------------------------------------------------
out=$(env -u BOB_KEY_PASSPHRASE "$BOB" keygen -o plain --no-passphrase 2>&1); expect_rc "keygen exits 0" $? 0
expect_in "keygen names the key id" "$out" "key id $("$helper" keyid plain.pub)"
expect_rc "private key is mode 0600" "$(stat -c %a plain.key)" 600
expect_in "private key is PKCS#8" "$(head -1 plain.key)" "-----BEGIN PRIVATE KEY-----"
expect_in "public key is SubjectPublicKeyInfo" "$(head -1 plain.pub)" "-----BEGIN PUBLIC KEY-----"
expect_in "openssl reads the private key as P-256" \
  "$(openssl pkey -in plain.key -noout -text 2>&1)" "NIST CURVE: P-256"
[ "$(openssl pkey -in plain.key -pubout)" = "$(cat plain.pub)" ] \
  && ok ".pub is the public half of .key" || bad ".pub is not the public half of .key"
expect_in "keygen warns about an unencrypted key" "$out" "not encrypted"

"$BOB" keygen -o plain >/dev/null 2>&1; expect_rc "keygen refuses to replace a key" $? 2
"$BOB" keygen -o plain --force --no-passphrase >/dev/null 2>&1
expect_rc "keygen --force replaces it" $? 0

export TEST_PASS='correct horse battery staple'
json=$("$BOB" keygen -o enc --passphrase-env TEST_PASS --format json 2>/dev/null)
expect_rc "keygen --format json reports encryption" "$(jq -r .encrypted <<<"$json")" true
expect_in "encrypted key is encrypted PKCS#8" "$(head -1 enc.key)" "BEGIN ENCRYPTED PRIVATE KEY"
expect_in "encrypted key uses AES-256" "$(openssl asn1parse -in enc.key 2>&1)" "aes-256-cbc"
openssl pkey -in enc.key -passin env:TEST_PASS -noout 2>/dev/null
expect_rc "openssl decrypts it with the passphrase" $? 0
openssl pkey -in enc.key -passin pass:wrong -noout 2>/dev/null
expect_rc "openssl refuses a wrong passphrase" $? 1
env -u TEST_PASS "$BOB" keygen -o x --passphrase-env TEST_PASS >/dev/null 2>&1
expect_rc "an unset --passphrase-env is a usage error" $? 2

# --- signing with bob's keys ------------------------------------------------------------------
BOB_KEY_PASSPHRASE="$TEST_PASS" "$helper" sign enc.key "$digest" > enc.bundle
expect_rc "encrypted key signs with BOB_KEY_PASSPHRASE" $? 0
err=$(BOB_KEY_PASSPHRASE=nope "$helper" sign enc.key "$digest" 2>&1 >/dev/null)
expect_rc "wrong passphrase exits 2" $? 2
expect_in "wrong passphrase is named" "$err" "wrong passphrase"
err=$(env -u BOB_KEY_PASSPHRASE setsid "$helper" sign enc.key "$digest" 2>&1 </dev/null >/dev/null)
expect_rc "encrypted key without passphrase or terminal exits 2" $? 2
expect_in "missing passphrase is explained" "$err" "encrypted and no passphrase"
openssl_verifies enc.bundle enc.pub && ok "openssl dgst verifies bob's signature over the PAE" \
  || bad "openssl dgst does not verify bob's signature"
"$helper" verify enc.bundle "$digest" enc.pub >/dev/null
expect_rc "bob verifies its own bundle" $? 0

# --- keys made by OpenSSL ---------------------------------------------------------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out genpkey.key 2>/dev/null
openssl pkey -in genpkey.key -pubout -out genpkey.pub
openssl ecparam -name prime256v1 -genkey -out sec1.key 2>/dev/null
openssl ec -in sec1.key -pubout -out sec1.pub 2>/dev/null
expect_in "ecparam writes SEC1 after EC PARAMETERS" "$(head -1 sec1.key)" "BEGIN EC PARAMETERS"
openssl ecparam -name prime256v1 -genkey -noout -out sec1-bare.key 2>/dev/null
openssl ec -in sec1-bare.key -pubout -out sec1-bare.pub 2>/dev/null
openssl pkcs8 -topk8 -v2 aes-256-cbc -in genpkey.key -passout env:TEST_PASS -out opensslenc.key
for name in genpkey sec1 sec1-bare opensslenc; do
  pub=$name.pub; [ "$name" = opensslenc ] && pub=genpkey.pub
  BOB_KEY_PASSPHRASE="$TEST_PASS" "$helper" sign $name.key "$digest" > $name.bundle
  expect_rc "openssl key $name signs" $? 0
  "$helper" verify $name.bundle "$digest" $pub >/dev/null
  expect_rc "bob verifies the $name bundle" $? 0
  openssl_verifies $name.bundle $pub && ok "openssl verifies the $name bundle" \
    || bad "openssl does not verify the $name bundle"
done
[ "$("$helper" keyid genpkey.pub)" = \
  "$(openssl pkey -pubin -in genpkey.pub -outform DER | sha256sum | cut -c1-64)" ] \
  && ok "key id is the SHA-256 of the DER SubjectPublicKeyInfo" || bad "key id differs"

# --- refused keys -----------------------------------------------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
openssl pkey -in rsa.key -pubout -out rsa.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key 2>/dev/null
openssl pkey -in p384.key -pubout -out p384.pub
openssl genpkey -algorithm ED25519 -out ed.key 2>/dev/null
for key in rsa.key p384.key ed.key; do
  err=$("$helper" sign $key "$digest" 2>&1 >/dev/null); rc=$?
  expect_rc "$key is refused for signing" $rc 2
  expect_in "$key refusal names P-256" "$err" "P-256"
done
err=$("$helper" verify genpkey.bundle "$digest" p384.pub 2>&1); rc=$?
expect_rc "a P-384 trusted key is refused" $rc 2
expect_in "P-384 refusal names the curve" "$err" "secp384r1"
err=$("$helper" verify genpkey.bundle "$digest" rsa.pub 2>&1); rc=$?
expect_rc "an RSA trusted key is refused" $rc 2
err=$("$helper" verify genpkey.bundle "$digest" genpkey.key 2>&1); rc=$?
expect_rc "a private key given as trusted key is refused" $rc 2
expect_in "the mix-up is explained" "$err" "private key where a public key is expected"
printf 'not a key\n' > junk.key
err=$("$helper" sign junk.key "$digest" 2>&1 >/dev/null)
expect_rc "junk is refused as a private key" $? 2
expect_in "junk refusal says what was expected" "$err" "no PEM private key found"

[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
