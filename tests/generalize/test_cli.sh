#!/usr/bin/env bash
# bob generalize and bob export from the command line: outputs, --explain, atomic -o, errors.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
corpus="$BOB_SOURCE_ROOT/testdata/corpus"
k3s="$corpus/bobctl/testdata/parameterstudy/redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml"
D=$'\xE2\x8B\xAF'

# generalize: the projected-volume timestamp dirs become ⋯, with the reason in --explain.
"$BOB" generalize "$k3s" -o "$tmp/out.yaml" --explain \
  --collapse-config "$corpus/bob/kubescape/collapse-config.yaml" 2> "$tmp/explain.txt"
grep -q "path: /opt/bitnami/redis/mounted-etc/$D/master.conf" "$tmp/out.yaml" ||
  fail "timestamp dir not generalized"
grep -q "mounted-etc/..2025_08_11" "$tmp/out.yaml" && fail "a timestamp dir is left"
grep -q "because volatile segments (projected-volume timestamp)" "$tmp/explain.txt" ||
  fail "--explain gave no reason: $(cat "$tmp/explain.txt")"
grep -q "kubescape.io/resource-size" "$tmp/out.yaml" && fail "volatile metadata kept"
"$BOB" generalize "$k3s" --format json | jq -e '.spec.containers[0].opens | length > 0' >/dev/null ||
  fail "--format json"

# The output passes bob validate without wildcard warnings (when validate is built in).
if "$BOB" validate --help >/dev/null 2>&1; then
  "$BOB" validate "$tmp/out.yaml" > "$tmp/validate.txt" 2>&1 || fail "validate: $(cat "$tmp/validate.txt")"
  grep -qi "wildcard" "$tmp/validate.txt" && fail "wildcard warnings: $(cat "$tmp/validate.txt")"
fi

# Errors: exit 2, one clear line, and no output file.
set +e
"$BOB" generalize "$k3s" -o "$tmp/missing-dir/out.yaml" 2> "$tmp/err"; status=$?
[ "$status" = 2 ] || fail "write into a missing dir: exit $status"
printf 'spec:\n  openDynamicThreshold: -3\n' > "$tmp/bad.yaml"
"$BOB" generalize "$k3s" --collapse-config "$tmp/bad.yaml" -o "$tmp/never.yaml" 2> "$tmp/err"; status=$?
[ "$status" = 2 ] || fail "bad collapse config: exit $status"
grep -q "bad.yaml:2:" "$tmp/err" || fail "bad collapse config not located: $(cat "$tmp/err")"
[ ! -e "$tmp/never.yaml" ] || fail "an output file was written on error"
"$BOB" export --format nonsense "$k3s" 2> "$tmp/err"; status=$?
[ "$status" = 2 ] || fail "bad export format: exit $status"
"$BOB" export --format kubescape "$k3s" 2> "$tmp/err"; status=$?
[ "$status" = 2 ] && grep -q -- "--name is required" "$tmp/err" || fail "kubescape without --name"
set -e

# export kubescape: a user-defined profile with the binding explained in a comment.
"$BOB" export --format kubescape --name redis-bob --namespace data "$tmp/out.yaml" -o "$tmp/ks.yaml"
grep -q "kubescape.io/user-defined-profile: redis-bob" "$tmp/ks.yaml" || fail "no pod label comment"
grep -q "kubescape.io/managed-by: User" "$tmp/ks.yaml" || fail "managed-by"
grep -q "kubescape.io/status: completed" "$tmp/ks.yaml" || fail "status"
grep -q "R1030: {}" "$tmp/ks.yaml" || grep -q "R1030:" "$tmp/ks.yaml" || fail "R1030 policy"

# export networkpolicy: YAML by default, with a selector for an ApplicationProfile.
"$BOB" export --format networkpolicy --selector app.kubernetes.io/name=redis "$k3s" > "$tmp/np.yaml"
grep -q "kind: NetworkPolicy" "$tmp/np.yaml" || fail "networkpolicy kind"
grep -q "app.kubernetes.io/name: redis" "$tmp/np.yaml" || fail "networkpolicy selector"

# export seccomp to stdout (JSON by default).
"$BOB" export --format seccomp "$k3s" | jq -e '.syscalls[0].names | index("accept4")' >/dev/null ||
  fail "seccomp export lacks accept4"
echo "generalize/export CLI ok"
