# Shell twin of prereq.h: source it, then call `require CONDITION-COMMAND "what"`.
# Outside CI a missing prerequisite skips (exit 77); with CI=true it fails.
require() {
  local what="$2"
  if eval "$1" >/dev/null 2>&1; then return 0; fi
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: $what is missing, and CI=true forbids skipping" >&2
    exit 1
  fi
  echo "SKIP: $what is missing" >&2
  exit 77
}
