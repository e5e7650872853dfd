#!/usr/bin/env bash
# The profile commands end to end: help, exit codes, formats, atomic output files.
set -u
: "${BOB:?}" "${BOB_SOURCE_ROOT:?}"
study="$BOB_SOURCE_ROOT/testdata/corpus/bobctl/testdata/parameterstudy"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
check() {  # check "what" command...; passes when the command succeeds
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what" >&2; fi
}
status_of() { "$@" >/dev/null 2>&1; echo $?; }

help=$("$BOB" --help)
for command in validate summarize diff merge; do
  check "bob --help lists $command" grep -q "^  $command " <<<"$help"
  check "bob $command --help exits 0" test "$(status_of "$BOB" "$command" --help)" = 0
  check "bob $command --help shows -v and -q" \
    bash -c "'$BOB' $command --help | grep -q -- '--verbose' && '$BOB' $command --help | grep -q -- '--quiet'"
done

# validate: exit codes, located text output, json output.
check "validate accepts a corpus profile" test "$(status_of "$BOB" validate "$study/webapp/bob6k3s.yaml")" = 0
bad="$work/bad.yaml"
printf 'apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ApplicationProfile\nmetadata: {name: x}\nspec:\n  containers:\n  - name: a\n    capabilities: [NET_ADMINN]\n' >"$bad"
check "validate exits 2 on errors" test "$(status_of "$BOB" validate "$bad")" = 2
out=$("$BOB" validate "$bad" 2>/dev/null)
check "validate prints file:line:column: error: pointer: sentence" \
  grep -qF "$bad:7:20: error: /spec/containers/0/capabilities/0: 'NET_ADMINN' is not a Linux capability" <<<"$out"
check "validate prints a hint" grep -q "^  hint: " <<<"$out"
json=$("$BOB" validate --format json "$bad" "$study/webapp/bob6k3s.yaml")
check "validate --format json counts errors and warnings" \
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["errors"]==1 and d["warnings"]==5 and d["files"]==2' "$json"
check "validate -q hides warnings" test -z "$("$BOB" validate -q "$study/webapp/bob6k3s.yaml" 2>&1)"
check "validate of a missing file exits 2" test "$(status_of "$BOB" validate "$work/none.yaml")" = 2
# A file that cannot be read has no position to give: no made-up line and column.
check "validate names a missing file without a position" \
  grep -qxF "$work/none.yaml: error: cannot open: No such file or directory" \
  <("$BOB" validate "$work/none.yaml" 2>/dev/null)
check "validate names a directory without a position" \
  grep -qxF "$work: error: is a directory, not a file" <("$BOB" validate "$work" 2>/dev/null)
check "validate --format json gives line and column 0 for an unreadable file" \
  test "$("$BOB" validate --format json "$work/none.yaml" 2>/dev/null |
          jq -c '.problems[0] | [.line, .column, .pointer]')" = '[0,0,""]'

# summarize: the golden row, csv, json, -o.
row=$(sed -n 3p "$study/redis/redisbob/attacksurface.md")
check "summarize gives the prototype's redisbob row" \
  grep -qxF "$row" <("$BOB" summarize "$study/redis/redisbob/statefulset-bob-redis-master_bob.yaml")
check "summarize --format csv" grep -qx 'rs-bob-redis-master,redis,container,DAC_OVERRIDE DAC_READ_SEARCH NET_ADMIN,0,21,5,119' \
  <("$BOB" summarize --format csv "$study/redis/redisbob/statefulset-bob-redis-master_bob.yaml")
check "summarize --format json" python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2 and d[1]["syscalls"]==79' \
  < <("$BOB" summarize --format json "$study/webapp/bob6k3s.yaml" "$study/webapp/bob6587gke.yaml")
check "summarize rejects an unknown format" test "$(status_of "$BOB" summarize --format xml "$study/webapp/bob6k3s.yaml")" = 2

# diff: exit 1 when different, 0 when equal, json.
check "diff exits 1 for different profiles" \
  test "$(status_of "$BOB" diff "$study/webapp/bob6k3s.yaml" "$study/webapp/bob6587gke.yaml")" = 1
check "diff exits 0 for the same profile" \
  test "$(status_of "$BOB" diff "$study/webapp/bob6k3s.yaml" "$study/webapp/bob6k3s.yaml")" = 0
check "diff text names the container and entries" grep -qF "  - endpoints :8080/ping.php inbound" \
  <("$BOB" diff "$study/webapp/bob6k3s.yaml" "$study/webapp/bob6587gke.yaml")
check "diff --format json" python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["different"] and len(d["differences"])==22' \
  < <("$BOB" diff --format json "$study/webapp/bob6k3s.yaml" "$study/webapp/bob6587gke.yaml")
check "diff with one file is a usage error" test "$(status_of "$BOB" diff "$study/webapp/bob6k3s.yaml")" = 2

# merge: output file, superset, atomicity on failure.
merged="$work/merged.yaml"
check "merge writes the superset" "$BOB" merge -q "$study/redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml" \
  "$study/redis/bob-redis-ubuntu-24.04-kind-v1.33.0.yaml" -o "$merged"
check "the merged profile validates" test "$(status_of "$BOB" validate "$merged")" = 0
check "the merged profile has no volatile metadata" bash -c "! grep -q -e creationTimestamp -e resource-size '$merged'"
check "the merged redis profile has 87 syscalls" grep -qx 'rs-bob-redis-master,redis,container,DAC_OVERRIDE DAC_READ_SEARCH NET_ADMIN,0,40,5,87' \
  <("$BOB" summarize --format csv "$merged" | sed 's/^statefulset/rs/;s/^rs-bob-redis-master[^,]*/rs-bob-redis-master/')
echo "keep" >"$work/keep.yaml"
check "merge of mixed kinds exits 2" test "$(status_of "$BOB" merge "$study/webapp/bob6k3s.yaml" \
  "$BOB_SOURCE_ROOT/testdata/corpus/bob/example/redis/sbobs/cp-redis.yaml" -o "$work/keep.yaml")" = 2
check "a failed merge leaves the output file untouched" test "$(cat "$work/keep.yaml")" = keep
check "merge into a missing directory exits 2" test "$(status_of "$BOB" merge "$study/webapp/bob6k3s.yaml" -o "$work/no/dir/x.yaml")" = 2
check "merge without -o is a usage error" test "$(status_of "$BOB" merge "$study/webapp/bob6k3s.yaml")" = 2
check "no temporary files are left behind" test "$(ls "$work" | wc -l)" = 3

# Commands that process profiles refuse what validate rejects, and write nothing.
printf 'apiVersion: spdx.softwarecomposition.kubescape.io/v1beta1\nkind: ApplicationProfile\nmetadata: {name: x}\nspec:\n  containers:\n  - name: null\n' >"$work/noname.yaml"
check "merge of a profile with a null container name exits 2" \
  test "$(status_of "$BOB" merge "$work/noname.yaml" -o "$work/noname-out.yaml")" = 2
check "the refused merge writes nothing" test ! -e "$work/noname-out.yaml"
check "the refusal names the located validate error" \
  grep -qF "noname.yaml:6:5: /spec/containers/0: the container has no name" <("$BOB" merge "$work/noname.yaml" -o - 2>&1)
check "summarize refuses it too" test "$(status_of "$BOB" summarize "$work/noname.yaml")" = 2
check "diff refuses it too" test "$(status_of "$BOB" diff "$work/noname.yaml" "$study/webapp/bob6k3s.yaml")" = 2
rm -f "$work/noname.yaml"

# Hostile input (security review): each is refused or loaded quickly with a located error.
hostile="$work/hostile"
mkdir "$hostile"
python3 -c "import sys; open(sys.argv[1],'w').write(''.join(f'k{i}: 0\n' for i in range(100000)))" "$hostile/keys.yaml"
python3 -c "import sys; open(sys.argv[1],'w').write('{'+','.join(f'\"k{i}\":0' for i in range(100000))+'}')" "$hostile/keys.json"
for f in keys.yaml keys.json; do
  check "a 100k-key mapping in $f loads and gets its normal verdict" \
    grep -qF "$hostile/$f:1:1: error: /: the document has no kind" <("$BOB" validate "$hostile/$f" 2>&1)
done
python3 -c "import sys; open(sys.argv[1],'w').write('{'+','.join(f'\"k{i}\":0' for i in range(50000))+',\"k7\":1}')" "$hostile/dup.json"
check "a duplicate key at the end of a large JSON object is found" \
  grep -q "dup.json:1:[0-9]*: error: /: duplicate key 'k7'" <("$BOB" validate "$hostile/dup.json" 2>&1)
python3 -c "import sys; open(sys.argv[1],'w').write(''.join(f'k{i}: 0\n' for i in range(200001)))" "$hostile/toomany.yaml"
check "more than 200000 keys in one mapping is a located error" \
  grep -qF "toomany.yaml:200001:1: error: /: a mapping has more than 200000 keys" <("$BOB" validate "$hostile/toomany.yaml" 2>&1)
python3 - "$hostile/bomb.yaml" <<'PY'
import sys
ten = lambda a: "[" + ",".join(["*" + a] * 10) + "]"
text = 's: &s "' + "x" * (1 << 20) + '"\n'
text += "a: &a " + ten("s") + "\nb: &b " + ten("a") + "\nc: &c " + ten("b") + "\nd: " + ten("c") + "\n"
open(sys.argv[1], "w").write(text)
PY
check "an alias bomb of large scalars is refused" \
  grep -q "bomb.yaml:[0-9]*:[0-9]*: error: /: alias expansion exceeds 64 MiB" <("$BOB" validate "$hostile/bomb.yaml" 2>&1)
for bytes in '\xed\xa0\x80' '\xed\xbf\xbf' '\xe0\x80\xaf' '\xe0\x9f\xbf' '\xf0\x80\x80\xaf' '\xf0\x8f\xbf\xbf' \
  '\xf4\x90\x80\x80' '\xf5\x80\x80\x80' '\xff' '\xc1\xbf' '\xe1\x80'; do
  printf "a: \"$bytes\"\n" >"$hostile/utf8.yaml"
  check "ill-formed UTF-8 $bytes is refused at its spot" \
    grep -q "utf8.yaml:1:5: error: /: the file holds a byte that is not valid UTF-8" <("$BOB" validate "$hostile/utf8.yaml" 2>&1)
done
for bytes in '\xed\x9f\xbf' '\xe0\xa0\x80' '\xf0\x90\x80\x80' '\xf4\x8f\xbf\xbf' '\xc2\x80'; do
  printf "a: \"$bytes\"\n" >"$hostile/utf8.yaml"
  check "well-formed UTF-8 $bytes is accepted" \
    grep -q "utf8.yaml:1:1: error: /: the document has no kind" <("$BOB" validate "$hostile/utf8.yaml" 2>&1)
done
mkfifo "$hostile/fifo"
check "a FIFO is refused instead of blocking" \
  grep -qF "fifo: error: not a regular file" <(timeout 20 "$BOB" validate "$hostile/fifo" 2>&1)
check "a directory is named as one" \
  grep -qF "$hostile: error: is a directory, not a file" <("$BOB" validate "$hostile" 2>&1)
rm -rf "$hostile"

echo "$passed passed, $failed failed"
test "$failed" = 0
