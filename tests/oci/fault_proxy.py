#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the registry tests (python3 standard library only).

    fault_proxy.py --upstream 127.0.0.1:PORT --port-file FILE [--log FILE]

Forwards every request to the upstream registry (keeping the Host header, so the registry's
Location headers point back at the proxy) and, where a rule matches, damages the answer.

Control (on the proxy itself, never forwarded):
    PUT  /__proxy/rules   body: JSON list of rules; replaces the rules and clears the log
    GET  /__proxy/log     JSON lines, one per proxied request:
                          {"method", "path", "status", "fault", "sent", "length", "aborted"}

A rule: {"match": REGEX searched in "METHOD PATH", "fault": NAME, "times": N (default: every
time), ...parameters}. The first rule that matches and has times left applies. Faults:
    status     answer "status" (500, 502, 503, 429, ...) without asking upstream; optional
               "retry_after" (the Retry-After header value) or "retry_after_in" (seconds,
               may be negative: Retry-After as the HTTP date that far from the answer's time)
    reset      send the headers and "after" body bytes, then reset the connection (RST)
    truncate   send the headers (true Content-Length) and "after" body bytes, then close
    stall      send the headers and "after" body bytes, then send nothing for "seconds"
    drip       send the body "chunk" bytes (default 1) every "interval" seconds
    corrupt    flip the last body byte (same length: a blob whose bytes miss its digest)
    extend     append "extra" bytes and announce the longer length (longer than declared)
    replace    answer "body" (text) instead, with the upstream's Content-Type; optional
               "digest_header": "keep" | "drop" | "match" (default keep)
    huge       answer a JSON body of "size" bytes with the upstream's Content-Type
"sent" counts body bytes the proxy managed to write; "aborted" is true when the client closed
the connection before the whole body was written (a bounded reader stopping early).
"""
import argparse
import email.utils
import hashlib
import http.client
import http.server
import json
import os
import re
import socket
import socketserver
import struct
import sys
import threading
import time

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade", "content-length"}


class State:
    def __init__(self, upstream, log_path):
        self.upstream = upstream
        self.log_path = log_path
        self.lock = threading.Lock()
        self.rules = []
        self.entries = []

    def set_rules(self, rules):
        with self.lock:
            self.rules = [dict(r, used=0) for r in rules]
            self.entries = []

    def pick(self, line):
        with self.lock:
            for rule in self.rules:
                times = rule.get("times")
                if times is not None and rule["used"] >= times:
                    continue
                if re.search(rule["match"], line):
                    rule["used"] += 1
                    return dict(rule)
        return None

    def record(self, entry):
        with self.lock:
            self.entries.append(entry)
            if self.log_path:
                with open(self.log_path, "a") as f:
                    f.write(json.dumps(entry) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.handle_any()

    do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = do_GET

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/__proxy/"):
            return self.control(body)
        rule = self.state.pick("%s %s" % (self.command, self.path))
        fault = rule["fault"] if rule else None
        entry = {"method": self.command, "path": self.path, "fault": fault, "sent": 0,
                 "aborted": False}
        try:
            if fault == "status":
                status, headers, data = self.canned(rule)
            else:
                status, headers, data = self.forward(body)
            entry["status"] = status
            self.answer(rule, status, headers, data, entry)
        except (BrokenPipeError, ConnectionResetError):
            entry["aborted"] = True
            self.close_connection = True
        finally:
            if not entry.pop("recorded", False):
                self.state.record(entry)

    def control(self, body):
        if self.command == "PUT" and self.path == "/__proxy/rules":
            self.state.set_rules(json.loads(body or b"[]"))
            data = b"ok\n"
        elif self.command == "GET" and self.path == "/__proxy/log":
            with self.state.lock:
                data = "".join(json.dumps(e) + "\n" for e in self.state.entries).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def canned(self, rule):
        status = int(rule["status"])
        data = json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "injected %d" % status}]})
        headers = [("Content-Type", "application/json")]
        if "retry_after" in rule:
            headers.append(("Retry-After", str(rule["retry_after"])))
        if "retry_after_in" in rule:
            when = time.time() + float(rule["retry_after_in"])
            headers.append(("Retry-After", email.utils.formatdate(when, usegmt=True)))
        return status, headers, data.encode()

    def forward(self, body):
        conn = http.client.HTTPConnection(self.state.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or self.command in ("PUT", "POST", "PATCH"):
            headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body or None, headers=headers)
        response = conn.getresponse()
        data = response.read()
        out = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
        declared = response.getheader("Content-Length")
        conn.close()
        if self.command == "HEAD" and declared is not None:
            out.append(("Content-Length", declared))
        return response.status, out, data

    def answer(self, rule, status, headers, data, entry):
        fault = rule["fault"] if rule else None
        if fault == "corrupt" and data:
            data = data[:-1] + bytes([data[-1] ^ 0x01])
        elif fault == "extend":
            data = data + b"x" * int(rule.get("extra", 1))
        elif fault == "replace":
            data = rule["body"].encode()
            mode = rule.get("digest_header", "keep")
            headers = [(k, v) for k, v in headers
                       if not (k.lower() == "docker-content-digest" and mode != "keep")]
            if mode == "match":
                headers.append(("Docker-Content-Digest",
                                "sha256:" + hashlib.sha256(data).hexdigest()))
        elif fault == "huge":
            size = int(rule["size"])
            data = b'{"schemaVersion":2,"pad":"' + b"a" * (size - 30) + b'"}'
        entry["length"] = len(data)
        self.send_response(status)
        for name, value in headers:
            if not (self.command == "HEAD" and name.lower() == "content-length"):
                self.send_header(name, value)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        elif not any(k.lower() == "content-length" for k, _ in headers):
            self.send_header("Content-Length", "0")
        self.end_headers()
        if self.command == "HEAD":
            self.wfile.flush()
            return
        after = int(rule.get("after", 0)) if rule else 0
        if fault in ("reset", "truncate", "stall"):
            self.write_body(data[:after], entry)
            self.wfile.flush()
            if fault == "stall":
                # Logged before the pause, so a test can interrupt bob in the middle of it.
                entry["stalling"] = True
                self.state.record(entry)
                entry["recorded"] = True
                time.sleep(float(rule.get("seconds", 30)))
            elif fault == "reset":
                # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            self.close_connection = True
            entry["aborted"] = True
            if fault != "stall":
                self.connection.close()
            return
        if fault == "drip":
            chunk = int(rule.get("chunk", 1))
            for i in range(0, len(data), chunk):
                self.write_body(data[i:i + chunk], entry)
                self.wfile.flush()
                time.sleep(float(rule.get("interval", 0.1)))
            return
        self.write_body(data, entry)

    def write_body(self, data, entry):
        view = memoryview(data)
        step = 64 << 10
        for start in range(0, len(view), step):
            self.wfile.write(view[start:start + step])
            entry["sent"] += len(view[start:start + step])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", default="")
    args = parser.parse_args()
    Handler.state = State(args.upstream, args.log)
    server = Server(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
