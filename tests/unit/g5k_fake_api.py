"""A scripted stand-in for the Grid'5000 API at the transport level (fetch_url / open_url).

Tests declare answers per (method, path); every request is recorded with its query and JSON
body so tests can assert what was sent and how many requests it took.
"""

import io
import json
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl, urlsplit

BASE = "https://api.test.invalid/stable"


class Reply:
    def __init__(self, status=200, body=None, text=None, headers=None, no_answer=None):
        self.status = status
        self.body = body
        self.text = text
        self.headers = headers or {}
        self.no_answer = no_answer  # reason of a connection-level failure

    def payload(self):
        if self.text is not None:
            return self.text.encode()
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


class Call:
    def __init__(self, method, path, query, body, headers):
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.headers = headers

    def __repr__(self):
        return "%s %s" % (self.method, self.path)


class _Resp:
    def __init__(self, status, headers, payload):
        self.status = self.code = status
        self.headers = _Headers(headers)
        self._payload = payload

    def read(self):
        return self._payload

    def getcode(self):
        return self.status

    def info(self):
        return self.headers


class _Headers(dict):
    def items(self):
        return list(dict.items(self))


class FakeApi:
    def __init__(self):
        self.routes = {}
        self.calls = []
        self.unscripted = []

    def on(self, method, path, *replies, **kwargs):
        """Answer ``method path`` with ``replies`` in turn (the last repeats), or one
        ``Reply(**kwargs)``, or a callable(call) -> Reply given as ``handler=``."""
        if "handler" in kwargs:
            self.routes[(method, path)] = kwargs["handler"]
            return self
        queue = list(replies) or [Reply(**kwargs)]
        self.routes[(method, path)] = queue
        return self

    def json(self, method, path, body, status=200):
        return self.on(method, path, Reply(status, body))

    def requests(self, method=None, path=None):
        return [c for c in self.calls if (method is None or c.method == method) and (path is None or c.path == path)]

    def _answer(self, method, url, data, headers):
        parts = urlsplit(url)
        path = parts.path[len(urlsplit(BASE).path):] if parts.path.startswith("/stable") else parts.path
        body = json.loads(data) if data else None
        call = Call(method, path, dict(parse_qsl(parts.query)), body, dict(headers or {}))
        self.calls.append(call)
        route = self.routes.get((method, path))
        if route is None:
            self.unscripted.append(call)
            return Reply(599, text="unscripted request %s %s" % (method, path))
        if callable(route):
            return route(call)
        return route.pop(0) if len(route) > 1 else route[0]

    # fetch_url(module, url, ...) -> (response, info), as ansible.module_utils.urls does it
    def fetch_url(self, module, url, data=None, headers=None, method=None, **kwargs):
        reply = self._answer(method or "GET", url, data, headers)
        if reply.no_answer:
            return None, {"url": url, "status": -1, "msg": reply.no_answer}
        info = dict((k.lower(), v) for k, v in reply.headers.items())
        info.update(url=url, status=reply.status, msg="OK")
        if reply.status >= 400:
            info["body"] = reply.payload()
            info["msg"] = "HTTP Error %s" % reply.status
            return _Resp(reply.status, reply.headers, b""), info
        return _Resp(reply.status, reply.headers, reply.payload()), info

    # open_url(url, ...) -> response, raising HTTPError / URLError like urllib
    def open_url(self, url, data=None, headers=None, method=None, **kwargs):
        reply = self._answer(method or "GET", url, data, headers)
        if reply.no_answer:
            raise URLError(reply.no_answer)
        if reply.status >= 400:
            raise HTTPError(url, reply.status, "HTTP Error %s" % reply.status, _Headers(reply.headers),
                            io.BytesIO(reply.payload()))
        return _Resp(reply.status, reply.headers, reply.payload())
