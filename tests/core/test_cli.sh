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
[ "$fails" -eq 0 ]  # not `exit $fails`: a count of 256 would exit 0
