# Shared by the BoB integration tests (sourced, not run): a private docker-registry on a free
# loopback port, subject images built with umoci + skopeo, keys, and small assertions.
# Under tests/oci/registry_harness.py (as meson runs them) the harness's registry is used; run
# directly (or from the benchmark, which needs the access log) a registry is started here.

T=$(mktemp -d /tmp/bob-artifact-test.XXXXXX)
fails=0
registry_pid=""

cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null; wait "$registry_pid" 2>/dev/null; fi
  rm -rf "$T"
}
trap cleanup EXIT

check() {
  if [ "$2" != "$3" ]; then
    echo "FAIL $1: expected [$3], got [$2]"
    fails=$((fails + 1))
  else
    echo "ok $1"
  fi
}
check_contains() {
  case "$2" in
    *"$3"*) echo "ok $1" ;;
    *) echo "FAIL $1: [$3] not in: $2"; fails=$((fails + 1)) ;;
  esac
}
check_match() {
  if [[ "$2" =~ $3 ]]; then echo "ok $1"; else echo "FAIL $1: [$2] !~ $3"; fails=$((fails + 1)); fi
}
finish() {
  echo "$fails failure(s)"
  [ "$fails" = 0 ]
  exit $?
}

start_registry() {
  local out
  if [ -n "${BOB_TEST_REGISTRY:-}" ] && [ "${BOB_TEST_REGISTRY_MODE:-plain}" = plain ]; then
    REG=$BOB_TEST_REGISTRY
    STORAGE_ROOT="$BOB_TEST_REGISTRY_DIR/storage"
    REGISTRY_LOG="$BOB_TEST_REGISTRY_DIR/registry.log"
    return
  fi
  out=$(python3 "$BOB_SOURCE_ROOT/tests/oci/test_tamper_helper.py" start-registry "$T/registry") ||
    { echo "FAIL: docker-registry did not start"; exit 1; }
  REG="127.0.0.1:${out% *}"
  registry_pid="${out#* }"
  REGISTRY_LOG="$T/registry/registry.log"
  STORAGE_ROOT="$T/registry/data"
}

# make_image REPO TAG CONTENT: a busybox-static image whose extra file holds CONTENT, pushed as
# $REG/demo/REPO:TAG.
make_image() {
  local repo=$1 tag=$2 content=$3 layout="$T/oci-$1-$2"
  umoci init --layout "$layout" >/dev/null &&
    umoci new --image "$layout:$tag" >/dev/null &&
    umoci unpack --rootless --image "$layout:$tag" "$T/bundle-$repo-$tag" >/dev/null 2>&1 &&
    mkdir -p "$T/bundle-$repo-$tag/rootfs/bin" &&
    cp /bin/busybox "$T/bundle-$repo-$tag/rootfs/bin/busybox" &&
    echo "$content" >"$T/bundle-$repo-$tag/rootfs/content" &&
    umoci repack --image "$layout:$tag" "$T/bundle-$repo-$tag" >/dev/null 2>&1 &&
    skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$tag" \
      "docker://$REG/demo/$repo:$tag" >/dev/null ||
    { echo "FAIL: could not build and push image $repo:$tag"; exit 1; }
}

image_digest() {
  skopeo inspect --tls-verify=false "docker://$REG/demo/$1:$2" | jq -r .Digest
}

make_keys() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/$1.key" 2>/dev/null &&
    openssl pkey -in "$T/$1.key" -pubout -out "$T/$1.pub" 2>/dev/null ||
    { echo "FAIL: openssl could not make a key"; exit 1; }
}
