#!/usr/bin/env bash
# Installs what bob needs from Debian 12 (and npm, for the interop tests), then configures and
# builds. Safe to run again: it installs only what is missing and rebuilds only what changed.
#
#   scripts/setup.sh [--tests] [--builddir DIR] [-- extra meson setup options]
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0
builddir=build
meson_extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tests) with_tests=1 ;;
    --builddir) builddir="$2"; shift ;;
    --) shift; meson_extra=("$@"); break ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

# Build and run-time packages. Keep this list in step with README.md.
packages=(meson ninja-build pkg-config g++ clang llvm
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libyaml-cpp-dev libarchive-dev
  libbpf-dev bpftool libelf-dev zlib1g-dev libcxxopts-dev doctest-dev libseccomp-dev
  nodejs npm docker-registry skopeo umoci php-cli busybox-static curl openssl ca-certificates)
packages+=(iputils-ping)  # `ping` for the web application demo (examples/webapp)
packages+=(jq)  # the sign tests read bundle fields in shell
if [ "$with_tests" = 1 ]; then
  packages+=(apache2-utils python3 libclang-rt-14-dev strace)
fi

missing=()
for p in "${packages[@]}"; do
  # nodejs may come from another origin with npm bundled; accept a working npm as enough.
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >&2
fi

# Debian's docker-registry package starts a system service on port 5000; bob's tests and demo
# start their own registries on free loopback ports, so the system one is not needed.

if [ "$with_tests" = 1 ] && [ -f tests/node/package.json ]; then
  if [ ! -d tests/node/node_modules ] || [ tests/node/package.json -nt tests/node/node_modules ]; then
    echo "setup: installing the npm test tools (ajv, @sigstore/verify)" >&2
    (cd tests/node && npm ci --no-audit --no-fund --loglevel=error >&2) || \
      (cd tests/node && npm install --no-audit --no-fund --loglevel=error >&2)
    touch tests/node/node_modules
  fi
fi

if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" "${meson_extra[@]}" >&2
elif [ ${#meson_extra[@]} -gt 0 ]; then
  meson configure "$builddir" "${meson_extra[@]}" >&2
fi
meson compile -C "$builddir" >&2
