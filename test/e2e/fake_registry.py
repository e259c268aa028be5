#!/usr/bin/env python3
"""fake_registry.py LAYOUT PORT_FILE LOG_FILE [misbehaviour flags]

A registry that serves the image of an OCI layout (make_oci.py's) under any
repository name and any tag, over plain HTTP on a random loopback port, and
misbehaves on request, for the tests of what skiff does with a bad server:

  --drop-after N      the first --drops requests of each layer blob send the
                      full Content-Length, then N bytes, then hang up
  --drops K           how many requests --drop-after cuts (default 1; 0: all)
  --ignore-range      answer Range requests with the whole blob (200)
  --bad-range         answer Range requests with a 206 starting at byte 0
  --redirect-loop     every blob request redirects to itself
  --manifest-size N   pad the manifest with spaces to N bytes
  --manifest-type T   the manifest's Content-Type (the body is unchanged)
  --manifest-body S   send S as the manifest instead
  --layer-type T      rewrite every layer's mediaType in the manifest to T
  --no-chunks         refuse an upload's PATCH that carries a Content-Range
                      (416), as registries that take blobs only whole do

It also takes pushes: uploads (POST, PATCH, PUT ?digest=) land in the
layout's blobs once their digest checks, and a pushed manifest is served
from then on.

Every request is appended to LOG_FILE as "METHOD PATH RANGE", RANGE being
the Range or Content-Range header.
"""
import argparse
import hashlib
import http.server
import json
import os
import sys

p = argparse.ArgumentParser()
p.add_argument("layout")
p.add_argument("port_file")
p.add_argument("log_file")
p.add_argument("--drop-after", type=int)
p.add_argument("--drops", type=int, default=1)
p.add_argument("--ignore-range", action="store_true")
p.add_argument("--bad-range", action="store_true")
p.add_argument("--redirect-loop", action="store_true")
p.add_argument("--manifest-size", type=int)
p.add_argument("--manifest-type")
p.add_argument("--manifest-body")
p.add_argument("--layer-type")
p.add_argument("--no-chunks", action="store_true")
a = p.parse_args()


def read_blob(digest):
    with open(os.path.join(a.layout, "blobs", "sha256", digest.split(":", 1)[1]), "rb") as f:
        return f.read()


index = json.load(open(os.path.join(a.layout, "index.json")))
top = index["manifests"][0]
manifest_body = read_blob(top["digest"])
manifest_type = top["mediaType"]
manifest = json.loads(manifest_body)
if a.layer_type:
    for layer in manifest.get("layers", []):
        layer["mediaType"] = a.layer_type
    manifest_body = json.dumps(manifest).encode()
if a.manifest_size:
    manifest_body = manifest_body + b" " * max(0, a.manifest_size - len(manifest_body))
if a.manifest_body is not None:
    manifest_body = a.manifest_body.encode()
if a.manifest_type:
    manifest_type = a.manifest_type
layer_digests = {layer["digest"] for layer in manifest.get("layers", [])}
drops = {}
uploads = {}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/octet-stream", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def log_request_line(self):
        wanted = self.headers.get("Range") or self.headers.get("Content-Range") or "-"
        with open(a.log_file, "a") as log:
            log.write("%s %s %s\n" % (self.command, self.path, wanted))

    def body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", "0")))

    def upload_answer(self, status, n):
        size = len(uploads[n])
        self.send(status, b"", extra=[("Location", "/upload/%d" % n), ("Range", "0-%d" % max(0, size - 1))])

    def do_POST(self):
        self.log_request_line()
        self.body()
        n = len(uploads)
        uploads[n] = b""
        self.upload_answer(202, n)

    def do_PATCH(self):
        self.log_request_line()
        data = self.body()
        n = int(self.path.split("/")[2].split("?")[0])
        if a.no_chunks and self.headers.get("Content-Range"):
            return self.send(416, b'{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"no chunks here"}]}',
                             "application/json")
        uploads[n] += data
        self.upload_answer(202, n)

    def do_PUT(self):
        global manifest_body, manifest_type
        self.log_request_line()
        data = self.body()
        if "/manifests/" in self.path:
            manifest_body, manifest_type = data, self.headers.get("Content-Type")
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            with open(os.path.join(a.layout, "blobs", "sha256", digest.split(":")[1]), "wb") as f:
                f.write(data)
            return self.send(201, b"", extra=[("Docker-Content-Digest", digest)])
        n = int(self.path.split("/")[2].split("?")[0])
        blob = uploads[n] + data
        digest = self.path.split("digest=")[1].replace("%3A", ":")
        if "sha256:" + hashlib.sha256(blob).hexdigest() != digest:
            return self.send(400, b'{"errors":[{"code":"DIGEST_INVALID","message":"digest mismatch"}]}',
                             "application/json")
        with open(os.path.join(a.layout, "blobs", "sha256", digest.split(":")[1]), "wb") as f:
            f.write(blob)
        self.send(201, b"", extra=[("Docker-Content-Digest", digest)])

    def do_DELETE(self):
        self.log_request_line()
        self.send(204, b"")

    def do_GET(self):
        self.log_request_line()
        parts = self.path.split("/")
        if self.path == "/v2/":
            return self.send(200, b"{}", "application/json")
        if "/manifests/" in self.path:
            digest = "sha256:" + hashlib.sha256(manifest_body).hexdigest()
            return self.send(200, manifest_body, manifest_type, [("Docker-Content-Digest", digest)])
        if "/blobs/" in self.path:
            digest = parts[-1]
            if a.redirect_loop:
                self.send_response(307)
                self.send_header("Location", self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            try:
                body = read_blob(digest)
            except OSError:
                return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}',
                                 "application/json")
            if digest in layer_digests and a.drop_after is not None:
                n = drops.get(digest, 0)
                drops[digest] = n + 1
                if a.drops == 0 or n < a.drops:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: a.drop_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
            wanted = self.headers.get("Range")
            if wanted and not a.ignore_range:
                start = 0 if a.bad_range else int(wanted.split("=", 1)[1].split("-", 1)[0])
                return self.send(206, body[start:], extra=[
                    ("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))])
            return self.send(200, body)
        self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}', "application/json")


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(a.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(a.port_file + ".tmp", a.port_file)
try:
    server.serve_forever()
except KeyboardInterrupt:
    sys.exit(0)
