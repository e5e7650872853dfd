# Shell twin of prereq.h: source it, then call `require CONDITION-COMMAND "what"`, or
# `require_tools TOOL...` for installed programs.
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

# require_tools TOOL...: each TOOL is a command on PATH, named with where it comes from when
# that is not obvious. busybox means the static /bin/busybox that test images copy.
require_tools() {
  local tool
  for tool in "$@"; do
    case "$tool" in
      busybox) require "test -x /bin/busybox" "busybox-static (apt-get install busybox-static)" ;;
      docker-registry | skopeo | umoci | curl)
        require "command -v $tool" "$tool (apt-get install $tool)" ;;
      *) require "command -v $tool" "$tool" ;;
    esac
  done
}

# require_harness VARIABLE HOW: the test only runs under a harness that sets VARIABLE (e.g.
# registry_harness.py --tls). A test started the wrong way is broken, not missing a
# prerequisite, so this fails whether or not CI=true.
require_harness() {
  if [ -n "${!1:-}" ]; then return 0; fi
  echo "FAIL: run me under $2 ($1 is not set)" >&2
  exit 1
}
