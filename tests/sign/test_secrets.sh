#!/usr/bin/env bash
# Secrets never reach the output: keygen, signing and verification run with -v (and through
# their error paths), and everything they print is searched for the passphrase and for the
# private key in its PEM, DER-base64 and raw-scalar forms.
# usage: test_secrets.sh SIGN_HELPER   (with $BOB set by meson)
set -u
helper="$1"
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require "command -v openssl" "the openssl command"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; cd "$work"
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails+1)); }

pass='s3cret-Passphrase-for-bob-tests'
export BOB_KEY_PASSPHRASE="$pass"
digest=sha256:$(printf 'manifest' | sha256sum | cut -c1-64)
log="$work/all-output.txt"
run() { "$@" >>"$log" 2>&1; echo "exit $? from $*" >>"$log"; }

run "$BOB" keygen -v -o k --format json
run "$BOB" keygen -v -o k2
run "$BOB" keygen -v -o k --passphrase-env BOB_KEY_PASSPHRASE       # refused: exists
run "$helper" -v sign k.key "$digest"
run "$helper" -v verify /dev/null "$digest" k.pub
BOB_KEY_PASSPHRASE="${pass}x" run "$helper" -v sign k.key "$digest"  # wrong passphrase
run "$helper" -v sign k.pub "$digest"                                 # public key as private
run "$helper" -v verify k.key "$digest" k.key                         # private key as public

grep -q "exit 0 from $helper -v sign k.key" "$log" && ok "signing with the encrypted key worked" \
  || bad "signing with the encrypted key failed: $(cat "$log")"
[ -s "$log" ] && ok "the commands printed something to search" || bad "no output captured"

# The private key in every form a leak could take.
openssl pkey -in k.key -passin env:BOB_KEY_PASSPHRASE -out k.plain.pem 2>/dev/null \
  || bad "openssl cannot decrypt the key"
scalar=$(openssl ec -in k.plain.pem -text -noout 2>/dev/null |
         sed -n '/^priv:/,/^pub:/p' | grep '^ ' | tr -d ' :\n' | head -c 64)
[ ${#scalar} -ge 60 ] && ok "found the private scalar to search for" || bad "no scalar: $scalar"
secrets=("$pass" "$scalar")
while read -r line; do case "$line" in -----*) ;; *) secrets+=("$line");; esac; done \
  < <(cat k.key k.plain.pem k2.key)
leaks=0
for secret in "${secrets[@]}"; do
  if grep -qiF -- "$secret" "$log"; then leaks=$((leaks+1)); echo "leaked: ${secret:0:6}..."; fi
done
[ $leaks = 0 ] && ok "no secret in ${#secrets[@]} forms appears in the output" \
  || bad "$leaks secret forms appear in the output"
[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
