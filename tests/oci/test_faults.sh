#!/usr/bin/env bash
# Faults between bob and a real docker-registry: tests/oci/fault_proxy.py sits in front of the
# registry and resets, truncates, stalls, corrupts, lengthens and swaps answers, or answers
# 5xx/429 (with and without Retry-After). Each case checks bob's exit code and message, what the
# proxy saw (how many requests: retries are bounded; how many bytes: limits stop reading early),
# and that no output file is half written or replaced by a bad one (also on SIGINT and SIGKILL).
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools docker-registry skopeo umoci busybox python3 openssl jq curl

. "$here/test_push_pull_lib.sh"
start_registry
make_image app v1 one
make_image app v2 two
make_keys vendor

corpus="$BOB_SOURCE_ROOT/testdata/corpus/bob"
profile="$corpus/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
profile2="$corpus/example/argocd/sbobs/cp-argocd-server.yaml"
profile3="$corpus/_artifacts/log4j-sbobs/cp-chain-backend.yaml"
img1=$(image_digest app v1)
img2=$(image_digest app v2)
bob1=$("$BOB" push -q --subject "$REG/demo/app@$img1" --key "$T/vendor.key" "$profile")
check "signed BoB pushed (one file)" "$?" 0
bob2=$("$BOB" push -q --subject "$REG/demo/app@$img2" --key "$T/vendor.key" "$profile" "$profile2")
check "signed BoB pushed (two files)" "$?" 0
layer1=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG/v2/demo/app/manifests/$bob1" | jq -r '.layers[0].digest')
check_match "layer digest read" "$layer1" '^sha256:[0-9a-f]{64}$'
blob="GET /v2/demo/app/blobs/$layer1"

# The proxy, with its log.
python3 "$here/fault_proxy.py" --upstream "$REG" --port-file "$T/proxy.port" &
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null; cleanup' EXIT
for _ in $(seq 100); do [ -s "$T/proxy.port" ] && break; sleep 0.1; done
PX="127.0.0.1:$(cat "$T/proxy.port")"
rules() { curl -sf -X PUT --data-binary "$1" "http://$PX/__proxy/rules" >/dev/null ||
  { echo "FAIL: the proxy refused the rules $1"; exit 1; }; }
proxy_log() { curl -sf "http://$PX/__proxy/log"; }
# count METHOD PATH-REGEX: requests the proxy answered.
count() { proxy_log | jq -s --arg m "$1" --arg p "$2" \
  '[.[] | select(.method == $m and (.path | test($p)))] | length'; }
# stalls PATH-REGEX: requests the proxy stalled (logged when the stall begins).
stalls() { proxy_log | jq -s --arg p "$1" '[.[] | select(.stalling and (.path | test($p)))] | length'; }
# sent PATH-REGEX: the largest number of body bytes written for a matching request.
sent() { proxy_log | jq -s --arg p "$1" '[.[] | select(.path | test($p)) | .sent] | max'; }
pull1() { "$BOB" pull "$PX/demo/app@$img1" --key "$T/vendor.pub" "$@"; }
cd "$T" || exit 1

echo "--- baseline through the proxy"
rules '[]'
pull1 -o "$T/good.yaml" >/dev/null 2>"$T/err"
check "pull through the proxy exits 0" "$?" 0
check "pulled bytes are the vendor's" "$(cmp "$profile" "$T/good.yaml" && echo same)" same
check "the layer blob was fetched once" "$(count GET "/blobs/$layer1")" 1

echo "--- 5xx and 429: retried with bounded backoff"
for status in 500 502 503 429; do
  rules "[{\"match\": \"$blob\", \"fault\": \"status\", \"status\": $status, \"times\": 2}]"
  pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
  check "$status twice then 200: pull exits 0" "$?" 0
  check "$status twice then 200: three GETs of the blob" "$(count GET "/blobs/$layer1")" 3
done
check "the retried pull wrote the right bytes" "$(cmp "$profile" "$T/r.yaml" && echo same)" same
rules "[{\"match\": \"$blob\", \"fault\": \"status\", \"status\": 503}]"
pull1 -o "$T/r503.yaml" >/dev/null 2>"$T/err"
check "persistent 503: pull exits 3" "$?" 3
check "persistent 503: exactly 5 attempts (ClientOptions::max_attempts)" \
  "$(count GET "/blobs/$layer1")" 5
check_contains "persistent 503: message names the request" "$(cat "$T/err")" \
  "GET blob $layer1 ($PX/demo/app) failed: HTTP 503"
check "persistent 503: no output file" "$(ls -A "$T" | grep -c r503)" 0
rules "[{\"match\": \"$blob\", \"fault\": \"status\", \"status\": 429, \"retry_after\": 1, \"times\": 1}]"
pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
check "429 with Retry-After: 1 then 200: exit 0" "$?" 0
check "429 with Retry-After: two GETs" "$(count GET "/blobs/$layer1")" 2
# retry_after NAME STATUS RETRY-AFTER-RULE LOG-REGEX: the blob answers STATUS once with the
# Retry-After the rule part asks for ("retry_after": value, or "retry_after_in": seconds for an
# HTTP date that far from the proxy's answer), then 200. bob -v exits 0 after exactly two GETs,
# and its log says how it read the header (the wait it chose, or the computed backoff). timeout
# only guards against a hang; nothing here measures time.
retry_after() {
  local name=$1 status=$2 header=$3 expect=$4
  rules "[{\"match\": \"$blob\", \"fault\": \"status\", \"status\": $status, $header, \"times\": 1}]"
  timeout 60 "$BOB" pull -v "$PX/demo/app@$img1" --key "$T/vendor.pub" -o "$T/r.yaml" >/dev/null 2>"$T/err"
  check "$name: exit 0" "$?" 0
  check "$name: two GETs" "$(count GET "/blobs/$layer1")" 2
  check_match "$name: bob's log" "$(cat "$T/err")" \
    "HTTP $status from $PX, retrying \\(attempt 2\\), $expect"
}
# Delta-seconds of 11 days and a date in 2099 are both capped at
# ClientOptions::retry_max_delay_ms (8 s).
retry_after "huge Retry-After in seconds is capped" 503 '"retry_after": 999999' \
  "waiting 8000 ms as the Retry-After in seconds asks"
retry_after "Retry-After as a far HTTP date is capped the same" 503 \
  '"retry_after": "Wed, 21 Oct 2099 07:28:00 GMT"' "waiting 8000 ms as the Retry-After HTTP date asks"
# An HTTP date (RFC 9110 §10.2.3) 3 s after the proxy's answer is 2-3 s ahead for bob.
for status in 429 503; do
  retry_after "$status with a Retry-After date 3 s ahead" $status '"retry_after_in": 3' \
    "waiting [1-3][0-9]{3} ms as the Retry-After HTTP date asks"
done
retry_after "Retry-After date in the past" 503 '"retry_after_in": -3600' \
  "computed backoff \\(Retry-After HTTP date in the past\\)"
retry_after "unparsable Retry-After" 429 '"retry_after": "soon"' \
  "computed backoff \\(unparsable Retry-After\\)"

echo "--- connection reset and truncated bodies"
rules "[{\"match\": \"$blob\", \"fault\": \"reset\", \"after\": 100, \"times\": 1}]"
pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
check "reset after 100 bytes once: exit 0" "$?" 0
check "reset once: the blob was fetched again" "$(count GET "/blobs/$layer1")" 2
check "reset once: the bytes are the vendor's" "$(cmp "$profile" "$T/r.yaml" && echo same)" same
rules "[{\"match\": \"$blob\", \"fault\": \"reset\", \"after\": 100}]"
pull1 -o "$T/reset.yaml" >/dev/null 2>"$T/err"
check "persistent reset: exit 3" "$?" 3
check "persistent reset: 5 attempts" "$(count GET "/blobs/$layer1")" 5
check_contains "persistent reset: message names the URL" "$(cat "$T/err")" \
  "GET http://$PX/v2/demo/app/blobs/$layer1"
check_contains "persistent reset: and the cause" "$(cat "$T/err")" "reset"
rules "[{\"match\": \"$blob\", \"fault\": \"truncate\", \"after\": 100, \"times\": 2}]"
pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
check "truncated twice: exit 0" "$?" 0
check "truncated twice: three GETs" "$(count GET "/blobs/$layer1")" 3
rules "[{\"match\": \"$blob\", \"fault\": \"truncate\", \"after\": 100}]"
pull1 -o "$T/trunc.yaml" >/dev/null 2>"$T/err"
check "persistent truncation: exit 3" "$?" 3
check_contains "persistent truncation: curl's reason" "$(cat "$T/err")" "bytes remaining to read"
check "no partial or temporary file after the failures" \
  "$(ls -A "$T" | grep -cE '^(reset|trunc|r503)|partial|tmp-')" 0

echo "--- slow answers: bounded by the stall timeout"
rules "[{\"match\": \"$blob\", \"fault\": \"drip\", \"chunk\": 1000, \"interval\": 0.5}]"
pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
check "a slow but moving body is accepted" "$?" 0
rules "[{\"match\": \"$blob\", \"fault\": \"stall\", \"after\": 10, \"seconds\": 30, \"times\": 1}]"
BOB_STALL_TIMEOUT=4 pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
check "one stall of 30 s with a 4 s stall timeout: retried, exit 0" "$?" 0
check "one stall: the blob stalled once" "$(stalls "/blobs/$layer1")" 1
rules "[{\"match\": \"$blob\", \"fault\": \"stall\", \"after\": 10, \"seconds\": 30}]"
BOB_STALL_TIMEOUT=4 pull1 -o "$T/stall.yaml" >/dev/null 2>"$T/err"
check "persistent stall: exit 3" "$?" 3
check "persistent stall: 5 attempts, each stalled" "$(stalls "/blobs/$layer1")" 5
check_contains "persistent stall: says it was too slow" "$(cat "$T/err")" "too slow"
BOB_STALL_TIMEOUT=0 pull1 -o "$T/r.yaml" >/dev/null 2>"$T/err"
check "BOB_STALL_TIMEOUT=0 is a usage error" "$?" 2

echo "--- content that does not match its digest: never accepted, never retried into success"
cp "$profile3" "$T/keep.yaml"
rules "[{\"match\": \"$blob\", \"fault\": \"corrupt\"}]"
pull1 -o "$T/keep.yaml" >/dev/null 2>"$T/err"
check "corrupted blob: exit 4" "$?" 4
check_contains "corrupted blob: names the expected digest" "$(cat "$T/err")" "$layer1"
check_contains "corrupted blob: and the actual one" "$(cat "$T/err")" "hashes to sha256:"
check "corrupted blob: the existing good file is unchanged" \
  "$(cmp "$profile3" "$T/keep.yaml" && echo same)" same
check "corrupted blob: fetched once (a digest mismatch is not retried)" \
  "$(count GET "/blobs/$layer1")" 1
pull1 -o "$T/fresh.yaml" >/dev/null 2>&1
check "corrupted blob: no new output file" "$(ls -A "$T" | grep -c fresh)" 0

echo "--- limits: a blob longer than declared, a manifest over 4 MiB"
rules "[{\"match\": \"$blob\", \"fault\": \"extend\", \"extra\": 67108864}]"
pull1 -o "$T/long.yaml" >/dev/null 2>"$T/err"
check "blob 64 MiB longer than declared: exit 4" "$?" 4
check_contains "longer blob: message" "$(cat "$T/err")" "larger than its descriptor says"
n=$(sent "/blobs/$layer1")
check "longer blob: bob stopped reading early (proxy wrote $n of 64 MiB)" \
  "$([ "$n" -lt 33554432 ] && echo early)" early
rules "[{\"match\": \"GET /v2/demo/app/manifests/$bob1\", \"fault\": \"huge\", \"size\": 67108864}]"
pull1 -o "$T/huge.yaml" >/dev/null 2>"$T/err"
check "64 MiB manifest: exit 3" "$?" 3
check_contains "64 MiB manifest: names the 4 MiB limit" "$(cat "$T/err")" \
  "larger than the allowed 4194304 bytes"
n=$(sent "/manifests/$bob1")
check "64 MiB manifest: bob stopped reading early (proxy wrote $n)" \
  "$([ "$n" -lt 33554432 ] && echo early)" early
check "64 MiB manifest: not retried" "$(count GET "/manifests/$bob1")" 1
rules "[{\"match\": \"GET /v2/demo/app/manifests/sha256-\", \"fault\": \"huge\", \"size\": 67108864}]"
pull1 -o "$T/huge.yaml" >/dev/null 2>"$T/err"
check "64 MiB referrers index: exit 3" "$?" 3
check "no output for either limit" "$(ls -A "$T" | grep -cE '^(long|huge)')" 0

echo "--- a manifest that changes between the listing (or HEAD) and the GET"
other=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://$REG/v2/demo/app/manifests/$bob2")
other_digest="sha256:$(printf '%s' "$other" | sha256sum | cut -c1-64)"
body=$(jq -Rs . <<<"$other" | sed 's/\\n"$/"/')
for mode in keep match drop; do
  rules "[{\"match\": \"GET /v2/demo/app/manifests/$bob1\", \"fault\": \"replace\", \"digest_header\": \"$mode\", \"body\": $body}]"
  pull1 -o "$T/swap.yaml" >/dev/null 2>"$T/err"
  check "swapped BoB manifest (digest header $mode): exit 4" "$?" 4
  check_contains "swapped manifest ($mode): names the pinned digest" "$(cat "$T/err")" "$bob1"
  check_contains "swapped manifest ($mode): and the served one" "$(cat "$T/err")" "$other_digest"
done
"$BOB" verify "$PX/demo/app@$bob1" --key "$T/vendor.pub" >/dev/null 2>"$T/err"
check "bob verify of the swapped manifest: exit 4" "$?" 4
check "no swapped output file" "$(ls -A "$T" | grep -c swap)" 0

echo "--- push: unsafe requests are not repeated, idempotent ones are"
rules "[{\"match\": \"POST /v2/demo/app/blobs/uploads/\", \"fault\": \"status\", \"status\": 503}]"
"$BOB" push --subject "$PX/demo/app@$img1" --variant generalized "$profile3" >/dev/null 2>"$T/err"
check "503 on the upload POST: exit 3" "$?" 3
check "503 on the upload POST: sent once (not idempotent)" \
  "$(count POST '/blobs/uploads/')" 1
check_contains "503 on the upload POST: message" "$(cat "$T/err")" "HTTP 503"
rules "[{\"match\": \"PUT /v2/demo/app/manifests/sha256:\", \"fault\": \"status\", \"status\": 503, \"times\": 2}]"
pushed=$("$BOB" push -q --subject "$PX/demo/app@$img1" --variant generalized "$profile3" 2>"$T/err")
check "503 twice on the manifest PUT: exit 0" "$?" 0
check "manifest PUT by digest retried (idempotent): 3 PUTs" \
  "$(count PUT "/manifests/$pushed")" 3
listed=$("$BOB" discover "$REG/demo/app@$img1" --format json 2>/dev/null |
  jq --arg d "$pushed" '[.. | objects | select(.digest? == $d)] | length')
check "the retried push is listed once" "$listed" 1

echo "--- interrupted pulls leave nothing behind (SIGINT, SIGKILL; file and folder)"
interrupt() {  # interrupt SIGNAL OUTPUT ARGS...: start a pull that stalls on a blob, signal it
  local sig=$1 out=$2; shift 2
  rules "[{\"match\": \"GET /v2/demo/app/blobs/sha256:\", \"fault\": \"stall\", \"after\": 10, \"seconds\": 20}]"
  # Background jobs of a script ignore SIGINT; python restores the default before exec.
  python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$BOB" pull "$@" -o "$out" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 300); do
    [ "$(proxy_log | jq -s '[.[] | select(.stalling)] | length')" -gt 0 ] && break
    sleep 0.1
  done
  kill "-$sig" "$pid"
  wait "$pid"
  echo $?
}
mkdir "$T/int" && cp "$profile3" "$T/int/good.yaml"
# img1 now also has the unsigned generalized BoB pushed above: ask for the signed specific one.
for sig in INT KILL; do
  rc=$(interrupt $sig "$T/int/good.yaml" "$PX/demo/app@$img1" --key "$T/vendor.pub" --variant specific)
  check "SIG$sig during the blob: bob ended by the signal" "$([ "$rc" -gt 128 ] && echo signal)" signal
  check "SIG$sig: the existing file is unchanged" \
    "$(cmp "$profile3" "$T/int/good.yaml" && echo same)" same
  check "SIG$sig: nothing else next to it" "$(ls -A "$T/int")" good.yaml
  rc=$(interrupt $sig "$T/int/new.yaml" "$PX/demo/app@$img1" --key "$T/vendor.pub" --variant specific)
  check "SIG$sig: no new file" "$(ls -A "$T/int")" good.yaml
  rc=$(interrupt $sig "$T/int/dir" "$PX/demo/app@$img2" --key "$T/vendor.pub")
  check "SIG$sig during a folder pull: no folder, no staging folder" "$(ls -A "$T/int")" good.yaml
done
rules '[]'
"$BOB" pull "$PX/demo/app@$img2" --key "$T/vendor.pub" -o "$T/int/dir" >/dev/null 2>&1
check "the folder pull works once the proxy behaves" "$(ls "$T/int/dir" | sort | tr '\n' ' ')" \
  "ap-chain-backend.yaml cp-argocd-server.yaml "
rules "[{\"match\": \"GET /v2/demo/app/blobs/sha256:\", \"fault\": \"corrupt\"}]"
"$BOB" pull "$PX/demo/app@$img2" --key "$T/vendor.pub" -o "$T/int/dir2" >/dev/null 2>&1
check "folder pull of a corrupted blob: exit 4" "$?" 4
check "folder pull of a corrupted blob: nothing written" "$(ls -A "$T/int" | sort | tr '\n' ' ')" \
  "dir good.yaml "
finish
