"""Serve Reference API documents from a JSON file {path: document} on 127.0.0.1, behind basic auth.

Test fixture of the dhcpd molecule scenarios: the role reads a site, its clusters and their nodes
from it exactly as from https://api.grid5000.fr/stable. Binds a free port and writes its base URL
to --url-file once it listens.
"""

import argparse
import base64
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", required=True, help="JSON file mapping paths to documents")
    parser.add_argument("--url-file", required=True, help="where to write the base URL")
    parser.add_argument("--pid-file", required=True, help="where to write the process id")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()

    with open(args.documents, encoding="utf-8") as handle:
        documents = json.load(handle)
    expected = "Basic " + base64.b64encode(("%s:%s" % (args.user, args.password)).encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            if self.headers.get("Authorization") != expected:
                self.reply(401, "text/plain", b"Authentication required\n",
                           {"WWW-Authenticate": 'Basic realm="mdhcp"'})
                return
            path = self.path.split("?", 1)[0].rstrip("/")
            if path not in documents:
                self.reply(404, "text/plain", ("Cannot find resource %s\n" % path).encode())
                return
            self.reply(200, "application/json", json.dumps(documents[path]).encode())

        def reply(self, status, content_type, body, headers=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *fmt_args):
            sys.stderr.write("refapi-fixture: " + (fmt % fmt_args) + "\n")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.pid_file, "w", encoding="utf-8") as handle:
        handle.write("%d\n" % os.getpid())
    with open(args.url_file, "w", encoding="utf-8") as handle:
        handle.write("http://127.0.0.1:%d/stable\n" % server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
