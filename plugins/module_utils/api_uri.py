# -*- coding: utf-8 -*-
# Copyright: g5k.testbed contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API root URI, parsed once (PRIVATE to the collection).

Every request is ``root + path``: a query or a fragment in the root would make every request
read the root document (``/stable#x/sites/...`` is ``/stable``), so they are refused, as are
URIs Python cannot even send (bad IPv6 literal, port out of range).

Public API (stable):

- ``ApiUri``: ``scheme``, ``host`` (IPv6 literals without brackets), ``port`` (None when not
  written), ``path`` (no trailing ``/``), ``username``, ``password`` (decoded, None when absent);
  ``root`` is the URI without credentials; ``origin()`` -> ``(scheme, host, port with the scheme's
  default)``, what a redirect must keep.
- ``parse_api_uri(text)`` -> ``ApiUri``; ``ValueError`` with a message that names the fix.
- ``origin_of(url)`` -> the ``(scheme, host, port)`` of any absolute URL (None when unreadable).
- ``uri_secrets(text)`` -> the strings to hide from output for credentials written in ``text``
  (the password as written and decoded, and the whole ``login:password``); never raises.
- ``without_userinfo(url)``: ``url`` with any ``login:password@`` taken out, for messages.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import unquote, urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
VERSION_PATH = re.compile(r"/(stable|sid|\d+\.\d+)$")
EXAMPLE = "https://api.grid5000.fr/stable"
_USERINFO = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/?#]*)@")


class ApiUri:
    def __init__(self, scheme, host, port, path, username=None, password=None):
        self.scheme = scheme
        self.host = host
        self.port = port
        self.path = path
        self.username = username
        self.password = password

    @property
    def root(self):
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "%s://%s%s%s" % (self.scheme, host, "" if self.port is None else ":%d" % self.port, self.path)

    @property
    def has_version(self):
        """Whether the path ends in an API version (/stable, /sid, /3.0)."""
        return bool(VERSION_PATH.search(self.path))

    def origin(self):
        return self.scheme, self.host.lower(), self.port or DEFAULT_PORTS[self.scheme]


def without_userinfo(url):
    return _USERINFO.sub(lambda m: m.group("scheme"), str(url))


def parse_api_uri(text):
    if not isinstance(text, str) or not text.strip():
        raise ValueError("api_uri is empty: give the API root, for example %s" % EXAMPLE)
    shown = without_userinfo(text)
    if text != text.strip() or any(c.isspace() for c in text):
        raise ValueError("api_uri %r holds spaces: remove them" % shown)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535"
        raise ValueError("api_uri %s cannot be read (%s): write it as %s, an IPv6 address in brackets "
                         "(http://[::1]:8000/stable), a port from 1 to 65535" % (shown, exc, EXAMPLE))
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("api_uri must start with http:// or https://, got %r" % shown)
    if not parts.hostname:
        raise ValueError("api_uri %s names no host: write it as %s" % (shown, EXAMPLE))
    if port == 0 or (parts.netloc.rsplit("@", 1)[-1].endswith(":") and port is None):
        raise ValueError("api_uri %s has an empty or zero port: give a port from 1 to 65535 or none" % shown)
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError("api_uri %s holds a query (?...) or a fragment (#...): the API root is a plain path "
                         "such as %s; remove everything from the ? or #" % (shown, EXAMPLE))
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return ApiUri(scheme, parts.hostname, port, parts.path.rstrip("/"), username, password)


def origin_of(url):
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None


def uri_secrets(text):
    if not isinstance(text, str):
        return []
    match = _USERINFO.match(text.strip())
    if not match or ":" not in match.group("userinfo"):
        return []
    userinfo = match.group("userinfo")
    password = userinfo.split(":", 1)[1]
    found = [userinfo, password, unquote(password)]
    return [s for s in found if s and s not in (":",)]
