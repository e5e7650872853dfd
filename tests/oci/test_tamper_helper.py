#!/usr/bin/env python3
"""Registry-side helper for the BoB integration tests: plays the attacker (or another tool).

It talks to a plain-HTTP loopback registry with the Python standard library only, so what it
writes never passes through bob's own client. Subcommands:

  start-registry DIR            start docker-registry on a free port; prints "PORT PID"
  hostile KIND REG REPO SUBJECT push an unsigned BoB whose one layer is a hostile tarball;
                                prints the BoB manifest digest
  relist REG REPO SUBJECT DIGEST add manifest DIGEST to SUBJECT's fallback referrers index
  swap-subject REG REPO BOB NEW_SUBJECT
                                copy BoB with its subject changed, re-attach BOB's first signature
                                bundle to the copy, list the copy under NEW_SUBJECT; prints digest
  graft-signature REG REPO FROM_BOB TO_BOB
                                attach FROM_BOB's signature bundle (made for another digest) to TO_BOB
  fake-created REG REPO SUBJECT DIGEST
                                rewrite DIGEST's created annotation in SUBJECT's fallback index to
                                2099 (a listing that disagrees with the signed manifest)
  make-index REG REPO MANIFEST_DIGEST TAG
                                push a one-platform (linux/amd64) index over MANIFEST_DIGEST under TAG;
                                prints the index digest
  blob-path ROOT DIGEST         path of a blob's data file under docker-registry's rootdirectory
"""
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.request

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = ", ".join([MANIFEST, INDEX,
                    "application/vnd.docker.distribution.manifest.v2+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json"])
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
BOB_TYPE = "application/vnd.bob.profile.v1+yaml"
EMPTY = b"{}"
EMPTY_DIGEST = "sha256:" + hashlib.sha256(EMPTY).hexdigest()


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def push_blob(reg, repo, data: bytes) -> str:
    d = digest(data)
    status, headers, _ = request("POST", f"http://{reg}/v2/{repo}/blobs/uploads/")
    assert status == 202, status
    location = headers["Location"]
    if location.startswith("/"):
        location = f"http://{reg}{location}"
    sep = "&" if "?" in location else "?"
    status, _, body = request("PUT", f"{location}{sep}digest={d}", data=data,
                              headers={"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return d


def get_manifest(reg, repo, ref):
    status, headers, body = request("GET", f"http://{reg}/v2/{repo}/manifests/{ref}",
                                    headers={"Accept": ACCEPT})
    if status == 404:
        return None, None
    assert status == 200, (status, body)
    return body, headers.get("Content-Type")


def put_manifest(reg, repo, ref, body: bytes, media_type=MANIFEST) -> str:
    status, _, resp = request("PUT", f"http://{reg}/v2/{repo}/manifests/{ref}", data=body,
                              headers={"Content-Type": media_type})
    assert status == 201, (status, resp)
    return digest(body)


def relist(reg, repo, subject, manifest_digest):
    """Adds a manifest to the subject's fallback index, as a careless or hostile tool would."""
    body, media_type = get_manifest(reg, repo, manifest_digest)
    manifest = json.loads(body)
    tag = subject.replace(":", "-")
    index_body, _ = get_manifest(reg, repo, tag)
    index = json.loads(index_body) if index_body else {
        "schemaVersion": 2, "mediaType": INDEX, "manifests": []}
    entry = {"mediaType": media_type, "digest": manifest_digest, "size": len(body)}
    if "artifactType" in manifest:
        entry["artifactType"] = manifest["artifactType"]
    if "annotations" in manifest:
        entry["annotations"] = manifest["annotations"]
    index["manifests"] = [m for m in index["manifests"] if m["digest"] != manifest_digest]
    index["manifests"].append(entry)
    put_manifest(reg, repo, tag, json.dumps(index).encode(), INDEX)


def hostile_tarball(kind: str) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        def add(name, data=b"x", type_=tarfile.REGTYPE, linkname=""):
            info = tarfile.TarInfo(name)
            info.type = type_
            info.linkname = linkname
            info.size = len(data) if type_ == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(data) if type_ == tarfile.REGTYPE else None)
        add("ok.yaml", b"kind: ApplicationProfile\n")
        if kind == "traversal":
            add("../../escaped.yaml")
        elif kind == "absolute":
            add("/tmp/bob-absolute-escape.yaml")
        elif kind == "symlink":
            add("link", type_=tarfile.SYMTYPE, linkname="/etc")
            add("link/passwd-copy")
        elif kind == "hardlink":
            add("hard", type_=tarfile.LNKTYPE, linkname="/etc/passwd")
        elif kind == "device":
            info = tarfile.TarInfo("null")
            info.type = tarfile.CHRTYPE
            info.devmajor, info.devminor = 1, 3
            tar.addfile(info)
        elif kind == "fifo":
            add("fifo", type_=tarfile.FIFOTYPE)
        elif kind == "bomb":
            for i in range(20000):
                add(f"d/{i}.yaml", b"")
        else:
            raise SystemExit(f"unknown kind {kind}")
    return gzip_bytes(raw.getvalue())


def gzip_bytes(data: bytes) -> bytes:
    import gzip
    return gzip.compress(data, mtime=0)


def hostile(kind, reg, repo, subject):
    layer = hostile_tarball(kind)
    layer_digest = push_blob(reg, repo, layer)
    push_blob(reg, repo, EMPTY)
    subject_body, subject_type = get_manifest(reg, repo, subject)
    manifest = {
        "schemaVersion": 2, "mediaType": MANIFEST, "artifactType": BOB_TYPE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": EMPTY_DIGEST,
                   "size": 2},
        "layers": [{"mediaType": "application/vnd.bob.profile.set.v1.tar+gzip",
                    "digest": layer_digest, "size": len(layer),
                    "annotations": {"org.opencontainers.image.title": "set.tar.gz"}}],
        "subject": {"mediaType": subject_type, "digest": subject, "size": len(subject_body)},
        "annotations": {"org.opencontainers.image.created": "2030-01-01T00:00:00Z",
                        "dev.bob.profile.variant": "specific"},
    }
    body = json.dumps(manifest, separators=(",", ":")).encode()
    d = put_manifest(reg, repo, digest(body), body)
    relist(reg, repo, subject, d)
    print(d)


def first_signature(reg, repo, bob_digest):
    index_body, _ = get_manifest(reg, repo, bob_digest.replace(":", "-"))
    assert index_body, "no signature index"
    for entry in json.loads(index_body)["manifests"]:
        if entry.get("artifactType") == BUNDLE:
            body, _ = get_manifest(reg, repo, entry["digest"])
            return json.loads(body)
    raise SystemExit("no signature found")


def attach_signature(reg, repo, signature_manifest, target_digest):
    target_body, target_type = get_manifest(reg, repo, target_digest)
    copy = dict(signature_manifest)
    copy["subject"] = {"mediaType": target_type, "digest": target_digest,
                       "size": len(target_body)}
    body = json.dumps(copy, separators=(",", ":")).encode()
    d = put_manifest(reg, repo, digest(body), body)
    relist(reg, repo, target_digest, d)
    return d


def swap_subject(reg, repo, bob_digest, new_subject):
    body, _ = get_manifest(reg, repo, bob_digest)
    manifest = json.loads(body)
    subject_body, subject_type = get_manifest(reg, repo, new_subject)
    manifest["subject"] = {"mediaType": subject_type, "digest": new_subject,
                           "size": len(subject_body)}
    new_body = json.dumps(manifest, separators=(",", ":")).encode()
    d = put_manifest(reg, repo, digest(new_body), new_body)
    relist(reg, repo, new_subject, d)
    attach_signature(reg, repo, first_signature(reg, repo, bob_digest), d)
    print(d)


def fake_created(reg, repo, subject, manifest_digest):
    tag = subject.replace(":", "-")
    index_body, _ = get_manifest(reg, repo, tag)
    index = json.loads(index_body)
    for entry in index["manifests"]:
        if entry["digest"] == manifest_digest:
            entry.setdefault("annotations", {})["org.opencontainers.image.created"] = \
                "2099-01-01T00:00:00Z"
    put_manifest(reg, repo, tag, json.dumps(index).encode(), INDEX)


def make_index(reg, repo, manifest_digest, tag):
    body, media_type = get_manifest(reg, repo, manifest_digest)
    index = {"schemaVersion": 2, "mediaType": INDEX, "manifests": [
        {"mediaType": media_type, "digest": manifest_digest, "size": len(body),
         "platform": {"os": "linux", "architecture": "amd64"}}]}
    data = json.dumps(index, separators=(",", ":")).encode()
    put_manifest(reg, repo, tag, data, INDEX)
    print(digest(data))


def start_registry(storage):
    # The shared start-up of registry_harness.py: a port taken by a parallel test between
    # picking and binding it is detected and another one tried.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import registry_harness
    proc, port = registry_harness.start_registry(storage, os.path.join(storage, "data"),
                                                 log_level="error", accesslog=True,
                                                 new_session=True)
    print(port, proc.pid)


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "start-registry":
        start_registry(*args)
    elif cmd == "hostile":
        hostile(*args)
    elif cmd == "relist":
        relist(*args)
    elif cmd == "swap-subject":
        swap_subject(*args)
    elif cmd == "graft-signature":
        reg, repo, from_bob, to_bob = args
        print(attach_signature(reg, repo, first_signature(reg, repo, from_bob), to_bob))
    elif cmd == "fake-created":
        fake_created(*args)
    elif cmd == "make-index":
        make_index(*args)
    elif cmd == "blob-path":
        storage, d = args
        hexd = d.split(":", 1)[1]
        print(f"{storage}/docker/registry/v2/blobs/sha256/{hexd[:2]}/{hexd}/data")
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
