#!/usr/bin/env bash
# The JSON Schemas in schemas/ against every testdata profile, with a real validator (ajv), and
# their agreement with `bob validate` on invalid inputs.
set -u
: "${BOB:?}" "${BOB_SOURCE_ROOT:?}"
source "$BOB_SOURCE_ROOT/tests/support/prereq.sh"
modules="$BOB_SOURCE_ROOT/tests/node/node_modules"
require "command -v node" "node (apt-get install nodejs)"
require "test -f '$modules/ajv/dist/2020.js'" "ajv (npm ci in tests/node)"
require "test -d '$modules/yaml'" "yaml (npm ci in tests/node)"
exec node "$BOB_SOURCE_ROOT/tests/profile/schema_check.js" "$modules" "$BOB_SOURCE_ROOT" "$BOB"
