#!/usr/bin/env bash
# The passphrase prompt on a real (pseudo-)terminal: bob keygen asks twice with echo off, refuses
# two different answers, takes an empty answer as "no encryption", and loading an encrypted key
# asks once. Nothing typed shows up on the terminal.
# usage: test_prompt.sh SIGN_HELPER   (with $BOB set by meson)
set -u
helper="$1"
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require "command -v python3" "python3 (drives the pseudo-terminal)"
require "command -v openssl" "the openssl command"
driver="$BOB_SOURCE_ROOT/tests/sign/tty_driver.py"
unset BOB_KEY_PASSPHRASE

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; cd "$work"
fails=0
ok() { echo "ok $1"; }
bad() { echo "FAIL $1"; fails=$((fails+1)); }
expect_rc() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: exit $2, expected $3"; fi; }
expect_in() { case "$2" in *"$3"*) ok "$1";; *) bad "$1: [$2] lacks [$3]";; esac; }
expect_not_in() { case "$2" in *"$3"*) bad "$1: [$2] contains it";; *) ok "$1";; esac; }

pass='typed-at-the-prompt-42'
first="(empty: none): "
again="Repeat the passphrase: "

out=$(python3 "$driver" "$first=$pass" "$again=$pass" -- "$BOB" keygen -o typed); rc=$?
expect_rc "keygen with a typed passphrase exits 0" $rc 0
expect_in "keygen asked to repeat the passphrase" "$out" "Repeat the passphrase"
expect_not_in "the typed passphrase is not echoed" "$out" "$pass"
expect_in "the key is encrypted" "$(head -1 typed.key)" "BEGIN ENCRYPTED PRIVATE KEY"
openssl pkey -in typed.key -passin "pass:$pass" -noout 2>/dev/null
expect_rc "the typed passphrase decrypts it" $? 0

out=$(python3 "$driver" "$first=$pass" "$again=${pass}x" -- "$BOB" keygen -o differ); rc=$?
expect_rc "two different answers exit 2" $rc 2
expect_in "the mismatch is explained" "$out" "passphrases differ"
[ ! -e differ.key ] && [ ! -e differ.pub ] && ok "no key written after a mismatch" \
  || bad "a key was written after a mismatch"

out=$(python3 "$driver" "$first=" -- "$BOB" keygen -o open); rc=$?
expect_rc "an empty answer exits 0" $rc 0
expect_in "an empty answer gives an unencrypted key" "$(head -1 open.key)" "BEGIN PRIVATE KEY"

digest=sha256:$(printf 'manifest' | sha256sum | cut -c1-64)
out=$(python3 "$driver" "Passphrase for typed.key: =$pass" -- "$helper" sign typed.key "$digest")
expect_rc "signing asks for the passphrase and signs" $? 0
expect_in "the bundle was written" "$out" "dsseEnvelope"
expect_not_in "the passphrase is not echoed when signing" "$out" "$pass"
out=$(python3 "$driver" "Passphrase for typed.key: =not-the-one-9" -- "$helper" sign typed.key "$digest")
expect_rc "a wrong typed passphrase exits 2" $? 2
expect_in "a wrong typed passphrase is named" "$out" "wrong passphrase"
[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
