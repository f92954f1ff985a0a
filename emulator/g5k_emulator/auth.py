"""HTTP Basic authentication against the configured users; anonymous requests are allowed
(reads work anonymously on the platform; writes then get 403)."""
from __future__ import annotations

import base64
import binascii
import hmac

from fastapi import Request

from .errors import ApiError, not_authenticated

CHALLENGE = {"WWW-Authenticate": 'Basic realm="Grid5000 API (emulated)"'}


def current_user(request: Request) -> str | None:
    """The authenticated login, None when anonymous; 401 for wrong or malformed credentials."""
    header = request.headers.get("authorization")
    platform = request.app.state.platform
    if not header:
        proxied = request.headers.get("x-api-user-cn")
        if proxied and platform.config.trust_user_header:
            if proxied not in platform.users:
                raise ApiError(401, f"Unknown user '{proxied}' in X-Api-User-CN", CHALLENGE)
            return proxied
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise ApiError(401, f"Unsupported authentication scheme '{scheme}': use HTTP Basic", CHALLENGE)
    try:
        login, sep, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        sep = ""
    if not sep:
        raise ApiError(401, "Malformed HTTP Basic credentials", CHALLENGE)
    expected = platform.users.get(login)
    if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
        raise ApiError(401, "Authentication failed: wrong login or password", CHALLENGE)
    return login


def require_user(request: Request) -> str:
    """The authenticated login; 403 for anonymous requests (g5k-api's ensure_authenticated!)."""
    login = current_user(request)
    if login is None:
        raise not_authenticated()
    return login
