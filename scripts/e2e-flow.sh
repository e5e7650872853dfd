#!/usr/bin/env bash
# bob's end-to-end flow on real input, nothing mocked: a vendor records what its npm installer
# does, publishes the profile as a signed BoB attached to its image in an OCI registry, and a user
# verifies the genuine package (pass), a tampered one (caught) and a tampered BoB (refused). Then
# the web application scenario: a PHP page with a command injection, caught under verify-install.
#
#   scripts/e2e-flow.sh [--bob PATH] [--workdir DIR] [--part all|npm|webapp] [--keep]
#
#   --bob PATH     the bob binary (default: $BOB, else build/tools/bob)
#   --workdir DIR  work in DIR (created; must be empty) and keep it; default: a temporary folder
#                  that is removed at the end
#   --part P       run only the npm flow or only the web application scenario (default: all)
#   --keep         keep the temporary work folder
#
# Needs root (eBPF tracing) and, from Debian 12: docker-registry, skopeo, umoci, busybox-static,
# nodejs + npm, php-cli, curl, iputils-ping (scripts/setup.sh installs them).
# Exit status: 0 when every verdict was the expected one, 1 when one was not, 2 usage,
# 3 when a prerequisite or a bob command is missing or the environment could not be set up.
# Every step's expected and actual exit code goes to WORKDIR/results.tsv; the verify-install
# reports (JSON) stay in WORKDIR for inspection (the e2e test asserts on them).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bob="${BOB:-$root/build/tools/bob}"
workdir=""
part=all
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bob) bob="$2"; shift ;;
    --workdir) workdir="$2"; shift ;;
    --part) part="$2"; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e-flow: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$part" in all|npm|webapp) ;; *) echo "e2e-flow: --part must be all, npm or webapp" >&2; exit 2 ;; esac

# ---------------------------------------------------------------------------------------------
# Output helpers

step_no=0
step() { step_no=$((step_no + 1)); printf '\n== %d. %s\n' "$step_no" "$*"; }
note() { printf '   %s\n' "$*"; }
# Shows a command the way the user would type it, with the work folder written as $W.
show() {
  local line="" a
  for a in "$@"; do
    [ "$a" = "$bob" ] && a=bob
    case "$a" in *[[:space:]\;\&\|\'\"]*) a="'$a'" ;; esac
    line+="${line:+ }$a"
  done
  printf '   $ %s\n' "${line//$W/\$W}"
}
die_env() { printf '\nE2E SETUP FAILED: %s\n' "$*" >&2; exit 3; }

# results.tsv: step, expected exit code, actual exit code. verdict() prints the line the reader
# sees and remembers mismatches for the summary and the exit status.
mismatches=0
verdict() {
  local name="$1" expected="$2" actual="$3" meaning="$4"
  printf '%s\t%s\t%s\n' "$name" "$expected" "$actual" >> "$W/results.tsv"
  if [ "$expected" = "$actual" ]; then
    printf '   -> exit %s: %s (as expected)\n' "$actual" "$meaning"
  else
    printf '   -> exit %s, but %s was expected (%s): UNEXPECTED\n' "$actual" "$expected" "$meaning"
    mismatches=$((mismatches + 1))
  fi
}

# Runs a shown command, capturing its exit code in $rc without stopping the script.
run() { show "$@"; rc=0; "$@" || rc=$?; }

# ---------------------------------------------------------------------------------------------
# Prerequisites: tools from Debian, and the bob commands this flow needs.

missing_tools=()
for tool in docker-registry skopeo umoci node npm php curl ping; do
  command -v "$tool" >/dev/null 2>&1 || missing_tools+=("$tool")
done
[ -x /bin/busybox ] || missing_tools+=("/bin/busybox (busybox-static)")
if [ ${#missing_tools[@]} -gt 0 ]; then
  die_env "missing programs: ${missing_tools[*]} (run scripts/setup.sh)"
fi
[ -x "$bob" ] || die_env "no bob binary at $bob (build it with scripts/setup.sh, or pass --bob)"
[ "$(id -u)" = 0 ] || die_env "bob record and bob verify-install trace with eBPF and need root"

# The commands `bob --help` lists, one per line.
bob_commands="$("$bob" --help 2>/dev/null | awk '/^commands:/ {f = 1; next} f && /^  [a-z]/ {print $1}')"
has_command() { printf '%s\n' "$bob_commands" | grep -qx "$1"; }
# Fails the flow, naming the command, when this build of bob does not have it yet.
need() {
  local c
  for c in "$@"; do
    has_command "$c" && continue
    printf '\nE2E FLOW STOPPED at step %d: this build of bob has no `bob %s` command.\n' \
      "$step_no" "$c" >&2
    printf '   (%s --help lists: %s)\n' "$bob" "$(echo ${bob_commands:-no commands})" >&2
    exit 3
  done
}

needed=(record validate verify-install)
[ "$part" = webapp ] || needed+=(generalize keygen push discover pull)
absent=()
for c in "${needed[@]}"; do has_command "$c" || absent+=("bob $c"); done
if [ ${#absent[@]} -gt 0 ]; then
  echo "note: this build of bob lacks ${absent[*]}; the flow will stop at the first step that needs one." >&2
fi

# ---------------------------------------------------------------------------------------------
# Work folder, background processes and clean-up

if [ -n "$workdir" ]; then
  mkdir -p "$workdir"
  [ -z "$(ls -A "$workdir")" ] || die_env "--workdir $workdir is not empty"
  W="$(cd "$workdir" && pwd)"
  keep=1
else
  W="$(mktemp -d "${TMPDIR:-/tmp}/bob-e2e.XXXXXX")"
fi
: > "$W/results.tsv"

background_pids=()
server_port=""  # the PHP server's port, for finding its wrapper on clean-up
cleanup() {
  local status=$? pid
  for pid in "${background_pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  [ -n "$server_port" ] && stop_web_server "$server_port" > /dev/null 2>&1 || true
  for pid in "${background_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$keep" = 1 ]; then
    echo "work folder kept: $W" >&2
  else
    rm -rf "$W"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port on 127.0.0.1 (the kernel picks it; a small race remains until it is used,
# which is why the registry start is retried).
free_port() {
  node -e 'const s = require("net").createServer();
           s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Waits up to $2 tenths of a second for URL $1 to answer with a success status (any status with
# $4 = any), while process $3 is still alive.
wait_http() {
  local url="$1" tenths="$2" pid="${3:-}" any="${4:-}" i fail=-f
  [ "$any" = any ] && fail=""
  for ((i = 0; i < tenths; i++)); do
    curl $fail -s -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# Shared set-up: registry and subject image (npm flow only)

start_registry() {
  local attempt
  mkdir -p "$W/registry/storage"
  for attempt in 1 2 3; do
    reg_port="$(free_port)"
    cat > "$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/registry/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$reg_port
  secret: bob-e2e-demo-not-a-secret
EOF
    show docker-registry serve '$W/registry/config.yml'
    docker-registry serve "$W/registry/config.yml" > "$W/registry/registry.log" 2>&1 &
    reg_pid=$!
    background_pids+=("$reg_pid")
    if wait_http "http://127.0.0.1:$reg_port/v2/" 100 "$reg_pid"; then
      REG="127.0.0.1:$reg_port"
      note "registry listening on $REG (storage in \$W/registry/storage)"
      return 0
    fi
    kill "$reg_pid" 2>/dev/null || true
    note "registry did not come up on port $reg_port (attempt $attempt); log:"
    sed 's/^/     /' "$W/registry/registry.log" | tail -5
  done
  die_env "docker-registry would not start"
}

build_subject_image() {
  local layout="$W/image/layout" bundle="$W/image/bundle" rootless=()
  mkdir -p "$W/image"
  [ "$(id -u)" = 0 ] || rootless=(--rootless)
  note "an OCI image holding Debian's static busybox, laid out with umoci:"
  show umoci init --layout '$W/image/layout'
  umoci init --layout "$layout"
  show umoci new --image '$W/image/layout:demo'
  umoci new --image "$layout:demo"
  show umoci unpack --image '$W/image/layout:demo' '$W/image/bundle'
  umoci unpack "${rootless[@]}" --image "$layout:demo" "$bundle" > /dev/null
  show cp /bin/busybox '$W/image/bundle/rootfs/bin/busybox'
  mkdir -p "$bundle/rootfs/bin"
  cp /bin/busybox "$bundle/rootfs/bin/busybox"
  show umoci repack --image '$W/image/layout:demo' '$W/image/bundle'
  umoci repack --image "$layout:demo" "$bundle"
  umoci config --image "$layout:demo" --config.entrypoint /bin/busybox --config.cmd sh
  show skopeo copy --dest-tls-verify=false "oci:\$W/image/layout:demo" "docker://$REG/demo/app:1.0"
  skopeo copy -q --dest-tls-verify=false "oci:$layout:demo" "docker://$REG/demo/app:1.0" \
    || die_env "skopeo could not push the image"
  IMAGE_DIGEST="$(skopeo inspect --tls-verify=false --format '{{.Digest}}' \
                    "docker://$REG/demo/app:1.0")" || die_env "skopeo inspect failed"
  local raw_digest
  raw_digest="sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REG/demo/app:1.0" \
                        | sha256sum | cut -d' ' -f1)"
  [ "$raw_digest" = "$IMAGE_DIGEST" ] || die_env "manifest digest mismatch: $raw_digest vs $IMAGE_DIGEST"
  IMAGE="$REG/demo/app@$IMAGE_DIGEST"
  note "subject: $IMAGE"
}

# ---------------------------------------------------------------------------------------------
# The npm package and its two sides

pack_packages() {
  mkdir -p "$W/packages/genuine" "$W/packages/tampered" "$W/outside"
  # The "outside" server the tampered package exfiltrates to: a loopback stand-in.
  node "$root/examples/npm-demo/outside-listener.js" "$W/outside/port" > "$W/outside/log" 2>&1 &
  outside_pid=$!
  background_pids+=("$outside_pid")
  local i
  for ((i = 0; i < 100; i++)); do [ -s "$W/outside/port" ] && break; sleep 0.1; done
  [ -s "$W/outside/port" ] || die_env "the outside listener did not start"
  OUTSIDE="127.0.0.1:$(cat "$W/outside/port")"
  note "stand-in for the attacker's server: $OUTSIDE"

  cp -r "$root/examples/npm-demo/genuine" "$W/packages/genuine/src"
  cp -r "$root/examples/npm-demo/tampered" "$W/packages/tampered/src"
  sed -i "s/__OUTSIDE__/$OUTSIDE/" "$W/packages/tampered/src/scripts/postinstall.js"
  local variant
  for variant in genuine tampered; do
    show npm pack --pack-destination "\$W/packages/$variant" "(examples/npm-demo/$variant)"
    (cd "$W/packages/$variant/src" && \
       npm pack --silent --pack-destination "$W/packages/$variant" > /dev/null 2>&1) \
      || die_env "npm pack of the $variant package failed"
  done
  PKG_FILE=bob-demo-widget-1.0.0.tgz
  [ -f "$W/packages/genuine/$PKG_FILE" ] && [ -f "$W/packages/tampered/$PKG_FILE" ] \
    || die_env "npm pack did not make $PKG_FILE"
  note "genuine  $(sha256sum "$W/packages/genuine/$PKG_FILE" | cut -c1-16)…  $PKG_FILE"
  note "tampered $(sha256sum "$W/packages/tampered/$PKG_FILE" | cut -c1-16)…  $PKG_FILE (same name and version)"
}

# A side is a machine's worth of roots: home, working folder, temporary folder and install
# prefix. npm's user config points into the working folder (as a CI job's project config would),
# so that ~/.npmrc is only ever read by something else.
# Limitation: with npm's default user config, npm itself reads ~/.npmrc, the vendor's profile then
# allows that path, and a postinstall reading it is not flagged (profiles list files, not which
# process opened them); the exec of curl and the connection out are still caught.
make_side() {
  local side="$1" d="$W/$1"
  mkdir -p "$d/home" "$d/work" "$d/tmp" "$d/app"
  printf 'fund=false\naudit=false\nupdate-notifier=false\n' > "$d/work/npmrc-ci"
}
# Every side installs from one location, $W/downloads, which stands in for the package's registry
# URL: npm keys its cache entries by where a tarball comes from, and the vendor and its users
# install from the same URL. What is found there differs: the genuine or the tampered tarball.
stage_download() {
  mkdir -p "$W/downloads"
  cp "$W/packages/$1/$PKG_FILE" "$W/downloads/$PKG_FILE"
  note "\$W/downloads/$PKG_FILE is now the $1 tarball"
}
# Dummy credentials of the kind the 2025 npm worms stole.
plant_credentials() {
  local home="$W/$1/home"
  mkdir -p "$home/.ssh"
  chmod 700 "$home/.ssh"
  printf '//registry.npmjs.org/:_authToken=npm_DUMMY0bobE2EdemoTokenNotReal0000\n' > "$home/.npmrc"
  printf -- '-----BEGIN OPENSSH PRIVATE KEY-----\nDUMMY KEY MADE BY THE BOB DEMO, NOT A REAL KEY\n-----END OPENSSH PRIVATE KEY-----\n' > "$home/.ssh/id_rsa"
  chmod 600 "$home/.ssh/id_rsa" "$home/.npmrc"
}
# The environment and command of an offline npm install on a side.
side_env() {
  local d="$W/$1"
  side_env_vars=(HOME="$d/home" TMPDIR="$d/tmp" npm_config_cache="$d/home/.npm"
                 npm_config_userconfig="$d/work/npmrc-ci" npm_config_prefix="$d/app")
  npm_command=(npm install --offline --no-audit --no-fund --prefix "$d/app" "$W/downloads/$PKG_FILE")
}
# Runs bob (args before `--`) in a side's working folder with its environment, the npm install
# after `--`.
run_on_side() {
  local side="$1" command="$2"; shift 2
  side_env "$side"
  # --prefix tells bob the install prefix, one of the roots it maps between vendor and user.
  local bob_args=("$command" --prefix "$W/$side/app" "$@")
  show cd "\$W/$side/work"
  show env HOME="\$W/$side/home" TMPDIR="\$W/$side/tmp" "..." "$bob" "${bob_args[@]}" -- \
    "${npm_command[@]}"
  rc=0
  (cd "$W/$side/work" && env "${side_env_vars[@]}" "$bob" "${bob_args[@]}" -- "${npm_command[@]}") \
    || rc=$?
}

# Prints the findings of a verify-install JSON report, one line each.
print_alerts() {
  local report="$1"
  [ -s "$report" ] || { note "(no report was written to $report)"; return 0; }
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    // At most 4 lines per rule and process; the rest is counted (all of it is in the report).
    const shown = new Map();
    const hidden = new Map();
    for (const f of r.findings || []) {
      const a = f.alert || {};
      const args = (a.BaseRuntimeMetadata || {}).arguments || {};
      const what = args.exec || args.path || (args.ip ? `${args.ip}:${args.port}` : "") ||
                   args.syscall || args.capability || args.domain || JSON.stringify(args);
      const by = ((f.detail || "").match(/process: (?:.* > )?([^>]*)$/) || [])[1] || "";
      const group = `${a.RuleID} ${a.msg}` + (by ? ` (by ${by})` : "");
      const count = (shown.get(group) || 0) + 1;
      shown.set(group, count);
      if (count <= 4) console.log(`   ${a.RuleID} ${a.msg}: ${what}${by ? "   (by " + by + ")" : ""}`);
      else hidden.set(group, (hidden.get(group) || 0) + 1);
    }
    for (const [group, n] of hidden) console.log(`   ... and ${n} more ${group}`);
    ' "$report" || note "(could not read the report $report)"
}

npm_flow() {
  step "Local OCI registry: Debian's docker-registry on a free loopback port"
  start_registry

  step "Subject: a small busybox image, pushed with skopeo and addressed by digest"
  build_subject_image

  step "The demo package, genuine and tampered (same name and version), packed with npm"
  pack_packages
  make_side vendor
  make_side user-genuine
  make_side user-tampered
  plant_credentials user-genuine
  plant_credentials user-tampered
  note "the user's home folders hold dummy ~/.npmrc and ~/.ssh/id_rsa files"

  step "Vendor: bob record of the offline npm install (three runs, to learn what varies)"
  need record
  # Limitation: runs 2 and 3 find the package installed ("up to date") and skip the postinstall,
  # so they add timing-dependent syscalls (sched_yield) rather than path variation; bob record
  # has no way to reset the prefix between runs.
  stage_download genuine
  run_on_side vendor record --runs 3 --name bob-demo-widget-install -o "$W/vendor/specific.yaml"
  verdict vendor-record 0 "$rc" "recorded \$W/vendor/specific.yaml"
  [ "$rc" = 0 ] || return 0
  need validate
  run "$bob" validate "$W/vendor/specific.yaml"
  verdict vendor-validate 0 "$rc" "the recorded profile is a valid ApplicationProfile"
  if has_command summarize; then
    run "$bob" summarize "$W/vendor/specific.yaml"
  fi

  step "Vendor: bob generalize (the lighter profile for runtime detection)"
  need generalize
  run "$bob" generalize "$W/vendor/specific.yaml" -o "$W/vendor/generalized.yaml"
  verdict vendor-generalize 0 "$rc" "wrote \$W/vendor/generalized.yaml"

  step "Vendor: bob keygen, then bob push of both variants, signed, attached to the image"
  need keygen push
  run "$bob" keygen --no-passphrase -o "$W/vendor/vendor"
  verdict vendor-keygen 0 "$rc" "key pair \$W/vendor/vendor.key, \$W/vendor/vendor.pub"
  [ -f "$W/vendor/vendor.key" ] && [ -f "$W/vendor/vendor.pub" ] \
    || die_env "bob keygen -o \$W/vendor/vendor did not write vendor.key and vendor.pub"
  local variant
  for variant in specific generalized; do
    show "$bob" push --subject "$IMAGE" --key '$W/vendor/vendor.key' --variant "$variant" \
      "\$W/vendor/$variant.yaml"
    rc=0
    "$bob" push --subject "$IMAGE" --key "$W/vendor/vendor.key" --variant "$variant" \
      "$W/vendor/$variant.yaml" > "$W/vendor/push-$variant.out" || rc=$?
    sed 's/^/   /' "$W/vendor/push-$variant.out"
    verdict "vendor-push-$variant" 0 "$rc" "BoB ($variant) pushed"
  done

  step "User: bob discover shows the image, its BoBs and their signatures"
  need discover
  run "$bob" discover "$IMAGE"
  verdict user-discover 0 "$rc" "listed the referrers"

  step "User: bob pull by image digest, checked against the vendor's public key"
  need pull
  run "$bob" pull "$IMAGE" --key "$W/vendor/vendor.pub" --variant specific \
    -o "$W/user-genuine/pulled.yaml"
  verdict user-pull 0 "$rc" "signature, subject and layers verified"
  if [ "$rc" = 0 ]; then
    if cmp -s "$W/vendor/specific.yaml" "$W/user-genuine/pulled.yaml"; then
      note "the pulled profile is byte-identical to the one the vendor recorded"
    else
      note "WARNING: the pulled profile differs from the vendor's file"
      mismatches=$((mismatches + 1))
    fi
  fi

  step "User: bob verify-install of the GENUINE package (other home, prefix, temp folder)"
  need verify-install
  stage_download genuine
  run_on_side user-genuine verify-install --image "$IMAGE" --key "$W/vendor/vendor.pub" \
    --timeout 300 --format json --report "$W/user-genuine/verify.json"
  verdict genuine-verify 0 "$rc" "the genuine installer did nothing beyond the vendor's BoB"

  step "User: bob verify-install of the TAMPERED package (worm-style postinstall)"
  stage_download tampered
  run_on_side user-tampered verify-install --image "$IMAGE" --key "$W/vendor/vendor.pub" \
    --timeout 300 --format json --report "$W/user-tampered/verify.json"
  verdict tampered-verify 1 "$rc" "deviations from the BoB: the tampered installer is caught"
  print_alerts "$W/user-tampered/verify.json"
  note "what the stand-in attacker server received:"
  sed 's/^/     /' "$W/outside/log"

  step "A tampered BoB: the vendor's profile re-signed with another key, on a mirror of the image"
  mkdir -p "$W/attacker"
  run "$bob" keygen --no-passphrase -o "$W/attacker/attacker"
  verdict attacker-keygen 0 "$rc" "another key pair, not the vendor's"
  show skopeo copy "docker://$IMAGE" "docker://$REG/mirror/app:1.0"
  skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
    "docker://$IMAGE" "docker://$REG/mirror/app:1.0" || die_env "skopeo could not copy the image"
  local mirror="$REG/mirror/app@$IMAGE_DIGEST"
  run "$bob" push --subject "$mirror" --key "$W/attacker/attacker.key" --variant specific \
    "$W/vendor/specific.yaml"
  verdict attacker-push 0 "$rc" "the attacker's BoB is in the registry"
  run "$bob" pull "$mirror" --key "$W/vendor/vendor.pub" --variant specific \
    -o "$W/user-genuine/from-mirror.yaml"
  verdict tampered-bob-pull 4 "$rc" "no signature by the vendor's key: refused"
  if [ -e "$W/user-genuine/from-mirror.yaml" ]; then
    note "ERROR: bob pull wrote a file although it refused the BoB"
    mismatches=$((mismatches + 1))
  else
    note "nothing was written"
  fi
}

# ---------------------------------------------------------------------------------------------
# The web application scenario

# Stops the demo server on port $1 the way an operator would: SIGTERM to its serve.sh wrapper
# (found by its command line, which names the port), which stops PHP and exits 0. Prints the
# process ids it signalled.
stop_web_server() {
  local port="$1" proc cmdline
  for proc in /proc/[0-9]*; do
    cmdline="$(tr '\0' ' ' 2>/dev/null < "$proc/cmdline")" || continue
    # Exactly the wrapper (bob's own command line also names serve.sh, and must not match).
    if [ "$cmdline" = "/bin/sh $root/examples/webapp/serve.sh 127.0.0.1:$port " ]; then
      kill -TERM "${proc#/proc/}" 2>/dev/null && echo "${proc#/proc/}"
    fi
  done
}

# Drives the server that bob (pid $1) runs on port $2: each time the server comes up (bob record
# --runs N starts it N times), sends the requests listed after $2 and stops it; ends when bob
# does. Bounded: 30 s per server start.
drive_web_server() {
  local bob_pid="$1" port="$2"; shift 2
  local url
  while kill -0 "$bob_pid" 2>/dev/null; do
    if ! wait_http "http://127.0.0.1:$port/" 300 "$bob_pid" any; then
      kill -0 "$bob_pid" 2>/dev/null || break
      note "the web server did not answer within 30 s; stopping"
      stop_web_server "$port" > /dev/null
      kill "$bob_pid" 2>/dev/null || true
      break
    fi
    for url in "$@"; do
      printf '   $ curl %q\n' "http://127.0.0.1:$port/$url"
      curl -sS -o "$W/webapp/last-response" --max-time 10 -g "http://127.0.0.1:$port/$url" || true
      sed -n '1,2p' "$W/webapp/last-response" | sed 's/^/     | /'
    done
    # Stop it, and wait (bounded) for it to go before looking for the next run's server.
    local stopped i
    stopped="$(stop_web_server "$port")"
    for ((i = 0; i < 100; i++)); do
      [ -n "$stopped" ] && [ -d "/proc/$stopped" ] || break
      sleep 0.1
    done
  done
}

# Runs bob with the web server as its traced command, drives the server, and sets $rc.
bob_with_web_server() {
  local port="$1" requests_var="$2"; shift 2
  local -n requests="$requests_var"
  show "$bob" "$@" -- examples/webapp/serve.sh "127.0.0.1:$port"
  "$bob" "$@" -- "$root/examples/webapp/serve.sh" "127.0.0.1:$port" \
    > "$W/webapp/server.out" 2>&1 &
  local bob_pid=$!
  background_pids+=("$bob_pid")
  drive_web_server "$bob_pid" "$port" "${requests[@]}"
  rc=0
  wait "$bob_pid" || rc=$?
  sed 's/^/     > /' "$W/webapp/server.out" | grep -v 'Accepted$\|Closing$' | tail -20 || true
}

webapp_flow() {
  mkdir -p "$W/webapp"
  server_port="$(free_port)"
  local benign=("ping.php?ip=127.0.0.1" "ping.php?ip=localhost" "ping.php")
  local attack=("ping.php?ip=127.0.0.1" "ping.php?ip=127.0.0.1;cat%20/etc/passwd")

  step "Web application: bob record of the PHP ping page under benign requests"
  note "examples/webapp/ping.php passes ?ip= to the shell unchecked (command injection)"
  need record
  bob_with_web_server "$server_port" benign record --runs 2 --name demo-webapp \
    -o "$W/webapp/profile.yaml"
  verdict webapp-record 0 "$rc" "recorded \$W/webapp/profile.yaml"
  [ "$rc" = 0 ] || return 0
  need validate
  run "$bob" validate "$W/webapp/profile.yaml"
  verdict webapp-validate 0 "$rc" "the recorded profile is a valid ApplicationProfile"

  step "Web application: bob verify-install while the same benign requests are served"
  need verify-install
  bob_with_web_server "$server_port" benign verify-install --profile "$W/webapp/profile.yaml" \
    --timeout 120 --format json --report "$W/webapp/benign-verify.json"
  verdict webapp-benign-verify 0 "$rc" "benign traffic stays within the profile"

  step "Web application: bob verify-install while an attacker sends ?ip=127.0.0.1;cat /etc/passwd"
  bob_with_web_server "$server_port" attack verify-install --profile "$W/webapp/profile.yaml" \
    --timeout 120 --format json --report "$W/webapp/attack-verify.json"
  verdict webapp-attack-verify 1 "$rc" "the injected command is caught"
  print_alerts "$W/webapp/attack-verify.json"
}

# ---------------------------------------------------------------------------------------------

echo "bob end-to-end flow ($("$bob" --version 2>/dev/null || echo "bob at $bob"))"
echo "work folder: W=$W"
[ "$part" = webapp ] || npm_flow
[ "$part" = npm ] || webapp_flow

printf '\n== Summary (expected and actual exit codes)\n'
column -t -s $'\t' -N STEP,EXPECTED,ACTUAL "$W/results.tsv" 2>/dev/null | sed 's/^/   /' \
  || sed 's/^/   /' "$W/results.tsv"
if [ "$mismatches" -gt 0 ]; then
  printf '\nE2E FLOW FAILED: %d result(s) differ from the expectation.\n' "$mismatches"
  exit 1
fi
printf '\nE2E FLOW PASSED: every verdict is the expected one.\n'
