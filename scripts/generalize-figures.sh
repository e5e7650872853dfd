#!/usr/bin/env bash
# The multi-distro figures of docs/generalize.md, made with the CLI only: for each multi-distro set
# of the corpus, `bob generalize` each input, `bob merge` the results, and compare with
# `bob merge` of the raw inputs. Checks, and exits 1 when one fails:
#   - the merged generalized profile still allows every behaviour of every input
#     (profile_covers: lost_behaviour and a replay through verify-install's comparator);
#   - it has fewer opens than the raw merge;
#   - `bob validate` reports no wildcard warning for it.
# The last column generalizes the raw merge with the tighter CollapseConfiguration
# testdata/generalize/collapse-tight.yaml (checked the same way, and with fewer opens still).
# Prints the figures as a Markdown table on standard output.
#
# usage: scripts/generalize-figures.sh BUILD_DIR
#   e.g. scripts/generalize-figures.sh build   (needs BUILD/tools/bob and
#        BUILD/tests/generalize/profile_covers, built by `meson compile -C BUILD`)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: scripts/generalize-figures.sh BUILD_DIR}
bob="$build/tools/bob"
covers="$build/tests/generalize/profile_covers"
for tool in "$bob" "$covers"; do
  [ -x "$tool" ] || { echo "error: $tool is missing; run meson compile -C $build" >&2; exit 2; }
done
corpus="$root/testdata/corpus/bobctl/testdata/parameterstudy"
# The multi-distro sets of testdata/corpus/PROVENANCE.md §1: one workload learned on two distros.
declare -A sets=(
  [webapp]="webapp/bob6k3s.yaml webapp/bob6587gke.yaml"
  [redis]="redis/bob-redis-ubuntu-22.04-k3s-v1.30.0.yaml redis/bob-redis-ubuntu-24.04-kind-v1.33.0.yaml"
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

count() {  # count FILE FIELD : entries of FIELD summed over all containers
  jq "[.spec | (.containers, .initContainers, .ephemeralContainers) // [] | .[]
       | (.$2 // []) | length] | add // 0" "$1"
}

echo "| set | opens in inputs | \`bob merge\` of the inputs: opens / execs / syscalls |" \
     "\`bob merge\` of \`bob generalize\` each: opens / execs / syscalls |" \
     "\`bob generalize --collapse-config collapse-tight.yaml\` of the merge: opens |"
echo "|---|---|---|---|---|"
for name in webapp redis; do
  read -r -a files <<<"${sets[$name]}"
  inputs=()
  generalized=()
  for file in "${files[@]}"; do
    base=$(basename "$file" .yaml)
    inputs+=("$corpus/$file")
    "$bob" generalize -q "$corpus/$file" --format json -o "$tmp/$base.gen.json"
    generalized+=("$tmp/$base.gen.json")
  done
  "$bob" merge -q "${inputs[@]}" --format json -o "$tmp/$name.merge.json"
  "$bob" merge -q "${generalized[@]}" --format json -o "$tmp/$name.gen-merge.json"

  "$bob" generalize -q "$tmp/$name.merge.json" --format json -o "$tmp/$name.tight.json" \
    --collapse-config "$root/testdata/generalize/collapse-tight.yaml"

  raw_opens=$(count "$tmp/$name.merge.json" opens)
  for result in gen-merge tight; do
    for input in "${inputs[@]}"; do
      "$covers" "$input" "$tmp/$name.$result.json" >/dev/null ||
        fail "$name: $result no longer allows everything $input allows"
    done
    status=0
    "$bob" validate "$tmp/$name.$result.json" >"$tmp/validate.out" 2>&1 || status=$?
    [ "$status" = 0 ] || fail "$name: bob validate of $result exits $status: $(cat "$tmp/validate.out")"
    if grep -i wildcard "$tmp/validate.out" >&2; then
      fail "$name: bob validate warns about wildcards in $result"
    fi
    opens=$(count "$tmp/$name.$result.json" opens)
    [ "$opens" -lt "$raw_opens" ] ||
      fail "$name: $result has $opens opens, the raw merge $raw_opens"
  done

  per_input=$(for input in "${inputs[@]}"; do
    "$bob" merge -q "$input" --format json -o "$tmp/one.json"  # JSON view of one input
    count "$tmp/one.json" opens
  done | paste -sd+ | sed 's/+/ + /g')
  row() { echo "$(count "$1" opens) / $(count "$1" execs) / $(count "$1" syscalls)"; }
  echo "| $name | $per_input | $(row "$tmp/$name.merge.json") |" \
       "$(row "$tmp/$name.gen-merge.json") | $(count "$tmp/$name.tight.json" opens) |"
done
exit $((failures > 0))
