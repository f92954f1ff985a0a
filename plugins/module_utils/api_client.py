# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one Grid'5000 REST API client of the collection (PRIVATE to the collection).

Modules talk HTTP through ``fetch_url(module, ...)`` and plugins through ``open_url``; both go
through the same ``G5kApiClient`` so authentication, retries, the User-Agent and error messages
are identical everywhere.

Public API (stable; the inventory plugin builds on it):

- ``api_argument_spec()``: the connection options every module accepts (see the ``g5k.testbed.api``
  doc fragment).
- ``client_for_module(module)``: a client on ``fetch_url``; bad settings end the task with
  ``fail_json`` before any request.
- ``G5kApiClient(settings, transport, sleep=None)`` (``time.sleep`` by default) with
  ``get(path, operation, params=None, missing_ok=False)``, ``list_items(path, operation, params=None)``
  (follows ``offset``/``total`` paging), ``post(path, body, operation, idempotent=False)``,
  ``put(path, body, operation)``, ``delete(path, operation, missing_ok=False)``; ``requests`` is the
  list of ``(method, path)`` sent (retries included), for callers that report their cost.
- ``G5kApiError``: ``operation``, ``method``, ``path``, ``status`` (-1 = no HTTP answer),
  ``body`` (the API's text), ``str()`` is the full message; ``add_hint(text)`` appends to the hint.
- ``G5kInputError``: bad input detected before any change (unknown site, node, VLAN...).
- ``path_of(*parts)``: a URL path from quoted parts.
- ``FetchUrlTransport(module)``, ``OpenUrlTransport()``: ``request(method, url, data, headers,
  settings)`` -> ``TransportResponse(status, headers, body, reason)``.

Only idempotent calls (GET, PUT, DELETE and POSTs flagged ``idempotent=True``) are retried, at
most ``settings.retries`` times, on 429, 5xx and connection errors, with exponential backoff that
honours ``Retry-After``. TLS failures are never retried: they do not heal by themselves.

Redirects are followed by the client itself, only to the same scheme, host and port as
``api_uri`` (the credentials go with every request); any other is refused with a message that
names the target. A GET answered 2xx must hold a JSON object (every API document is one): an
empty answer, ``null``, a list or a string is an error that names the answer, not a crash later.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import time

from ansible.module_utils.ansible_release import __version__ as ANSIBLE_VERSION
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import urlencode, urljoin, quote
from ansible.module_utils.urls import fetch_url, open_url

from ansible_collections.g5k.testbed.plugins.module_utils.api_settings import (
    ApiSettingsError,
    ENV_VARS,
    resolve_api_settings,
)
from ansible_collections.g5k.testbed.plugins.module_utils.api_uri import origin_of, without_userinfo

# The same as galaxy.yml's version (a unit test keeps them equal): modules run on targets, where
# the collection's metadata is not available.
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "g5k.testbed/%s (ansible-core %s)" % (COLLECTION_VERSION, ANSIBLE_VERSION)
RETRYABLE_STATUSES = (429, 500, 502, 503, 504)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5
MAX_BACKOFF = 30.0
PAGE_SIZE = 500
# What an https:// request to a plain HTTP server fails with.
PLAIN_HTTP_MARKERS = ("wrong version number", "WRONG_VERSION_NUMBER", "record layer failure", "unknown protocol")
TLS_MARKERS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "SSL:", "SSLError",
               "wrong version number", "hostname mismatch")


def api_argument_spec():
    """Connection options shared by every module (documented in the g5k.testbed.api fragment)."""
    return dict(
        api_uri=dict(type="str"),
        api_username=dict(type="str"),
        api_password=dict(type="str", no_log=True),
        api_config=dict(type="path"),
        validate_certs=dict(type="bool"),
        ca_path=dict(type="path"),
        api_timeout=dict(type="int", default=30),
        api_retries=dict(type="int", default=4),
    )


class G5kApiError(Exception):
    """An API call that did not succeed; ``str()`` names operation, method, path, status, body."""

    def __init__(self, operation, method, path, status, body="", hint=None):
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.body = (body or "").strip()
        self.hint = hint
        super(G5kApiError, self).__init__(self._message())

    def add_hint(self, hint):
        """Append to the hint (what the caller did after the failure), keeping the error's class."""
        if hint:
            self.hint = "; ".join(h for h in (self.hint, hint) if h)
            self.args = (self._message(),)

    def _message(self):
        if self.status == -1:
            head = "%s failed: %s %s got no HTTP answer" % (self.operation, self.method, self.path)
        else:
            head = "%s failed: %s %s returned HTTP %s" % (self.operation, self.method, self.path, self.status)
        if self.body:
            head += ": %s" % self.body
        if self.hint:
            head += " (%s)" % self.hint
        return head


class G5kInputError(ValueError):
    """Bad task input found before anything was changed; the message says what to fix."""


class TransportResponse:
    """What any transport hands back: status -1 means no HTTP answer (``reason`` says why)."""

    def __init__(self, status, headers=None, body=b"", reason=""):
        self.status = status
        self.headers = dict((k.lower(), v) for k, v in (headers or {}).items())
        self.body = body or b""
        self.reason = reason

    @property
    def text(self):
        return to_text(self.body, errors="surrogate_or_replace")


def _excerpt(text, limit=160):
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "..."


def _is_tls_failure(reason):
    return any(marker in (reason or "") for marker in TLS_MARKERS)


class FetchUrlTransport:
    """Modules: ``fetch_url`` (proxy settings, tmpdir and module logging come with it)."""

    def __init__(self, module):
        self.module = module

    def request(self, method, url, data, headers, settings):
        # fetch_url reads TLS verification from module params; give it the resolved value so
        # env vars and ~/.python-grid5000.yaml apply too.
        self.module.params["validate_certs"] = settings.validate_certs
        # the client follows redirects itself, after checking where they lead
        self.module.params["follow_redirects"] = "none"
        resp, info = fetch_url(self.module, url, data=data, headers=headers, method=method,
                               timeout=settings.timeout, ca_path=settings.ca_path, use_netrc=False)
        status = info.get("status", -1)
        if status is None or status == -1:
            return TransportResponse(-1, reason=info.get("msg", ""))
        if status >= 300:
            return TransportResponse(status, info, info.get("body") or b"", info.get("msg", ""))
        body = resp.read() if resp is not None else b""
        return TransportResponse(status, info, body)


class OpenUrlTransport:
    """Plugins on the controller: ``open_url`` (no AnsibleModule there)."""

    def request(self, method, url, data, headers, settings):
        try:
            resp = open_url(url, data=data, headers=headers, method=method,
                            validate_certs=settings.validate_certs, ca_path=settings.ca_path,
                            timeout=settings.timeout, http_agent=USER_AGENT, use_netrc=False,
                            follow_redirects="none")
            return TransportResponse(resp.getcode(), dict(resp.headers.items()), resp.read())
        except HTTPError as exc:
            try:
                body = exc.read()
            except Exception:  # some HTTPError objects carry no readable body
                body = b""
            return TransportResponse(exc.code, dict(exc.headers.items()) if exc.headers else {}, body, str(exc))
        except URLError as exc:
            return TransportResponse(-1, reason="Request failed: %s" % exc)
        except Exception as exc:  # ConnectionError, SSLValidationError, socket errors
            return TransportResponse(-1, reason="Connection failure: %s" % exc)


def _with_query(path, params):
    """``path`` and its query (parameters set to None left out, in a stable order)."""
    query = sorted((k, v) for k, v in (params or {}).items() if v is not None)
    return path + ("?" + urlencode(query) if query else "")


class G5kApiClient:
    """JSON over HTTP to one API root (``settings.uri``, e.g. https://api.grid5000.fr/stable)."""

    def __init__(self, settings, transport, sleep=None):
        self.settings = settings
        self.transport = transport
        self.sleep = sleep or time.sleep
        self.requests = []

    @property
    def username(self):
        return self.settings.username

    def url(self, path, params=None):
        return self.settings.uri + _with_query(path, params)

    def _headers(self, has_body):
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if has_body:
            headers["Content-Type"] = "application/json"
        if not self.settings.anonymous:
            token = "%s:%s" % (self.settings.username, self.settings.password)
            headers["Authorization"] = "Basic " + to_text(base64.b64encode(to_bytes(token)))
        return headers

    def _hint(self, status, reason, body="", path=""):
        https = self.settings.uri.startswith("https://")
        if status == -1 and https and any(marker in (reason or "") for marker in PLAIN_HTTP_MARKERS):
            # validate_certs cannot help here: the server does not speak TLS at all
            return ("the server at %s answered in plain HTTP, not TLS: use an http:// api_uri"
                    % self.settings.uri.split("://", 1)[1])
        if status == -1 and _is_tls_failure(reason):
            return ("TLS certificate verification failed: fix the CA bundle with ca_path, or set "
                    "validate_certs=false only for a server you trust")
        if not https and (status == -1 or (status == 400 and "HTTPS" in (body or ""))):
            return ("is api_uri %s reachable? If the server speaks HTTPS, the api_uri must start with https://"
                    % self.settings.uri)
        if status == -1:
            return "is api_uri %s reachable?" % self.settings.uri
        if status == 401:
            return "the username or password is wrong"
        if status == 404 and (path == "/sites" or (not self.settings.parsed.has_version
                                                   and "No route matches" in (body or ""))):
            # the API's root has the version in its path: without it, no route matches
            return ("is api_uri %s the root of the Grid'5000 API? It ends with the API version, as in "
                    "https://api.grid5000.fr/stable" % self.settings.uri)
        if status == 403 and self.settings.anonymous:
            return ("the request was anonymous: set api_username/api_password, %s/%s, or "
                    "username/password in ~/.python-grid5000.yaml" % (ENV_VARS["username"], ENV_VARS["password"]))
        return None

    def call(self, method, path, operation, body=None, params=None, idempotent=None, accept=()):
        """Send one request (plus retries); return ``(status, decoded JSON or text or None)``.

        Statuses in ``accept`` (e.g. 404) are returned instead of raised.
        """
        if idempotent is None:
            idempotent = method in ("GET", "PUT", "DELETE", "HEAD")
        data = None if body is None else to_bytes(json.dumps(body))
        url = self.url(path, params)
        shown_path = _with_query(path, params)
        resp = self._send(method, url, data, body is not None, idempotent)
        for _hop in range(MAX_REDIRECTS):
            if resp.status not in REDIRECT_STATUSES:
                break
            url = self._redirect_target(url, resp, operation, method, shown_path)
            resp = self._send(method, url, data, body is not None, idempotent)
        if 200 <= resp.status < 300:
            return resp.status, self._decode_json(resp, operation, method, shown_path)
        if resp.status in accept:
            return resp.status, None
        text = resp.text if resp.status != -1 else resp.reason
        if resp.status in REDIRECT_STATUSES:
            text = "more than %d redirects" % MAX_REDIRECTS
        raise G5kApiError(operation, method, shown_path, resp.status, text,
                          self._hint(resp.status, resp.reason, text, path))

    def _send(self, method, url, data, has_body, idempotent):
        """One request plus its retries; the last answer."""
        attempts = 1 + (max(0, self.settings.retries) if idempotent else 0)
        for attempt in range(attempts):
            shown = url[len(self.settings.uri):] if url.startswith(self.settings.uri + "/") else url
            self.requests.append((method, shown.split("?")[0]))
            resp = self.transport.request(method, url, data, self._headers(has_body), self.settings)
            retryable = resp.status in RETRYABLE_STATUSES or (resp.status == -1 and not _is_tls_failure(resp.reason))
            if retryable and attempt + 1 < attempts:
                self.sleep(self._backoff(attempt, resp))
                continue
            return resp
        return resp

    def _redirect_target(self, url, resp, operation, method, path):
        """Where a redirect leads, if it stays on api_uri's scheme, host and port: the password
        is sent with every request, so it must never reach another server."""
        location = resp.headers.get("location")
        if not location:
            raise G5kApiError(operation, method, path, resp.status, "a redirect without a Location",
                              self._hint(resp.status, resp.reason, "", path))
        target = urljoin(url, location)
        if origin_of(target) != self.settings.parsed.origin():
            raise G5kApiError(operation, method, path, resp.status,
                              "redirected to %s, another scheme, host or port than api_uri %s" % (
                                  without_userinfo(target), self.settings.uri),
                              "not followed, so the credentials are not sent there: if that server is the API, "
                              "set api_uri to its root")
        return target

    def _backoff(self, attempt, resp):
        delay = min(MAX_BACKOFF, self.settings.retry_delay * (2 ** attempt))
        retry_after = resp.headers.get("retry-after")
        if retry_after and str(retry_after).isdigit():
            delay = max(delay, min(MAX_BACKOFF, float(retry_after)))
        return delay

    def _decode_json(self, resp, operation, method, path):
        """The JSON document of a 2xx answer (None when empty); anything else is an error,
        because a proxy or a login page answers 200 with HTML."""
        text = resp.text
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            kind = resp.headers.get("content-type", "no Content-Type")
            raise G5kApiError(operation, method, path, resp.status,
                              "the answer is not JSON (%s): %s" % (kind, _excerpt(text)),
                              "is api_uri %s the root of the Grid'5000 API (ending in /stable)?" % self.settings.uri)

    def get(self, path, operation, params=None, missing_ok=False):
        """GET a JSON object; ``None`` on 404 when ``missing_ok``."""
        status, data = self.call("GET", path, operation, params=params, accept=(404,) if missing_ok else ())
        if status == 404:
            return None
        if not isinstance(data, dict):
            found = "an empty answer" if data is None else "JSON %s %s" % (type(data).__name__, _excerpt(json.dumps(data)))
            raise G5kApiError(operation, "GET", _with_query(path, params), status, "expected a JSON object, got %s" % found,
                              "is api_uri %s the root of the Grid'5000 API (ending in /stable)?" % self.settings.uri)
        return data

    def list_items(self, path, operation, params=None):
        """All ``items`` of a collection, following ``offset``/``total`` paging."""
        items = []
        query = dict(params or {})
        while True:
            query.update(limit=PAGE_SIZE, offset=len(items))
            page = self.get(path, operation, params=query) or {}
            batch = page.get("items", []) if isinstance(page, dict) else []
            items.extend(batch)
            total = page.get("total", len(items)) if isinstance(page, dict) else len(items)
            if not batch or len(items) >= total:
                return items

    def post(self, path, body, operation, idempotent=False):
        return self.call("POST", path, operation, body=body, idempotent=idempotent)[1]

    def put(self, path, body, operation):
        return self.call("PUT", path, operation, body=body)[1]

    def delete(self, path, operation, missing_ok=False):
        status, data = self.call("DELETE", path, operation, accept=(404,) if missing_ok else ())
        return None if status == 404 else (data if data is not None else {})


def path_of(*parts):
    """``/sites/rennes/vlans/4`` from ('sites', 'rennes', 'vlans', 4), each part URL-quoted."""
    return "".join("/" + quote(str(part), safe="") for part in parts)


def client_for_module(module, sleep=None):
    """A client on ``fetch_url``; unusable settings end the task before any request."""
    try:
        settings = resolve_api_settings(module.params)
    except ApiSettingsError as exc:
        module.fail_json(msg="Grid'5000 API settings: %s" % exc, changed=False)
    if settings.password:
        # also hides a password written inside api_uri wherever the task's output shows it
        module.no_log_values.add(settings.password)
    for warning in settings.warnings:  # the same text each task: Ansible shows it once per run
        module.warn(warning)
    return G5kApiClient(settings, FetchUrlTransport(module), sleep=sleep)
