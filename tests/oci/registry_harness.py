#!/usr/bin/env python3
"""Runs a command against a private docker-registry (Debian's distribution v2.8.2).

    registry_harness.py [--mode plain|htpasswd|token] [--tls] -- COMMAND [ARGS...]

Starts /usr/bin/docker-registry on a free 127.0.0.1 port with its own config and a temporary
storage folder (deletes enabled), optionally behind htpasswd Basic auth or token auth (with
tests/oci/token_server.py and a freshly generated EC P-256 key and self-signed certificate),
runs COMMAND with these variables set, then stops everything and removes the folder:

    BOB_TEST_REGISTRY           127.0.0.1:PORT
    BOB_TEST_REGISTRY_MODE      plain | htpasswd | token
    BOB_TEST_REGISTRY_USER      user name (htpasswd, token)
    BOB_TEST_REGISTRY_PASSWORD  its password
    BOB_TEST_REGISTRY_DIR       the temporary folder (config, logs)
    BOB_TEST_REFRESH_TOKEN      a refresh token the token server accepts (token)
    BOB_TEST_TOKEN_LOG          file listing every token the token server issued (token)
    BOB_TEST_REGISTRY_CA        with --tls: the test CA that signed the registry's certificate
                                (made by make_test_certs.sh in BOB_TEST_REGISTRY_DIR/tls, with
                                other-ca.crt, an unrelated CA, next to it)

With --tls the registry serves https only (distribution's http.tls); its certificate names
127.0.0.1, ::1, localhost and this machine's host name.

Exit status: COMMAND's. When docker-registry (or htpasswd/openssl for the auth modes) is
missing: 77 (skip), or 1 when CI=true, as tests/support/prereq.sh does.
"""
import argparse
import os
import secrets
import ssl
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REGISTRY = "/usr/bin/docker-registry"


def require(ok, what):
    if ok:
        return
    if os.environ.get("CI") == "true":
        print("FAIL: %s is missing, and CI=true forbids skipping" % what, file=sys.stderr)
        sys.exit(1)
    print("SKIP: %s is missing" % what, file=sys.stderr)
    sys.exit(77)


def free_port():
    """A port that was free a moment ago: another process may take it before the registry binds
    it. start_registry() copes with that; do not use this alone."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, proc, what, timeout=30, context=None, instance=None):
    """Waits until URL answers. With `instance`, only an answer carrying the header
    X-Bob-Registry-Instance: INSTANCE counts: a server another process started on the same port
    is not taken for ours. False when `proc` exits first (e.g. its port was taken)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            headers = urllib.request.urlopen(url, timeout=2, context=context).headers
        except urllib.error.HTTPError as e:
            headers = e.headers  # 401 and friends: it answers
        except OSError:
            time.sleep(0.1)
            continue
        if instance is None or headers.get("X-Bob-Registry-Instance") == instance:
            return True
        time.sleep(0.1)  # someone else's server on this port: ours will fail to bind and exit
    raise SystemExit("%s did not start within %d s" % (what, timeout))


def start_registry(work, storage, extra_config="", scheme="http", context=None,
                   log_level="warn", accesslog=False, attempts=10, new_session=False):
    """Starts docker-registry on a free 127.0.0.1 port with its config and log in `work`;
    returns (process, port).

    The port is picked, released and then bound by docker-registry, so a parallel test can take
    it in between. Each start therefore has its own X-Bob-Registry-Instance response header:
    an answer without it comes from another process, and a registry that cannot bind exits, so
    the start is repeated on a new port (up to `attempts` times)."""
    os.makedirs(work, exist_ok=True)
    config = os.path.join(work, "config.yml")
    log_path = os.path.join(work, "registry.log")
    for _ in range(attempts):
        port = free_port()
        instance = secrets.token_hex(16)
        with open(config, "w") as f:
            f.write("version: 0.1\n"
                    "log:\n  level: %s\n  accesslog:\n    disabled: %s\n"
                    "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
                    "  maintenance:\n    uploadpurging:\n      enabled: false\n"
                    "http:\n  addr: 127.0.0.1:%d\n  secret: %s\n"
                    "  headers:\n    X-Bob-Registry-Instance: [%s]\n%s"
                    % (log_level, "false" if accesslog else "true", storage, port,
                       secrets.token_hex(16), instance, extra_config))
        with open(log_path, "w") as log:
            proc = subprocess.Popen([REGISTRY, "serve", config], stdout=log, stderr=log,
                                    start_new_session=new_session)
        try:
            ok = wait_for("%s://127.0.0.1:%d/v2/" % (scheme, port), proc, "docker-registry",
                          context=context, instance=instance)
        except SystemExit:
            proc.kill()
            raise
        if ok:
            return proc, port
    sys.stderr.write(open(log_path).read())
    raise SystemExit("docker-registry did not start (%d ports tried)" % attempts)


def wait_for_file(path, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline and not os.path.exists(path):
        if proc.poll() is not None:
            raise SystemExit("token server exited early")
        time.sleep(0.05)
    with open(path) as f:
        return int(f.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["plain", "htpasswd", "token"], default="plain")
    parser.add_argument("--tls", action="store_true", help="serve https with a fresh test CA")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    require(os.access(REGISTRY, os.X_OK), "docker-registry (apt-get install docker-registry)")
    if args.mode == "htpasswd":
        require(shutil.which("htpasswd"), "htpasswd (apt-get install apache2-utils)")
    if args.mode == "token":
        require(shutil.which("openssl"), "openssl")
    if args.tls:
        require(shutil.which("openssl"), "openssl")

    work = tempfile.mkdtemp(prefix="bob-registry-")
    children = []
    user, password = "bob-tester", "pw-" + secrets.token_hex(8)
    refresh_token = "rt-" + secrets.token_hex(16)
    try:
        auth = ""
        if args.mode == "htpasswd":
            subprocess.run(["htpasswd", "-B", "-b", "-c", os.path.join(work, "htpasswd"), user, password],
                           check=True, capture_output=True)
            auth = "auth:\n  htpasswd:\n    realm: bob-test\n    path: %s\n" % os.path.join(work, "htpasswd")
        elif args.mode == "token":
            key, cert = os.path.join(work, "token.key"), os.path.join(work, "token.crt")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                            "-days", "2", "-subj", "/CN=bob-test-token-issuer"],
                           check=True, capture_output=True)
            port_file = os.path.join(work, "token.port")
            log = open(os.path.join(work, "token.log"), "w")
            token = subprocess.Popen([sys.executable, os.path.join(HERE, "token_server.py"), "--key", key,
                                      "--cert", cert, "--user", "%s:%s" % (user, password),
                                      "--port-file", port_file,
                                      "--refresh-token", "%s:%s" % (refresh_token, user),
                                      "--token-log", os.path.join(work, "tokens.log")],
                                     stdout=log, stderr=log)
            children.append(token)
            token_port = wait_for_file(port_file, token)
            auth = ("auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n    service: bob-test-registry\n"
                    "    issuer: bob-test-issuer\n    rootcertbundle: %s\n") % (token_port, cert)

        tls, scheme, context = "", "http", None
        if args.tls:
            tls_dir = os.path.join(work, "tls")
            subprocess.run(["bash", os.path.join(HERE, "make_test_certs.sh"), tls_dir, socket.gethostname()],
                           check=True)
            tls = "  tls:\n    certificate: %s\n    key: %s\n" % (
                os.path.join(tls_dir, "server.crt"), os.path.join(tls_dir, "server.key"))
            scheme, context = "https", ssl.create_default_context(cafile=os.path.join(tls_dir, "ca.crt"))

        registry, port = start_registry(work, os.path.join(work, "storage"), tls + auth,
                                        scheme=scheme, context=context)
        children.append(registry)

        env = dict(os.environ)
        env.update({"BOB_TEST_REGISTRY": "127.0.0.1:%d" % port, "BOB_TEST_REGISTRY_MODE": args.mode,
                    "BOB_TEST_REGISTRY_DIR": work})
        if args.tls:
            env["BOB_TEST_REGISTRY_CA"] = os.path.join(work, "tls", "ca.crt")
        if args.mode != "plain":
            env.update({"BOB_TEST_REGISTRY_USER": user, "BOB_TEST_REGISTRY_PASSWORD": password})
        if args.mode == "token":
            env.update({"BOB_TEST_REFRESH_TOKEN": refresh_token,
                        "BOB_TEST_TOKEN_LOG": os.path.join(work, "tokens.log")})
        result = subprocess.run(command, env=env)
        if result.returncode not in (0, 77):
            for name in ("registry.log", "token.log"):
                path = os.path.join(work, name)
                if os.path.exists(path) and os.path.getsize(path):
                    sys.stderr.write("---- %s (last lines)\n" % name)
                    sys.stderr.write("".join(open(path).readlines()[-30:]))
        return result.returncode
    finally:
        for child in reversed(children):
            child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
