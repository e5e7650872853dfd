#!/usr/bin/env bash
# Limits on profile input (docs/hardening.md, "Faults and limits"): deep nesting in JSON and YAML,
# too many values, an oversized file, exec arguments beyond execve's limits and paths of PATH_MAX
# bytes or more. Each gets a located message and the expected exit code, under a 1 GiB address
# space limit (prlimit --as) so unbounded buffering would fail the run.
set -u
: "${BOB:?}" "${BOB_SOURCE_ROOT:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {  # check "what" command...; passes when the command succeeds
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
bounded() { prlimit --as=1073741824 -- "$@"; }
if [ -n "${BOB_SANITIZED:-}" ]; then
  # ASan reserves terabytes of address space for shadow memory, so --as cannot apply; its own
  # resident-memory cap (checked periodically, so a little weaker) bounds the run instead.
  bounded() { ASAN_OPTIONS="${ASAN_OPTIONS:-}:hard_rss_limit_mb=1024" "$@"; }
fi
status_of() { bounded "$@" >/dev/null 2>&1; echo $?; }
head='apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1
kind: ApplicationProfile
metadata: {name: limits}
spec:
  containers:
  - name: app
'

python3 -c "import sys; open(sys.argv[1],'w').write('['*100000 + ']'*100000)" "$work/deep.json"
check "100000 nested JSON arrays: exit 2" test "$(status_of "$BOB" validate "$work/deep.json")" = 2
check "deep JSON: located message naming the 256-level limit" \
  grep -qE "deep.json:1:[0-9]+: error: .*256 levels" <(bounded "$BOB" validate "$work/deep.json" 2>&1)
python3 -c "import sys; open(sys.argv[1],'w').write(''.join(' '*i + 'k:\n' for i in range(1000)) + ' '*1000 + 'k: 1\n')" "$work/deeper.yaml"
check "1000 nested YAML mappings: exit 2" test "$(status_of "$BOB" validate "$work/deeper.yaml")" = 2
# Limitation: past 500 levels yaml-cpp's own depth guard answers first, as "invalid YAML".
check "1000 nested YAML mappings: located error" \
  grep -qE "deeper.yaml:[0-9]+:[0-9]+: error: " <(bounded "$BOB" validate "$work/deeper.yaml" 2>&1)
python3 -c "import sys; open(sys.argv[1],'w').write(''.join(' '*i + 'k:\n' for i in range(300)) + ' '*300 + 'k: 1\n')" "$work/deep.yaml"
check "300 nested YAML mappings: exit 2" test "$(status_of "$BOB" validate "$work/deep.yaml")" = 2
check "deep YAML: message naming the 256-level limit" \
  grep -qE "deep.yaml:[0-9]+:[0-9]+: error: .*256 levels" <(bounded "$BOB" validate "$work/deep.yaml" 2>&1)
python3 -c "import sys; open(sys.argv[1],'w').write('x: \"' + 'a'*(65<<20) + '\"\n')" "$work/big.yaml"
check "a 65 MiB profile: exit 2" test "$(status_of "$BOB" validate "$work/big.yaml")" = 2
check "a 65 MiB profile: message naming the 64 MiB limit" \
  grep -q "big.yaml: error: larger than the limit of 67108864 bytes" <(bounded "$BOB" validate "$work/big.yaml" 2>&1)
rm -f "$work/big.yaml"

# Exec arguments: one beyond MAX_ARG_STRLEN (128 KiB), and 2.5 MiB in total.
python3 - "$work/args.yaml" "$head" <<'PY'
import sys
text = sys.argv[2] + "    execs:\n    - path: /bin/echo\n      args: [/bin/echo, \"" + "a" * (128 << 10) + "\"]\n"
text += "    - path: /bin/true\n      args: [" + ", ".join(["b" * 1000] * 2600) + "]\n"
open(sys.argv[1], "w").write(text)
PY
out=$(bounded "$BOB" validate "$work/args.yaml" 2>&1)
check "huge exec arguments are only warnings: exit 0" test "$(status_of "$BOB" validate "$work/args.yaml")" = 0
check "an argument of 128 KiB is named at its spot" \
  grep -qE "args.yaml:[0-9]+:[0-9]+: warning: /spec/containers/0/execs/0/args/1: argument 'aaaa.*' is 131072 bytes; execve refuses" <<<"$out"
check "2.6 MB of arguments are named" \
  grep -qE "/spec/containers/0/execs/1/args: the arguments total 2602600 bytes, more than execve accepts" <<<"$out"
check "the 128 KiB argument is not echoed in full" test "${#out}" -lt 4000

# Paths of PATH_MAX (4096) bytes or more.
long=$(python3 -c "print('/' + 'd/' * 2100 + 'f')")
printf '%s    execs:\n    - path: %s\n    opens:\n    - path: %s\n      flags: [O_RDONLY]\n    - path: /etc/%s\n      flags: [O_RDONLY]\n' \
  "$head" "$long" "$long" "$(python3 -c "print('e' * 4085)")" >"$work/paths.yaml"
out=$(bounded "$BOB" validate "$work/paths.yaml" 2>&1)
check "long paths are warnings: exit 0" test "$(status_of "$BOB" validate "$work/paths.yaml")" = 0
check "an exec path of 4202 bytes is named" \
  grep -qE "paths.yaml:8:[0-9]+: warning: /spec/containers/0/execs/0/path: exec path '/d/d.*' is 4202 bytes, not shorter than PATH_MAX \(4096\)" <<<"$out"
check "an open path of 4202 bytes is named" \
  grep -qE "/spec/containers/0/opens/0/path: open path .* is 4202 bytes" <<<"$out"
check "a path of 4090 bytes passes" bash -c "! grep -q 'opens/1/path' <<<\"\$1\"" _ "$out"
check "merge loads a profile with such paths" \
  test "$(status_of "$BOB" merge "$work/paths.yaml" -o "$work/merged.yaml")" = 0

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
