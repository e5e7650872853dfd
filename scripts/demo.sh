#!/usr/bin/env bash
# Installs what is missing, builds, and runs bob's main job: the whole vendor-to-staging flow on
# real parts (a local OCI registry, a real image, an npm installer traced with eBPF, signed BoBs),
# then the web application scenario. Needs root for eBPF tracing. See docs/walkthrough.md.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "$(id -u)" != 0 ]; then
  echo "demo: eBPF tracing needs root; re-running the flow with sudo" >&2
  exec sudo scripts/e2e-flow.sh "$@"
fi
exec scripts/e2e-flow.sh "$@"
