#!/usr/bin/env bash
# BoB push/pull/discover/sign/verify against a real docker-registry 2.8.2 (fallback referrers
# path), with a subject image built by umoci and copied in by skopeo.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
. "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
require_tools docker-registry skopeo umoci busybox python3 openssl jq curl

. "$here/test_push_pull_lib.sh"
start_registry
make_image app v1 one
make_image app v2 two
make_keys vendor
make_keys other

profile="$BOB_SOURCE_ROOT/testdata/corpus/bob/_artifacts/log4j-sbobs/ap-chain-backend.yaml"
profile2="$BOB_SOURCE_ROOT/testdata/corpus/bob/example/argocd/sbobs/cp-argocd-server.yaml"
img1=$(image_digest app v1)

echo "--- push by tag: resolved to the digest, with a note to pin digests"
bob_digest=$("$BOB" push --subject "$REG/demo/app:v1" --key "$T/vendor.key" \
  --annotation org.opencontainers.image.vendor=Example "$profile" 2>"$T/push.err")
check "push exits 0" "$?" 0
check_match "push prints a digest" "$bob_digest" '^sha256:[0-9a-f]{64}$'
check_contains "tag subject gets a pin-digest note" "$(cat "$T/push.err")" "pin images by digest"

echo "--- skopeo reads the BoB manifest"
raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$bob_digest")
check "skopeo sees the artifactType" "$(jq -r .artifactType <<<"$raw")" \
  "application/vnd.bob.profile.v1+yaml"
check "subject is the image digest" "$(jq -r .subject.digest <<<"$raw")" "$img1"
check "config is the empty descriptor" "$(jq -r .config.mediaType <<<"$raw")" \
  "application/vnd.oci.empty.v1+json"
check "layer title" "$(jq -r '.layers[0].annotations["org.opencontainers.image.title"]' <<<"$raw")" \
  "ap-chain-backend.yaml"
check "variant annotation" "$(jq -r '.annotations["dev.bob.profile.variant"]' <<<"$raw")" specific
check "workload annotation" "$(jq -r '.annotations["dev.bob.profile.workload"]' <<<"$raw")" \
  chain-backend
check "user annotation" "$(jq -r '.annotations["org.opencontainers.image.vendor"]' <<<"$raw")" \
  Example
check "sha256 of the raw manifest is the printed digest" \
  "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" "$bob_digest"
check "the {} config blob was uploaded" \
  "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$REG/v2/demo/app/blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")" 200

echo "--- pull round trip: byte-exact"
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/pulled.yaml" >"$T/pull.out" 2>&1
check "pull exits 0" "$?" 0
check "pulled bytes equal the vendor's" "$(cmp "$profile" "$T/pulled.yaml" && echo same)" same
"$BOB" pull "$REG/demo/app@$img1" --key "$T/other.pub" --key "$T/vendor.pub" >"$T/stdout.yaml" 2>/dev/null
check "pull to stdout with a second trusted key" "$(cmp "$profile" "$T/stdout.yaml" && echo same)" same

echo "--- verify and sign an existing BoB"
"$BOB" verify "$REG/demo/app@$bob_digest" --key "$T/vendor.pub" --subject "$img1" >"$T/verify.out"
check "verify exits 0" "$?" 0
check_contains "verify names the subject" "$(cat "$T/verify.out")" "$img1"
unsigned=$("$BOB" push --subject "$REG/demo/app@$img1" --variant generalized "$profile2" 2>/dev/null)
check "unsigned push exits 0" "$?" 0
"$BOB" verify "$REG/demo/app@$unsigned" --key "$T/vendor.pub" >/dev/null 2>"$T/v.err"
check "verify of an unsigned BoB exits 4" "$?" 4
sig=$("$BOB" sign "$REG/demo/app@$unsigned" --key "$T/vendor.key" 2>/dev/null)
check_match "sign prints the signature digest" "$sig" '^sha256:[0-9a-f]{64}$'
"$BOB" verify "$REG/demo/app@$unsigned" --key "$T/vendor.pub" >/dev/null 2>&1
check "verify after bob sign exits 0" "$?" 0

echo "--- variants and newest selection"
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" --variant generalized -o "$T/gen.yaml" 2>/dev/null
check "generalized variant pulls the generalized profile" "$(cmp "$profile2" "$T/gen.yaml" && echo same)" same
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" -o "$T/newest.yaml" 2>/dev/null
check "without --variant the newest BoB wins" "$(cmp "$profile2" "$T/newest.yaml" && echo same)" same
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" --variant specific -o "$T/spec.yaml" 2>/dev/null
check "specific variant pulls the specific profile" "$(cmp "$profile" "$T/spec.yaml" && echo same)" same
"$BOB" pull "$REG/demo/app@$img1" --key "$T/vendor.pub" --all -o "$T/all" >/dev/null 2>&1
check "--all exits 0" "$?" 0
check "--all writes one folder per BoB" "$(ls "$T/all" | wc -l)" 2

echo "--- discover: image -> BoBs -> signatures"
tree=$("$BOB" discover "$REG/demo/app@$img1" 2>/dev/null)
check "discover exits 0" "$?" 0
check_contains "text tree shows the BoB" "$tree" "$bob_digest"
check_contains "text tree shows a signature" "$tree" "signature sha256:"
json=$("$BOB" discover "$REG/demo/app@$img1" --format json 2>/dev/null)
check "json lists two BoBs" "$(jq '.subjects[0].bobs | length' <<<"$json")" 2
check "each BoB has one signature" "$(jq '[.subjects[0].bobs[].signatures | length] | add' <<<"$json")" 2

echo "--- a folder: one reproducible tar+gzip layer, unpacked on pull"
mkdir -p "$T/set/db" "$T/set2/db"
cp "$profile" "$T/set/web.yaml"; cp "$profile2" "$T/set/db/db.yaml"
cp "$profile2" "$T/set2/db/db.yaml"; sleep 1; cp "$profile" "$T/set2/web.yaml"; chmod 600 "$T/set2/web.yaml"
mv "$T/set2" "$T/copy"; mkdir "$T/copy2"; mv "$T/copy" "$T/copy2/set"
d1=$("$BOB" push --subject "$REG/demo/app@$(image_digest app v2)" --key "$T/vendor.key" "$T/set" 2>/dev/null)
d2=$("$BOB" push --subject "$REG/demo/app@$(image_digest app v2)" --key "$T/vendor.key" "$T/copy2/set" 2>/dev/null)
l1=$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$d1" | jq -r '.layers[0].digest')
l2=$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$d2" | jq -r '.layers[0].digest')
check_match "folder layer digest" "$l1" '^sha256:'
check "the same folder twice gives the same layer digest" "$l2" "$l1"
"$BOB" pull "$REG/demo/app@$(image_digest app v2)" --key "$T/vendor.pub" -o "$T/out-set" >/dev/null 2>&1
check "folder pull exits 0" "$?" 0
check "folder file 1 byte-exact" "$(cmp "$profile" "$T/out-set/web.yaml" && echo same)" same
check "folder file 2 byte-exact" "$(cmp "$profile2" "$T/out-set/db/db.yaml" && echo same)" same
check "no staging folder left behind" "$(ls -a "$T" | grep -c '^\.bob-pull')" 0

echo "--- platform: an index subject resolved to its linux/amd64 manifest (G7)"
index=$(python3 "$here/test_tamper_helper.py" make-index "$REG" demo/app "$img1" multi)
pd=$("$BOB" push --subject "$REG/demo/app:multi" --platform linux/amd64 --variant generalized \
  --key "$T/vendor.key" "$profile2" 2>/dev/null)
check "platform push subject is the platform manifest" \
  "$(skopeo inspect --raw --tls-verify=false "docker://$REG/demo/app@$pd" | jq -r .subject.digest)" "$img1"
"$BOB" pull "$REG/demo/app@$index" --platform linux/amd64 --key "$T/vendor.pub" --variant generalized \
  -o "$T/plat.yaml" 2>/dev/null
check "pull by index + --platform finds the platform manifest's BoB" \
  "$(cmp "$profile2" "$T/plat.yaml" && echo same)" same
"$BOB" pull "$REG/demo/app@$index" --key "$T/vendor.pub" -o "$T/noplat.yaml" 2>"$T/noplat.err"
check "pull by index without --platform finds none (exit 4)" "$?" 4
check "and writes nothing" "$(test -e "$T/noplat.yaml" && echo yes || echo no)" no

echo "--- usage errors"
"$BOB" pull "$REG/demo/app@$img1" -o "$T/x.yaml" >/dev/null 2>&1
check "pull without --key or --allow-unsigned exits 2" "$?" 2
"$BOB" push --subject "$REG/demo/app@$img1" --variant nonsense "$profile" >/dev/null 2>&1
check "bad variant exits 2" "$?" 2

finish
