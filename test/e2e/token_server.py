#!/usr/bin/env python3
"""token_server.py OCI_DIR PORT_FILE LOG_FILE [--auth bearer|basic] [--user U --password P]
                   [--token-uses N] [--redirect-blobs]

A registry for tests that Debian's docker-registry can't play: it serves the
one image of an OCI layout (make_oci.py) under any repository name, and only
to a client that authenticates.

  --auth bearer    /v2/ answers 401 with a Bearer challenge whose realm is
                   /token here; /token gives a token for the right basic
                   credentials (401 for wrong ones, a token with no access
                   without any). The default.
  --auth basic     a Basic challenge; the right credentials on every request.
  --token-uses N   a token answers N requests, then 401 (an expired token).
  --redirect-blobs blobs answer 307 to the same server under the name
                   "localhost" (another host for the client, which reached
                   us as 127.0.0.1); a request there carrying Authorization
                   is refused and logged as LEAK.

PORT_FILE gets the port once the server listens; LOG_FILE a line a request:
"METHOD PATH auth=<scheme or ->".
"""
import argparse, base64, http.server, json, os, secrets, socketserver, threading

p = argparse.ArgumentParser()
p.add_argument("oci")
p.add_argument("port_file")
p.add_argument("log_file")
p.add_argument("--auth", default="bearer", choices=["bearer", "basic"])
p.add_argument("--user", default="alice")
p.add_argument("--password", default="s3cret")
p.add_argument("--token-uses", type=int, default=0)
p.add_argument("--redirect-blobs", action="store_true")
a = p.parse_args()

lock = threading.Lock()
tokens = {}  # token -> requests it may still answer (None: unlimited), or "anonymous"
right_basic = "Basic " + base64.b64encode(f"{a.user}:{a.password}".encode()).decode()


def read_blob(digest):
    if not digest.startswith("sha256:") or len(digest) != 71 or not all(c in "0123456789abcdef" for c in digest[7:]):
        return None
    path = os.path.join(a.oci, "blobs", "sha256", digest[7:])
    return open(path, "rb").read() if os.path.exists(path) else None


def top_manifest():
    with open(os.path.join(a.oci, "index.json")) as f:
        return json.load(f)["manifests"][0]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, note=""):
        auth = self.headers.get("Authorization", "")
        with lock, open(a.log_file, "a") as f:
            f.write(f"{self.command} {self.path} auth={auth.split(' ')[0] if auth else '-'}{note}\n")

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.answer(status, body, [("Content-Type", "application/json")] + list(headers))

    def origin(self, host):
        return f"http://{host}:{self.server.server_address[1]}"

    def challenge(self, scope):
        if a.auth == "basic":
            return [("WWW-Authenticate", 'Basic realm="token_server"')]
        extra = f',scope="{scope}"' if scope else ""
        return [("WWW-Authenticate", f'Bearer realm="{self.origin("127.0.0.1")}/token",service="token_server"{extra}')]

    def authorized(self):
        auth = self.headers.get("Authorization", "")
        if a.auth == "basic":
            return auth == right_basic
        if not auth.startswith("Bearer "):
            return False
        with lock:
            left = tokens.get(auth[7:])
            if left is None or left == "anonymous":
                return False
            if left == "unlimited":
                return True
            if left <= 0:
                return False
            tokens[auth[7:]] = left - 1
            return True

    def token(self):
        auth = self.headers.get("Authorization")
        if auth is not None and auth != right_basic:
            self.log(" token=refused")
            return self.error(401, "UNAUTHORIZED", "wrong credentials", self.challenge(""))
        token = secrets.token_hex(16)
        with lock:
            tokens[token] = "anonymous" if auth is None else (a.token_uses or "unlimited")
        self.log(" token=" + ("anonymous" if auth is None else "issued"))
        self.answer(200, json.dumps({"token": token, "expires_in": 300}).encode(), [("Content-Type", "application/json")])

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = self.path.split("?")[0]
        if path == "/token" and a.auth == "bearer":
            return self.token()
        if path.startswith("/redirected/"):
            if self.headers.get("Authorization"):
                self.log(" LEAK")
                return self.error(400, "LEAK", "credentials followed a redirect to another host")
            self.log()
            data = read_blob(path[len("/redirected/"):])
            return self.answer(200, data, [("Content-Type", "application/octet-stream")]) if data else self.error(404, "BLOB_UNKNOWN", "no blob")
        parts = path.split("/")
        scope = ""
        if len(parts) >= 5 and parts[-2] in ("manifests", "blobs"):
            scope = "repository:" + "/".join(parts[2:-2]) + ":pull"
        elif path == "/v2/_catalog":
            scope = "registry:catalog:*"
        if not self.authorized():
            self.log(" denied")
            return self.error(401, "UNAUTHORIZED", "authentication required", self.challenge(scope))
        self.log()
        if path in ("/v2", "/v2/"):
            return self.answer(200, b"{}", [("Content-Type", "application/json")])
        if path == "/v2/_catalog":
            return self.answer(200, json.dumps({"repositories": ["private/app"]}).encode(), [("Content-Type", "application/json")])
        if len(parts) >= 5 and parts[-2] == "manifests":
            ref = parts[-1]
            top = top_manifest()
            digest = ref if ref.startswith("sha256:") else (top["digest"] if ref == top.get("annotations", {}).get("org.opencontainers.image.ref.name") else None)
            data = read_blob(digest) if digest else None
            if data is None:
                return self.error(404, "MANIFEST_UNKNOWN", "no such manifest")
            media = json.loads(data).get("mediaType", top["mediaType"])
            return self.answer(200, data, [("Content-Type", media), ("Docker-Content-Digest", digest)])
        if len(parts) >= 5 and parts[-2] == "blobs":
            if a.redirect_blobs:
                return self.answer(307, b"", [("Location", f"{self.origin('localhost')}/redirected/{parts[-1]}")])
            data = read_blob(parts[-1])
            return self.answer(200, data, [("Content-Type", "application/octet-stream")]) if data else self.error(404, "BLOB_UNKNOWN", "no blob")
        self.error(404, "NOT_FOUND", "not found")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


server = Server(("127.0.0.1", 0), Handler)
with open(a.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(a.port_file + ".tmp", a.port_file)
server.serve_forever()
