#!/usr/bin/env bash
# Progress on stderr for large blobs: shown when stderr is a terminal (a pty from run_on_tty.py),
# absent when it is not, absent with -q; it ends with a newline and never shows a secret. Runs
# under registry_harness.py --mode htpasswd so there is a password that must not leak.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools skopeo umoci busybox openssl jq
require_harness BOB_TEST_REGISTRY_PASSWORD "registry_harness.py --mode htpasswd"

. "$here/test_push_pull_lib.sh"
REG=$BOB_TEST_REGISTRY
password=$BOB_TEST_REGISTRY_PASSWORD
export DOCKER_CONFIG="$T/docker"
mkdir -p "$DOCKER_CONFIG"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" \
  "$(printf '%s:%s' "$BOB_TEST_REGISTRY_USER" "$password" | base64 -w0)" >"$DOCKER_CONFIG/config.json"
export REGISTRY_AUTH_FILE="$DOCKER_CONFIG/config.json"
on_tty() { python3 "$here/run_on_tty.py" "$@"; }

make_image app v1 one
make_image app v2 two
make_keys vendor
img1=$(image_digest app v1)
img2=$(image_digest app v2)

# A profile set over 8 MiB even after gzip: the real profile plus a copy padded with 12 MiB of
# random base64 in YAML comments (incompressible enough to keep the layer above 8 MiB).
profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
mkdir -p "$T/set"
cp "$profile" "$T/set/web.yaml"
{ cat "$profile"; head -c 9437184 /dev/urandom | base64 -w 76 | sed 's/^/# /'; } >"$T/set/big.yaml"

# progress_ok NAME FILE: FILE (the terminal's bytes) shows 100% of a size in MiB, the last
# progress line ends with a newline, and the password is not there.
progress_ok() {
  local tty_text
  tty_text=$(tr '\r' '\n' <"$2")
  check_contains "$1: progress reaches 100%" "$tty_text" "100% of "
  check_match "$1: the size is shown in MiB" "$tty_text" '100% of [0-9]+\.[0-9] MiB'
  check "$1: the progress line ends with a newline" \
    "$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); i=d.rfind(b"100% of"); print("yes" if i >= 0 and b"\n" in d[i:] else "no")' "$2")" yes
  check "$1: no password on the terminal" "$(grep -c -F -- "$password" "$2")" 0
}

echo "--- stderr on a terminal: progress"
on_tty "$T/push.tty" -- "$BOB" push --subject "$REG/demo/app@$img1" --key "$T/vendor.key" "$T/set" \
  >"$T/push.out"
check "push on a tty exits 0" "$?" 0
check_match "push prints the digest on stdout" "$(cat "$T/push.out")" '^sha256:[0-9a-f]{64}$'
layer_size=$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$(cat "$T/push.out")" | jq '.layers[0].size')
check "the layer is over 8 MiB" "$([ "$layer_size" -gt 8388608 ] && echo yes || echo "no ($layer_size)")" yes
progress_ok push "$T/push.tty"

on_tty "$T/pull.tty" -- "$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/out" >/dev/null
check "pull on a tty exits 0" "$?" 0
check "pulled set is byte-exact" "$(cmp "$T/set/big.yaml" "$T/out/big.yaml" && echo same)" same
progress_ok pull "$T/pull.tty"

echo "--- stderr not a terminal: no progress"
"$BOB" push --subject "$REG/demo/app@$img2" --key "$T/vendor.key" "$T/set" >/dev/null 2>"$T/push.err"
check "push with stderr in a file exits 0" "$?" 0
check "no progress in the file" "$(grep -c 'MiB' "$T/push.err")" 0
rm -rf "$T/out"
"$BOB" pull "$REG/demo/app@$img2" --key "$T/vendor.pub" -o "$T/out" >/dev/null 2>"$T/pull.err"
check "pull with stderr in a file exits 0" "$?" 0
check "no progress in the pull's file" "$(grep -c 'MiB' "$T/pull.err")" 0

echo "--- -q on a terminal: no progress"
rm -rf "$T/out"
on_tty "$T/quiet.tty" -- "$BOB" pull -q "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/out" \
  >/dev/null
check "quiet pull exits 0" "$?" 0
check "nothing about progress on the terminal with -q" "$(grep -c 'MiB' "$T/quiet.tty")" 0

finish
