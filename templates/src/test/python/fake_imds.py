"""A minimal IMDSv2 stand-in for tests: `python3 fake_imds.py PORT [TAG=VALUE ...]`.

PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) returns a token; every GET needs
it (401 otherwise). Serves /latest/meta-data/iam/security-credentials/[kiln-test-role] and
/latest/meta-data/tags/instance/<tag> for the tags given on the command line. Binds 127.0.0.1 only.
"""
import datetime
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "kiln-test-token"
ROLE = "kiln-test-role"


def make_handler(tags):
    class H(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def _send(self, status, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self._send(200, TOKEN)
            self._send(400, "bad request")

        def do_GET(self):
            if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                return self._send(401, "unauthorized")
            base = "/latest/meta-data/iam/security-credentials/"
            if self.path == base:
                return self._send(200, ROLE)
            if self.path == base + ROLE:
                exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
                return self._send(200, json.dumps({
                    "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIAKILNTEST",
                    "SecretAccessKey": "kiln-test-secret", "Token": "kiln-test-session-token",
                    "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }))
            prefix = "/latest/meta-data/tags/instance/"
            if self.path.startswith(prefix) and self.path[len(prefix):] in tags:
                return self._send(200, tags[self.path[len(prefix):]])
            self._send(404, "not found")

    return H


def serve(port, tags=None):
    srv = ThreadingHTTPServer(("127.0.0.1", port), make_handler(tags or {}))
    srv.daemon_threads = True
    return srv


if __name__ == "__main__":
    tags = dict(a.split("=", 1) for a in sys.argv[2:])
    srv = serve(int(sys.argv[1]), tags)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    srv.serve_forever()
