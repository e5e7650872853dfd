#!/usr/bin/env bash
# The CLI conventions: --version, --help, unknown commands and exit codes.
set -u
fails=0
check() { if [ "$2" != "$3" ]; then echo "FAIL $1: expected [$3], got [$2]"; fails=$((fails+1)); else echo "ok $1"; fi; }
out=$("$BOB" --version); check "--version prints the version" "$out" "bob $(grep -m1 "version :" "$BOB_SOURCE_ROOT/meson.build" | sed "s/.*'\(.*\)'.*/\1/")"
"$BOB" --help >/dev/null; check "--help exits 0" "$?" 0
"$BOB" >/dev/null 2>&1; check "no command exits 2" "$?" 2
err=$("$BOB" frobnicate 2>&1); rc=$?
check "unknown command exits 2" "$rc" 2
case "$err" in *"unknown command 'frobnicate'"*) echo "ok unknown command is named";; *) echo "FAIL message: $err"; fails=$((fails+1));; esac
# libcurl and libarchive (and the ~30 more libraries behind them) are opened only by the commands that
# use them (libbob/src/oci/loaded_libs.h): a command without a registry does not load them.
loaded=$(LD_DEBUG=libs "$BOB" validate "$BOB_SOURCE_ROOT/testdata/does-not-exist.yaml" 2>&1 |
         grep -oE "calling init: [^ ]*lib(curl|archive)[^ ]*" | sort -u)
check "a command without a registry loads neither libcurl nor libarchive" "$loaded" ""
loaded=$(LD_DEBUG=libs "$BOB" validate "$BOB_SOURCE_ROOT/testdata/does-not-exist.yaml" 2>&1 |
         grep -c "calling init: .*libyaml-cpp")
check "LD_DEBUG shows the libraries bob does load" "$loaded" 1
# A value that does not parse names its option, in both spellings.
err=$("$BOB" record --timeout abc -o /dev/null -- /bin/true 2>&1); rc=$?
check "a bad option value exits 2" "$rc" 2
check "a bad option value names the option" "$(printf '%s\n' "$err" | head -1)" \
  "error: --timeout: Argument ‘abc’ failed to parse"
err=$("$BOB" record --runs=2x -o /dev/null -- /bin/true 2>&1 | head -1)
check "a bad --name=VALUE names the option" "$err" "error: --runs: Argument ‘2x’ failed to parse"
# --help: one usage line, and no `(default: "")` (cxxopts prints one for every empty default).
for command in record verify-install pull push verify; do
  help=$("$BOB" "$command" --help)
  check "$command --help has one usage line" "$(printf '%s\n' "$help" | grep -ci '^ *usage:')" 1
  check "$command --help shows no empty default" "$(printf '%s\n' "$help" | grep -c 'default: ""')" 0
done
check "record --help shows the command after --" \
  "$("$BOB" record --help | grep -c '^  bob record \[OPTIONS\] -- CMD \[ARGS...\]$')" 1
# An output bob could not write is refused before the command runs (a wasted install otherwise).
scratch=$(mktemp -d)
err=$("$BOB" record -o /nonexistent-bob-dir/p.yaml -- /bin/sh -c "touch $scratch/ran" 2>&1); rc=$?
check "record -o into a missing folder exits 2" "$rc" 2
check "record -o into a missing folder says so" "$err" \
  "error: /nonexistent-bob-dir/p.yaml: folder /nonexistent-bob-dir does not exist"
check "record -o into a missing folder runs nothing" "$(ls "$scratch")" ""
err=$("$BOB" record -o "$scratch" -- /bin/sh -c "touch $scratch/ran" 2>&1); rc=$?
check "record -o DIR is refused before running" "$rc:$err:$(ls "$scratch")" \
  "2:error: $scratch: is a directory, not a file:"
cp "$BOB_SOURCE_ROOT/testdata/profile/canonical-output.yaml" "$scratch/p.yaml"
before=$(sha256sum <"$scratch/p.yaml")
"$BOB" verify-install --profile "$scratch/p.yaml" --report "$scratch/p.yaml" \
  -- /bin/sh -c "touch $scratch/ran" 2>"$scratch.err"; rc=$?
err=$(head -1 "$scratch.err"); rm -f "$scratch.err"
check "verify-install --report over its own profile is refused" "$rc:$err" \
  "2:error: --report $scratch/p.yaml is the profile itself"
check "the profile is left as it was" "$(sha256sum <"$scratch/p.yaml")" "$before"
check "and nothing ran" "$(ls "$scratch")" "p.yaml"
rm -rf "$scratch"
[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
