#!/usr/bin/env bash
# Secrets never reach the output of the registry commands. Under registry_harness.py --mode
# htpasswd or token, keygen (with a passphrase), push, pull, discover, sign and verify run at every
# verbosity (-q, default, -v) with credentials from a DOCKER_CONFIG (auths, a credHelper and, for
# token auth, a refresh token), and through failures: a wrong password (401), an unknown
# manifest, and 503 answers (through tests/oci/fault_proxy.py) whose message names the URL.
# Everything printed, and every file left in the work folder, is searched for the password, the
# Basic header value, the refresh token, every bearer token the token server issued, the key
# passphrase and the private key's PEM body. The search itself is checked on a planted copy first.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools skopeo umoci openssl jq curl
require_harness BOB_TEST_REGISTRY_PASSWORD "registry_harness.py --mode htpasswd|token"
. "$here/test_push_pull_lib.sh"

REG=$BOB_TEST_REGISTRY
U=$BOB_TEST_REGISTRY_USER
P=$BOB_TEST_REGISTRY_PASSWORD
mode=$BOB_TEST_REGISTRY_MODE
wrong="wrong-${P}-x"
export BOB_KEY_PASSPHRASE="passphrase-$(openssl rand -hex 8)"
log="$T/all-output.txt"
cd "$T" || exit 1

# A subject image (no layers is enough), copied in with the test's own credentials.
umoci init --layout "$T/oci" >/dev/null && umoci new --image "$T/oci:v1" >/dev/null &&
  skopeo copy --quiet --dest-tls-verify=false --dest-creds "$U:$P" "oci:$T/oci:v1" \
    "docker://$REG/demo/app:v1" >/dev/null 2>&1 || { echo "FAIL: cannot push the subject"; exit 1; }
img=$(skopeo inspect --tls-verify=false --creds "$U:$P" "docker://$REG/demo/app:v1" | jq -r .Digest)
check_match "subject digest" "$img" '^sha256:[0-9a-f]{64}$'

profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
profile2="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/cp-chain-backend.yaml"
run() { "$@" >>"$log" 2>&1; echo "exit $? from ${*:1:2}" >>"$log"; }
run "$BOB" keygen -v -o "$T/k" --passphrase-env BOB_KEY_PASSPHRASE
run "$BOB" keygen -q -o "$T/k2" --passphrase-env BOB_KEY_PASSPHRASE
run "$BOB" keygen -o "$T/k3" --passphrase-env BOB_KEY_PASSPHRASE
run "$BOB" keygen -v -o "$T/k3" --passphrase-env BOB_KEY_PASSPHRASE  # refused: exists
check "keygen wrote an encrypted key" "$(grep -c "BEGIN ENCRYPTED" "$T/k.key")" 1

# Credentials: docker config files, and a credential helper on PATH.
mkdir -p "$T/bin" "$T/cfg-auth" "$T/cfg-helper" "$T/cfg-refresh" "$T/cfg-wrong"
basic=$(printf '%s:%s' "$U" "$P" | base64 -w0)
basic_wrong=$(printf '%s:%s' "$U" "$wrong" | base64 -w0)
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$basic" >"$T/cfg-auth/config.json"
printf '{"auths": {"%s": {"auth": "%s"}}}\n' "$REG" "$basic_wrong" >"$T/cfg-wrong/config.json"
printf '{"credHelpers": {"%s": "bobtest"}}\n' "$REG" >"$T/cfg-helper/config.json"
cat >"$T/bin/docker-credential-bobtest" <<EOF
#!/bin/sh
[ "\$1" = get ] || exit 1
cat >/dev/null
printf '{"ServerURL": "%s", "Username": "%s", "Secret": "%s"}\n' "$REG" "$U" "$P"
EOF
chmod +x "$T/bin/docker-credential-bobtest"
export PATH="$T/bin:$PATH"
configs="auth helper"
if [ "$mode" = token ]; then
  printf '{"auths": {"%s": {"identitytoken": "%s"}}}\n' "$REG" "$BOB_TEST_REFRESH_TOKEN" \
    >"$T/cfg-refresh/config.json"
  configs="$configs refresh"
fi

python3 "$here/fault_proxy.py" --upstream "$REG" --port-file "$T/proxy.port" &
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
[ -s "$T/proxy.port" ] || { echo "FAIL: the fault proxy did not start" >&2; exit 1; }
PX="127.0.0.1:$(cat "$T/proxy.port")"

pushed=0
for cfg in $configs; do
  export DOCKER_CONFIG="$T/cfg-$cfg"
  for verbosity in -q "" -v; do
    v=${verbosity:-default}
    bobd=$("$BOB" push $verbosity --subject "$REG/demo/app@$img" --key "$T/k.key" "$profile" 2>>"$log")
    rc=$?
    echo "exit $rc from push ($cfg $v): $bobd" >>"$log"
    [ "$rc" = 0 ] && pushed=$((pushed + 1))
    run "$BOB" discover $verbosity "$REG/demo/app@$img"
    run "$BOB" discover $verbosity --format json "$REG/demo/app@$img"
    run "$BOB" pull $verbosity "$REG/demo/app@$img" --key "$T/k.pub" -o "$T/pulled-$cfg$v.yaml"
    run "$BOB" pull $verbosity --format json "$REG/demo/app@$img" --key "$T/k.pub" -o "$T/pj-$cfg$v.yaml"
    run "$BOB" verify $verbosity "$REG/demo/app@$bobd" --key "$T/k.pub" --format json
    unsigned=$("$BOB" push -q --subject "$REG/demo/app@$img" --variant generalized "$profile2" 2>>"$log")
    run "$BOB" sign $verbosity "$REG/demo/app@$unsigned" --key "$T/k.key"
    run "$BOB" pull $verbosity "$REG/demo/app@sha256:$(printf '%064d' 0)" --key "$T/k.pub"
    # 503 for everything through the proxy: the error names the URL (never the credentials).
    curl -sf -X PUT --data-binary '[{"match": "/v2/demo/", "fault": "status", "status": 503}]' \
      "http://$PX/__proxy/rules" >/dev/null || { echo "FAIL: the proxy refused the rule" >&2; exit 1; }
    rc=0
    "$BOB" pull $verbosity "$PX/demo/app@$img" --key "$T/k.pub" 2>"$T/px.err" >/dev/null || rc=$?
    cat "$T/px.err" >>"$log"
    check "a pull through the 503 proxy exits 3 ($cfg $v)" "$rc" 3
    [ "$verbosity" = -q ] || check_contains "it names HTTP 503 ($cfg $v)" "$(cat "$T/px.err")" "503"
    run "$BOB" push $verbosity --subject "$PX/demo/app@$img" --key "$T/k.key" "$profile"
    curl -sf -X PUT --data-binary '[]' "http://$PX/__proxy/rules" >/dev/null
    run "$BOB" discover $verbosity "$PX/demo/app@$img"
  done
done
check "every push with good credentials worked (the runs did reach the registry)" \
  "$pushed" "$(( $(wc -w <<<"$configs") * 3 ))"
check_contains "the proxied 503 names the URL" "$(cat "$log")" "$PX/demo/app"
check_contains "-v printed HTTP detail" "$(cat "$log")" "GET http://$REG/v2/"
check "the pulls wrote the profile" "$(cmp "$profile" "$T/pulled-auth-v.yaml" && echo same)" same

export DOCKER_CONFIG="$T/cfg-wrong"
for verbosity in -q "" -v; do
  run "$BOB" pull $verbosity "$REG/demo/app@$img" --key "$T/k.pub"
  run "$BOB" push $verbosity --subject "$REG/demo/app@$img" --key "$T/k.key" "$profile"
  run "$BOB" discover $verbosity "$REG/demo/app@$img"
  run "$BOB" sign $verbosity "$REG/demo/app@$img" --key "$T/k.key"
done
check_contains "a wrong password is reported" "$(cat "$log")" "authentication failed"
BOB_KEY_PASSPHRASE="$wrong" run "$BOB" sign -v "$REG/demo/app@$img" --key "$T/k.key"

# What must never appear.
secrets="$T/secrets.txt"
{
  echo "$P"; echo "$wrong"; echo "$basic"; echo "$basic_wrong"; echo "$BOB_KEY_PASSPHRASE"
  [ "$mode" = token ] && { echo "$BOB_TEST_REFRESH_TOKEN"; cat "$BOB_TEST_TOKEN_LOG"; }
  cat "$T/k.key" "$T/k2.key" "$T/k3.key" | grep -v -- '-----'
} | grep -v '^$' >"$secrets"
[ "$mode" = token ] && check "the token server issued tokens to search for" \
  "$([ "$(wc -l <"$BOB_TEST_TOKEN_LOG")" -gt 10 ] && echo yes)" yes
search() { grep -h -F -o -f "$secrets" "$@" | cut -c1-8 | sort -u; }
# The search must find a planted secret, or it proves nothing.
for planted in "$P" "$basic" "$BOB_KEY_PASSPHRASE" "$(sed -n 2p "$T/k.key")" \
  "$( [ "$mode" = token ] && tail -1 "$BOB_TEST_TOKEN_LOG")"; do
  [ -n "$planted" ] || continue
  printf 'x %s y\n' "$planted" >"$T/planted.txt"
  check "the search finds a planted secret (${planted:0:6}...)" "$(search "$T/planted.txt" | wc -l)" 1
done
leaks=$(search "$log" "$T"/pulled-*.yaml "$T"/pj-*.yaml)
check "no password, Basic value, token, passphrase or key line in $(wc -l <"$log") lines of output" \
  "$leaks" ""
# Every other file left in the work folder: bob's outputs (profiles, public keys, error files),
# the subject's layout, anything a command wrote beside its output. Only the files that hold a
# secret by design are left out: the private keys, the credential configs and helper, and the
# search's own lists.
mapfile -t written < <(find "$T" -type f ! -name '*.key' ! -path "$T/cfg-*" ! -path "$T/bin/*" \
  ! -name secrets.txt ! -name planted.txt)
check "the file search covers bob's outputs" \
  "$(printf '%s\n' "${written[@]}" | grep -c -e '/pulled-' -e '/k\.pub$' -e '/px\.err$')" \
  "$(( 3 * $(wc -w <<<"$configs") + 2 ))"  # a pull per config and verbosity, k.pub, px.err
file_leaks=$(search "${written[@]}")
check "no secret in any of the ${#written[@]} files left in the work folder" "$file_leaks" ""
finish
