#!/usr/bin/env python3
"""An in-memory OCI registry for bob's client tests (python3 standard library only).

Spec mode implements the parts of the distribution spec bob uses: blobs (monolithic and chunked
uploads with Content-Range and 416, cross-repository mount), manifests (ETag, If-Match,
If-None-Match, OCI-Subject), tags/list, the referrers API (artifactType filter,
OCI-Filters-Applied, Link pagination), Basic and Bearer auth with a token endpoint.

Each registry quirk of bug-log.md §1 can be switched on, at start (--quirk NAME[=VALUE]) or
while running (POST /_control/quirks {"NAME": VALUE}). Every request is logged and the log can be
read at GET /_control/log, so tests can assert what the client sent.

Listens on 127.0.0.1 only, on a random free port written to --port-file (and stdout). With
--tls CERT KEY it serves https only, and the URLs it hands out (Location, Link) use https too.
"""
import argparse
import base64
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit, quote

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MANIFEST_TYPES = {OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST}
NAME_RE = re.compile(r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*")
DIGEST_RE = re.compile(r"sha256:[a-f0-9]{64}")

# Quirk names (bug-log row in brackets). Values are booleans unless noted.
KNOWN_QUIRKS = {
    "referrers_html",             # R2: /referrers redirects to a 200 HTML login page
    "subject_header_without_api", # R3: OCI-Subject sent, referrers API 404 (ECR)
    "reject_subject_put",         # R4/R6: status for manifest PUTs with a subject (int)
    "subject_blob_unknown",       # R5: 400 MANIFEST_BLOB_UNKNOWN with a string detail
    "no_referrers_api",           # referrers route absent: 404 text/plain (docker-registry)
    "referrers_404_json",         # R7: 404 MANIFEST_UNKNOWN JSON on referrers (Quay)
    "no_filters_applied",         # R8: ignore the artifactType filter and omit the header
    "referrers_config_type",      # R9: descriptors carry the config mediaType (Harbor)
    "referrers_status",           # R10: answer referrers with this status (int)
    "subject_missing_500",        # R11: 500 when a referrer's subject does not exist (zot)
    "legacy_subject_header",      # R12: OCI-Subject-Processed: true instead of OCI-Subject
    "ignore_if_match",            # G3: If-Match / If-None-Match ignored (docker-registry)
    "conflict_once",              # R17: first conditional index PUT loses to a foreign writer (412)
    "lose_write_once",            # G3/R32: a foreign writer overwrites the index right after our PUT
    "delete_status",              # R20: DELETE answers this status (int, e.g. 405)
    "relative_location",          # R23: relative upload Location
    "odd_upload_path",            # R25: upload Location outside /v2/ (/artifacts-uploads/...)
    "cross_host_location",        # G8: upload Location on another host name (localhost)
    "blob_redirect",              # G8: blob GET redirects to another host name
    "redirect_to_http",           # blob GET redirects to plain http:// on the same host
    "no_digest_header",           # R26/R27: no Docker-Content-Digest on manifest GET/HEAD
    "accept_strict",              # R28: distribution's 404 when Accept lacks the type
    "accept_quirk_always",        # R28: the "accept header" 404 on every index GET
    "manifest_put_status",        # R30: manifest PUT answers this status (int)
    "fallback_is_subject",        # GitLab: sha256-<hex> tag serves the subject manifest
    "page_size",                  # R33: referrers page size (int)
    "cross_origin_link",          # R33: Link to another origin
    "endless_link",               # R33: Link always present (endless pagination)
    "no_api_repos",               # R34: comma list of repositories without the API
    "fail_next",                  # "<count>:<status>": next <count> requests fail (5xx/429)
    "retry_after",                # Retry-After seconds sent with fail_next
    "truncate_first_chunk",       # 416: the first PATCH keeps only half of its bytes
    "chunk_min_length",           # OCI-Chunk-Min-Length header value (int)
    "mount_unsupported",          # mount answers 202 + upload
    "warning",                    # Warning: 299 header text on every response
    "token_ttl",                  # expires_in of issued tokens (int)
}


class Registry:
    def __init__(self, quirks, auth, users, page_size):
        self.lock = threading.RLock()
        self.quirks = dict(quirks)
        self.auth = auth
        self.users = users  # {user: password}
        self.page_size = page_size
        self.reset()

    def reset(self):
        with self.lock:
            self.blobs = {}        # (repo, digest) -> bytes
            self.manifests = {}    # (repo, digest) -> (media_type, bytes)
            self.tags = {}         # (repo, tag) -> digest
            self.uploads = {}      # id -> {"repo":, "data": bytearray}
            self.tokens = {}       # token -> (expiry, scopes set)
            self.refresh_tokens = {}
            self.log = []
            self.repos = set()

    def q(self, name, default=None):
        return self.quirks.get(name, default)


def parse_bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if value in ("", "1", "true", "yes", None):
        return True
    if value in ("0", "false", "no"):
        return False
    try:
        return int(value)
    except ValueError:
        return value


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-registry/1"

    # ---- plumbing ----
    @property
    def reg(self):
        return self.server.registry

    def log_message(self, fmt, *args):  # quiet
        pass

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, body=b"", content_type=None, headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            if isinstance(value, list):
                for v in value:
                    self.send_header(name, v)
            else:
                self.send_header(name, value)
        warning = self.reg.q("warning")
        if warning:
            self.send_header("Warning", '299 - "%s"' % warning)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, detail=None, headers=None):
        err = {"code": code, "message": message}
        if detail is not None:
            err["detail"] = detail
        self.send(status, {"errors": [err]}, headers=headers)

    def origin(self):
        return self.scheme() + "://" + self.headers.get("Host", "127.0.0.1")

    def scheme(self):
        return "https" if getattr(self.server, "tls", False) else "http"

    def record(self):
        entry = {
            "method": self.command,
            "path": self.path,
            "host": self.headers.get("Host", ""),
            "auth": (self.headers.get("Authorization") or "").split(" ")[0],
            "accept": self.headers.get("Accept", ""),
            "content_type": self.headers.get("Content-Type", ""),
            "content_range": self.headers.get("Content-Range", ""),
            "if_match": self.headers.get("If-Match", ""),
            "if_none_match": self.headers.get("If-None-Match", ""),
        }
        with self.reg.lock:
            self.reg.log.append(entry)

    # ---- dispatch ----
    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def dispatch(self):
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query, keep_blank_values=True)
        if path.startswith("/_control/"):
            return self.control(path, query)
        self.record()
        if path == "/token":
            return self.token(query)
        if path.startswith("/_storage/"):
            return self.storage(path)
        if path == "/login":
            return self.send(200, "<html><body>Please log in</body></html>", "text/html")
        if path.startswith("/artifacts-uploads/"):
            return self.upload(path.split("/")[-1], query)
        if not path.startswith("/v2/"):
            return self.send(404, "404 page not found\n", "text/plain; charset=utf-8")
        if not self.authorized(path):
            return
        if self.inject_failure():
            return
        if path == "/v2/":
            return self.send(200, {})
        return self.route(path[4:], query)

    def inject_failure(self):
        spec = self.reg.q("fail_next")
        if not spec:
            return False
        count, status = str(spec).split(":")
        count = int(count)
        if count <= 0:
            return False
        with self.reg.lock:
            self.reg.quirks["fail_next"] = "%d:%s" % (count - 1, status)
        self.body()
        headers = {}
        if self.reg.q("retry_after"):
            headers["Retry-After"] = str(self.reg.q("retry_after"))
        self.error(int(status), "UNAVAILABLE", "injected failure", headers=headers)
        return True

    # ---- auth ----
    def authorized(self, path):
        mode = self.reg.auth
        if mode == "none":
            return True
        # The "other host" of cross_host_location acts like object storage behind a pre-signed
        # upload URL: it needs no Authorization (and must never receive one).
        if self.headers.get("Host", "").startswith("localhost:") and "/blobs/uploads/" in path:
            return True
        header = self.headers.get("Authorization") or ""
        m = re.match(r"/v2/(.+)/(blobs|manifests|tags|referrers)/", path)
        repo = m.group(1) if m else None
        need = "push" if self.command in ("PUT", "POST", "PATCH") else (
            "delete" if self.command == "DELETE" else "pull")
        if mode == "basic":
            if header.startswith("Basic "):
                try:
                    user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                except Exception:
                    user, password = "", None
                if self.reg.users.get(user) == password:
                    return True
            self.body()
            self.error(401, "UNAUTHORIZED", "authentication required",
                       headers={"WWW-Authenticate": 'Basic realm="fake registry"'})
            return False
        # bearer
        if header.startswith("Bearer "):
            with self.reg.lock:
                info = self.reg.tokens.get(header[7:])
            if info and info[0] > time.time():
                scopes = info[1]
                if repo is None or ("repository:%s:%s" % (repo, need)) in scopes:
                    return True
        scope = ' scope="repository:%s:%s"' % (repo, "pull,push" if need == "push" else need) if repo else ""
        challenge = 'Bearer realm="%s/token",service="fake-registry",%s' % (self.origin(), scope.strip())
        challenge = challenge.rstrip(",")
        self.body()
        self.error(401, "UNAUTHORIZED", "authentication required",
                   headers={"WWW-Authenticate": challenge})
        return False

    def token(self, query):
        reg = self.reg
        scopes = set()
        if self.command == "POST":
            form = parse_qs(self.body().decode(), keep_blank_values=True)
            grant = form.get("grant_type", [""])[0]
            if grant == "refresh_token":
                if form.get("refresh_token", [""])[0] not in reg.refresh_tokens:
                    return self.send(401, {"error": "invalid refresh token"})
            elif grant == "password":
                if reg.users.get(form.get("username", [""])[0]) != form.get("password", [None])[0]:
                    return self.send(401, {"error": "bad credentials"})
            else:
                return self.send(400, {"error": "unsupported grant"})
            requested = " ".join(form.get("scope", [""])).split()
            authenticated = True
        else:
            header = self.headers.get("Authorization") or ""
            authenticated = False
            if header.startswith("Basic "):
                user, _, password = base64.b64decode(header[6:]).decode().partition(":")
                if reg.users.get(user) != password:
                    return self.send(401, {"details": "bad credentials"})
                authenticated = True
            requested = query.get("scope", [])
        for s in requested:
            kind, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            for action in actions.split(","):
                # Without configured users anyone gets everything; otherwise only logged-in users.
                if authenticated or not reg.users:
                    scopes.add("%s:%s:%s" % (kind, name, action))
        token = secrets.token_hex(16)
        ttl = int(reg.q("token_ttl", 300))
        with reg.lock:
            reg.tokens[token] = (time.time() + ttl, scopes)
        self.send(200, {"token": token, "expires_in": ttl, "issued_at": "2026-01-01T00:00:00Z"})

    # ---- control ----
    def control(self, path, query):
        reg = self.reg
        raw = self.body()
        data = json.loads(raw) if raw else {}
        with reg.lock:
            if path == "/_control/quirks":
                for k, v in data.items():
                    if k not in KNOWN_QUIRKS:
                        return self.send(400, {"error": "unknown quirk " + k})
                    if v is None or v is False:
                        reg.quirks.pop(k, None)
                    else:
                        reg.quirks[k] = v
                return self.send(200, reg.quirks)
            if path == "/_control/reset":
                reg.quirks = {}
                reg.reset()
                return self.send(200, {})
            if path == "/_control/log":
                return self.send(200, reg.log)
            if path == "/_control/clear-log":
                reg.log = []
                return self.send(200, {})
            if path == "/_control/delete-tag":
                reg.tags.pop((data["repo"], data["tag"]), None)
                return self.send(200, {})
            if path == "/_control/put-tag":
                # Store raw bytes under a tag, bypassing validation (to plant foreign indexes).
                body = data["body"].encode()
                digest = sha256(body)
                reg.manifests[(data["repo"], digest)] = (data["media_type"], body)
                reg.tags[(data["repo"], data["tag"])] = digest
                reg.repos.add(data["repo"])
                return self.send(200, {"digest": digest})
            if path == "/_control/refresh-token":
                reg.refresh_tokens[data["token"]] = True
                return self.send(200, {})
        return self.send(404, {})

    # ---- routes ----
    def route(self, rest, query):
        m = re.fullmatch(r"(.+)/(blobs|manifests|tags|referrers)/(.*)", rest)
        if not m:
            return self.send(404, "404 page not found\n", "text/plain; charset=utf-8")
        repo, kind, tail = m.groups()
        if not NAME_RE.fullmatch(repo):
            return self.error(400, "NAME_INVALID", "invalid repository name")
        if kind == "blobs":
            if tail.startswith("uploads/"):
                upload_id = tail[len("uploads/"):]
                if upload_id == "":
                    return self.start_upload(repo, query)
                return self.upload(upload_id, query)
            return self.blob(repo, tail)
        if kind == "manifests":
            return self.manifest(repo, tail, query)
        if kind == "tags" and tail == "list":
            return self.tag_list(repo)
        if kind == "referrers":
            return self.referrers(repo, tail, query)
        return self.send(404, "404 page not found\n", "text/plain; charset=utf-8")

    def blob(self, repo, digest):
        reg = self.reg
        if self.command == "DELETE":
            return self.delete(repo, digest, blob=True)
        with reg.lock:
            data = reg.blobs.get((repo, digest))
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        port = self.server.server_address[1]
        if self.command == "GET" and reg.q("blob_redirect"):
            return self.send(307, headers={"Location": "%s://localhost:%d/_storage/%s/%s" % (
                self.scheme(), port, quote(repo, safe=""), digest)})
        if self.command == "GET" and reg.q("redirect_to_http"):
            return self.send(307, headers={"Location": "http://127.0.0.1:%d/_storage/%s/%s" % (
                port, quote(repo, safe=""), digest)})
        self.send(200, data, "application/octet-stream", {"Docker-Content-Digest": digest})

    def storage(self, path):
        _, _, repo, digest = path.split("/", 3)
        repo = repo.replace("%2F", "/")
        with self.reg.lock:
            data = self.reg.blobs.get((repo, digest))
        if data is None:
            return self.send(404, "no such object", "text/plain")
        self.send(200, data, "application/octet-stream")

    def upload_location(self, upload_id, repo):
        reg = self.reg
        state = "?_state=" + secrets.token_hex(4)
        if reg.q("odd_upload_path"):
            path = "/artifacts-uploads/%s%s" % (upload_id, state)
        else:
            path = "/v2/%s/blobs/uploads/%s%s" % (repo, upload_id, state)
        if reg.q("relative_location"):
            return path
        if reg.q("cross_host_location"):
            return "%s://localhost:%d%s" % (self.scheme(), self.server.server_address[1], path)
        return self.origin() + path

    def start_upload(self, repo, query):
        reg = self.reg
        data = self.body()
        if self.command != "POST":
            return self.error(405, "UNSUPPORTED", "method not allowed")
        with reg.lock:
            reg.repos.add(repo)
            if "mount" in query and not reg.q("mount_unsupported"):
                digest = query["mount"][0]
                source = query.get("from", [""])[0]
                if (source, digest) in reg.blobs:
                    reg.blobs[(repo, digest)] = reg.blobs[(source, digest)]
                    return self.send(201, headers={
                        "Location": "/v2/%s/blobs/%s" % (repo, digest), "Docker-Content-Digest": digest})
            upload_id = str(uuid.uuid4())
            reg.uploads[upload_id] = {"repo": repo, "data": bytearray(), "patches": 0}
        headers = {"Location": self.upload_location(upload_id, repo), "Range": "0-0",
                   "Docker-Upload-UUID": upload_id}
        if reg.q("chunk_min_length"):
            headers["OCI-Chunk-Min-Length"] = str(reg.q("chunk_min_length"))
        self.send(202, headers=headers)

    def upload(self, upload_id, query):
        reg = self.reg
        data = self.body()
        with reg.lock:
            up = reg.uploads.get(upload_id)
        if up is None:
            return self.error(404, "BLOB_UPLOAD_UNKNOWN", "upload unknown")
        if self.command == "GET":
            size = len(up["data"])
            return self.send(204, headers={"Location": self.upload_location(upload_id, up["repo"]),
                                           "Range": "0-%d" % (size - 1 if size else 0)})
        if self.command == "PATCH":
            content_range = self.headers.get("Content-Range", "")
            m = re.fullmatch(r"(\d+)-(\d+)", content_range)
            if content_range and (not m or int(m.group(1)) != len(up["data"])):
                size = len(up["data"])
                return self.error(416, "BLOB_UPLOAD_INVALID", "range not satisfiable",
                                  headers={"Range": "0-%d" % (size - 1 if size else 0),
                                           "Location": self.upload_location(upload_id, up["repo"])})
            up["patches"] += 1
            kept = data
            claimed = len(up["data"]) + len(data)
            if reg.q("truncate_first_chunk") and up["patches"] == 1:
                kept = data[: len(data) // 2]
            up["data"] += kept
            return self.send(202, headers={
                "Location": self.upload_location(upload_id, up["repo"]),
                "Range": "0-%d" % (claimed - 1)})
        if self.command == "PUT":
            up["data"] += data
            digest = query.get("digest", [""])[0]
            if sha256(bytes(up["data"])) != digest:
                return self.error(400, "DIGEST_INVALID", "digest does not match content")
            with reg.lock:
                reg.blobs[(up["repo"], digest)] = bytes(up["data"])
                reg.uploads.pop(upload_id, None)
            return self.send(201, headers={"Location": "/v2/%s/blobs/%s" % (up["repo"], digest),
                                           "Docker-Content-Digest": digest})
        if self.command == "DELETE":
            with reg.lock:
                reg.uploads.pop(upload_id, None)
            return self.send(204)
        return self.error(405, "UNSUPPORTED", "method not allowed")

    def resolve(self, repo, reference):
        with self.reg.lock:
            digest = reference if DIGEST_RE.fullmatch(reference) else self.reg.tags.get((repo, reference))
            if digest is None:
                return None, None, None
            item = self.reg.manifests.get((repo, digest))
        if item is None:
            return None, None, None
        return digest, item[0], item[1]

    def manifest(self, repo, reference, query):
        reg = self.reg
        if self.command in ("GET", "HEAD"):
            if reg.q("fallback_is_subject") and reference.startswith("sha256-"):
                reference = "sha256:" + reference[7:]
            digest, media_type, body = self.resolve(repo, reference)
            accept = self.headers.get("Accept", "")
            if reg.q("accept_quirk_always") and reference.startswith("sha256-"):
                return self.error(404, "MANIFEST_UNKNOWN",
                                  "OCI index found, but accept header does not support OCI indexes")
            if digest is None:
                if repo not in reg.repos:
                    return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown", detail={"Tag": reference})
            if reg.q("accept_strict") and media_type not in accept:
                kind = "OCI index" if media_type == OCI_INDEX else "OCI manifest"
                return self.error(404, "MANIFEST_UNKNOWN",
                                  "%s found, but accept header does not support %ss" % (kind, kind))
            etag = '"%s"' % digest
            if self.headers.get("If-None-Match") == etag:
                return self.send(304, headers={"ETag": etag})
            headers = {"ETag": etag}
            if not reg.q("no_digest_header"):
                headers["Docker-Content-Digest"] = digest
            return self.send(200, body, media_type, headers)
        if self.command == "PUT":
            return self.put_manifest(repo, reference)
        if self.command == "DELETE":
            return self.delete(repo, reference, blob=False)
        return self.error(405, "UNSUPPORTED", "method not allowed")

    def put_manifest(self, repo, reference):
        reg = self.reg
        body = self.body()
        media_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if not media_type:
            return self.error(400, "MANIFEST_INVALID", "manifest invalid", detail="no Content-Type")
        if len(body) > 4 << 20:
            return self.error(413, "SIZE_INVALID", "manifest too large")
        try:
            doc = json.loads(body)
        except ValueError:
            return self.error(400, "MANIFEST_INVALID", "manifest invalid", detail="not JSON")
        if doc.get("mediaType") and doc["mediaType"] != media_type:
            return self.error(400, "MANIFEST_INVALID", "mediaType does not match Content-Type")
        subject = doc.get("subject")
        if reg.q("manifest_put_status"):
            status = int(reg.q("manifest_put_status"))
            return self.error(status, "UNSUPPORTED" if status < 500 else "UNKNOWN",
                              "Schema version is not supported" if status == 501 else "internal error")
        if subject and reg.q("reject_subject_put"):
            status = int(reg.q("reject_subject_put"))
            return self.error(status, "MANIFEST_UNKNOWN" if status == 404 else "UNSUPPORTED",
                              "manifest with subject refused")
        if subject and reg.q("subject_blob_unknown"):
            return self.error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry",
                              detail="sha256:" + "0" * 64)
        digest = sha256(body)
        if DIGEST_RE.fullmatch(reference) and reference != digest:
            return self.error(400, "DIGEST_INVALID", "digest does not match")
        with reg.lock:
            if subject and reg.q("subject_missing_500") and (repo, subject["digest"]) not in reg.manifests:
                return self.error(500, "UNKNOWN", "internal server error")
            # Descriptors must exist, as in distribution (except subject).
            for d in ([doc["config"]] if "config" in doc else []) + doc.get("layers", []):
                if (repo, d["digest"]) not in reg.blobs:
                    return self.error(400, "MANIFEST_BLOB_UNKNOWN", "blob unknown to registry",
                                      detail={"digest": d["digest"]})
            for d in doc.get("manifests", []):
                if (repo, d["digest"]) not in reg.manifests:
                    return self.error(400, "MANIFEST_BLOB_UNKNOWN", "manifest unknown", detail=d["digest"])
            is_tag = not DIGEST_RE.fullmatch(reference)
            current = reg.tags.get((repo, reference)) if is_tag else None
            if is_tag and not reg.q("ignore_if_match"):
                if_match = self.headers.get("If-Match")
                if_none = self.headers.get("If-None-Match")
                if if_match and (current is None or if_match != '"%s"' % current):
                    return self.error(412, "PRECONDITION_FAILED", "etag mismatch")
                if if_none == "*" and current is not None:
                    return self.error(412, "PRECONDITION_FAILED", "tag exists")
            if is_tag and reg.q("conflict_once") and reference.startswith("sha256-") and \
                    (self.headers.get("If-Match") or self.headers.get("If-None-Match")):
                reg.quirks.pop("conflict_once")
                self.plant_foreign_entry(repo, reference)
                return self.error(412, "PRECONDITION_FAILED", "etag mismatch")
            reg.repos.add(repo)
            reg.manifests[(repo, digest)] = (media_type, body)
            if is_tag:
                reg.tags[(repo, reference)] = digest
            if is_tag and reg.q("lose_write_once") and reference.startswith("sha256-"):
                reg.quirks.pop("lose_write_once")
                # A concurrent writer that read the old index overwrites ours.
                if current is not None:
                    reg.tags[(repo, reference)] = current
                else:
                    reg.tags.pop((repo, reference), None)
                self.plant_foreign_entry(repo, reference)
        headers = {"Location": "/v2/%s/manifests/%s" % (repo, digest), "Docker-Content-Digest": digest}
        if subject:
            no_api = self.repo_without_api(repo)
            if reg.q("legacy_subject_header"):
                headers["OCI-Subject-Processed"] = "true"
            elif not no_api or reg.q("subject_header_without_api") or reg.q("referrers_404_json"):
                headers["OCI-Subject"] = subject["digest"]
        self.send(201, headers=headers)

    def plant_foreign_entry(self, repo, tag):
        """Adds an entry another tool wrote (no artifactType, no annotations) to the index."""
        reg = self.reg
        foreign_config = b'{"foreign":true}'
        reg.blobs[(repo, sha256(foreign_config))] = foreign_config
        foreign = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                              "config": {"mediaType": "application/vnd.foreign.config+json",
                                         "digest": sha256(foreign_config), "size": len(foreign_config)},
                              "layers": []}).encode()
        reg.manifests[(repo, sha256(foreign))] = (OCI_MANIFEST, foreign)
        current = reg.tags.get((repo, tag))
        index = json.loads(reg.manifests[(repo, current)][1]) if current else \
            {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}
        index["manifests"].append({"mediaType": OCI_MANIFEST, "digest": sha256(foreign), "size": len(foreign)})
        body = json.dumps(index).encode()
        reg.manifests[(repo, sha256(body))] = (OCI_INDEX, body)
        reg.tags[(repo, tag)] = sha256(body)

    def delete(self, repo, reference, blob):
        reg = self.reg
        status = reg.q("delete_status")
        if status:
            return self.error(int(status), "UNSUPPORTED", "deletion not allowed")
        if not DIGEST_RE.fullmatch(reference):
            return self.error(400, "DIGEST_INVALID", "delete by digest only")
        with reg.lock:
            store = reg.blobs if blob else reg.manifests
            if (repo, reference) not in store:
                return self.error(404, "MANIFEST_UNKNOWN" if not blob else "BLOB_UNKNOWN", "unknown")
            del store[(repo, reference)]
            if not blob:
                for key in [k for k, v in reg.tags.items() if k[0] == repo and v == reference]:
                    del reg.tags[key]
        self.send(202)

    def tag_list(self, repo):
        with self.reg.lock:
            tags = sorted(t for (r, t) in self.reg.tags if r == repo)
            known = repo in self.reg.repos
        if not known:
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        self.send(200, {"name": repo, "tags": tags})

    def repo_without_api(self, repo):
        reg = self.reg
        if reg.q("no_referrers_api") or reg.q("subject_header_without_api"):
            return True
        listed = reg.q("no_api_repos")
        return bool(listed) and repo in str(listed).split(",")

    def referrers(self, repo, digest, query):
        reg = self.reg
        if "n" in query:
            return self.error(400, "UNSUPPORTED", "n is not defined for referrers")
        if reg.q("referrers_html"):
            return self.send(307, headers={"Location": "/login"})
        if reg.q("referrers_status"):
            return self.error(int(reg.q("referrers_status")), "DENIED", "project not found")
        if reg.q("referrers_404_json"):
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        if self.repo_without_api(repo):
            return self.send(404, "404 page not found\n", "text/plain; charset=utf-8")
        if not DIGEST_RE.fullmatch(digest):
            return self.error(400, "DIGEST_INVALID", "invalid digest")
        wanted = query.get("artifactType", [None])[0]
        filtered = wanted is not None and not reg.q("no_filters_applied")
        entries = []
        with reg.lock:
            for (r, d), (media_type, body) in sorted(reg.manifests.items()):
                if r != repo:
                    continue
                try:
                    doc = json.loads(body)
                except ValueError:
                    continue
                if not isinstance(doc, dict) or (doc.get("subject") or {}).get("digest") != digest:
                    continue
                config_type = (doc.get("config") or {}).get("mediaType")
                artifact_type = doc.get("artifactType") or config_type
                if reg.q("referrers_config_type") and config_type:
                    artifact_type = config_type
                desc = {"mediaType": media_type, "digest": d, "size": len(body)}
                if artifact_type:
                    desc["artifactType"] = artifact_type
                if doc.get("annotations"):
                    desc["annotations"] = doc["annotations"]
                if filtered and (doc.get("artifactType") or config_type) != wanted:
                    continue
                entries.append(desc)
        size = int(reg.q("page_size", reg.page_size))
        start = int(query.get("_page", ["0"])[0])
        page = entries[start:start + size]
        headers = {}
        if filtered:
            headers["OCI-Filters-Applied"] = "artifactType"
        more = start + size < len(entries) or reg.q("endless_link")
        if more:
            link = "/v2/%s/referrers/%s?_page=%d" % (repo, digest, start + size)
            if wanted is not None:
                link += "&artifactType=" + quote(wanted, safe="")
            if reg.q("cross_origin_link"):
                link = "%s://localhost:%d%s" % (self.scheme(), self.server.server_address[1], link)
            headers["Link"] = '<%s>; rel="next"' % link
        self.send(200, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": page}, OCI_INDEX, headers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file")
    parser.add_argument("--quirk", action="append", default=[], help="NAME or NAME=VALUE")
    parser.add_argument("--auth", choices=["none", "basic", "bearer"], default="none")
    parser.add_argument("--user", action="append", default=[], help="user:password")
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve https only")
    args = parser.parse_args()
    quirks = {}
    for q in args.quirk:
        name, _, value = q.partition("=")
        if name not in KNOWN_QUIRKS:
            parser.error("unknown quirk " + name)
        quirks[name] = parse_bool(value if value else True)
    users = dict(u.split(":", 1) for u in args.user)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.tls = bool(args.tls)
    if args.tls:
        import ssl
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls[0], args.tls[1])
        # The handshake runs in the handler thread (not in accept), so one stuck client cannot
        # block the others.
        server.socket = context.wrap_socket(server.socket, server_side=True,
                                            do_handshake_on_connect=False)
    server.registry = Registry(quirks, args.auth, users, args.page_size)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        import os
        os.rename(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
