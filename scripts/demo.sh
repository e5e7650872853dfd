#!/usr/bin/env bash
# Installs what is missing, builds, and runs bob's main job.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== bob summarize: the attack surface of a real redis BoB =="
build/tools/bob summarize testdata/corpus/bobctl/testdata/parameterstudy/redis/redisbob/statefulset-bob-redis-master_bob.yaml
