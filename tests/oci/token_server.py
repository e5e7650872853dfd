#!/usr/bin/env python3
"""A small token server for docker-registry's `auth.token` mode (distribution token spec).

GET /token?service=S&scope=repository:NAME:ACTIONS[&scope=...] with HTTP Basic credentials
returns {"token", "access_token", "expires_in", "issued_at"}: a JWS (ES256) whose header carries
the signing certificate in `x5c` and whose claims grant the asked actions in `access`.
docker-registry verifies it against `auth.token.rootcertbundle`, and checks `iss` and `aud`.

Valid users (--user NAME:PASSWORD) get every action they ask for; anonymous requests get
nothing (so the registry answers 401 again). POST /token implements the OAuth2 password and
refresh_token grants (a refresh token is issued for offline_token=true). --token-log FILE
appends every access and refresh token issued, one a line.

Signing uses the `cryptography` package when it is importable, else the `openssl` command.
Listens on 127.0.0.1, on a random port written to --port-file.
"""
import argparse
import base64
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_ecdsa_to_raw(der, size=32):
    """DER SEQUENCE { INTEGER r, INTEGER s } -> r || s, each left-padded to `size` bytes."""
    def read_length(buf, pos):
        first = buf[pos]
        if first < 0x80:
            return first, pos + 1
        count = first & 0x7F
        return int.from_bytes(buf[pos + 1:pos + 1 + count], "big"), pos + 1 + count

    if der[0] != 0x30:
        raise ValueError("not a DER sequence")
    _, pos = read_length(der, 1)
    values = []
    for _ in range(2):
        if der[pos] != 0x02:
            raise ValueError("not a DER integer")
        length, pos = read_length(der, pos + 1)
        values.append(int.from_bytes(der[pos:pos + length], "big"))
        pos += length
    return b"".join(v.to_bytes(size, "big") for v in values)


class Signer:
    def __init__(self, key_path, cert_path):
        with open(cert_path, "rb") as f:
            pem = f.read().decode()
        body = "".join(l for l in pem.splitlines() if l and not l.startswith("-----"))
        self.cert_der_b64 = body  # x5c uses standard base64 of DER
        self.key_path = key_path
        try:
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import ec
            from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
            with open(key_path, "rb") as f:
                key = serialization.load_pem_private_key(f.read(), password=None)

            def sign(data):
                r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
                return r.to_bytes(32, "big") + s.to_bytes(32, "big")
            self.sign = sign
            self.backend = "cryptography"
        except ImportError:
            self.sign = self.sign_with_openssl
            self.backend = "openssl"

    def sign_with_openssl(self, data):
        with tempfile.NamedTemporaryFile() as f:
            f.write(data)
            f.flush()
            der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.key_path, f.name],
                                 check=True, capture_output=True).stdout
        return der_ecdsa_to_raw(der)

    def token(self, claims):
        header = {"typ": "JWT", "alg": "ES256", "x5c": [self.cert_der_b64]}
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        return signing_input + "." + b64url(self.sign(signing_input.encode()))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def grant(self, scopes, account):
        cfg = self.server.cfg
        access = []
        if account is not None:
            for scope in scopes:
                kind, _, rest = scope.partition(":")
                name, _, actions = rest.rpartition(":")
                access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
        now = int(time.time())
        claims = {"iss": cfg.issuer, "sub": account or "", "aud": cfg.service, "exp": now + cfg.ttl,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(12), "access": access}
        self.server.issued += 1
        token = self.server.signer.token(claims)
        self.server.remember(token)
        return token

    def check_basic(self):
        header = self.headers.get("Authorization") or ""
        if not header.startswith("Basic "):
            return None, True
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except Exception:
            return None, False
        if self.server.cfg.users.get(user) == password:
            return user, True
        return None, False

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path != "/token":
            return self.reply(404, {"error": "not found"})
        query = parse_qs(url.query)
        account, ok = self.check_basic()
        if not ok:
            return self.reply(401, {"error": "invalid credentials"})
        if query.get("service", [""])[0] != self.server.cfg.service:
            return self.reply(400, {"error": "unknown service"})
        token = self.grant(query.get("scope", []), account)
        doc = {"token": token, "access_token": token, "expires_in": self.server.cfg.ttl,
               "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        if account and query.get("offline_token", [""])[0] == "true":
            refresh = secrets.token_hex(16)
            self.server.refresh[refresh] = account
            self.server.remember(refresh)
            doc["refresh_token"] = refresh
        self.reply(200, doc)

    def do_POST(self):
        if urlsplit(self.path).path != "/token":
            return self.reply(404, {"error": "not found"})
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode())
        grant = form.get("grant_type", [""])[0]
        account = None
        if grant == "password":
            user = form.get("username", [""])[0]
            if self.server.cfg.users.get(user) != form.get("password", [None])[0]:
                return self.reply(401, {"error": "invalid_grant"})
            account = user
        elif grant == "refresh_token":
            account = self.server.refresh.get(form.get("refresh_token", [""])[0])
            if account is None:
                return self.reply(401, {"error": "invalid_grant"})
        else:
            return self.reply(400, {"error": "unsupported_grant_type"})
        scopes = " ".join(form.get("scope", [])).split()
        token = self.grant(scopes, account)
        self.reply(200, {"access_token": token, "expires_in": self.server.cfg.ttl,
                         "scope": " ".join(scopes)})


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--issuer", default="bob-test-issuer")
    p.add_argument("--service", default="bob-test-registry")
    p.add_argument("--user", action="append", default=[])
    p.add_argument("--refresh-token", action="append", default=[], help="TOKEN:USER accepted for the refresh grant")
    p.add_argument("--ttl", type=int, default=300)
    p.add_argument("--port-file", required=True)
    p.add_argument("--token-log", default="", help="append every issued token to this file "
                   "(the secrets test searches bob's output for them)")
    cfg = p.parse_args()
    cfg.users = dict(u.split(":", 1) for u in cfg.user)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.cfg = cfg
    server.signer = Signer(cfg.key, cfg.cert)
    server.issued = 0
    server.refresh = {}

    def remember(token):
        if cfg.token_log:
            with open(cfg.token_log, "a") as f:
                f.write(token + "\n")
    server.remember = remember
    for r in cfg.refresh_token:
        token, _, user = r.partition(":")
        server.refresh[token] = user
    with open(cfg.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(cfg.port_file + ".tmp", cfg.port_file)
    print("token server on 127.0.0.1:%d (signing with %s)" % (server.server_address[1],
                                                            server.signer.backend), file=sys.stderr)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
