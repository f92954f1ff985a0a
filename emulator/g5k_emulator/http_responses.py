"""How the API answers: media types, links under the version prefix, collections, pagination.

Media type negotiation follows the platform: a client that asks for `application/json`
(python-grid5000 does, and only parses bodies whose type says so) gets
`application/json; charset=utf-8`; otherwise the answer carries the vnd.grid5000 types.
"""
from __future__ import annotations

import json

from fastapi import Request, Response

from .errors import ApiError

ITEM = "application/vnd.grid5000.item+json"
COLLECTION = "application/vnd.grid5000.collection+json"
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def version(request: Request) -> str:
    """The prefix the client used (`stable`, `3.0`, `sid`): hrefs are built under it."""
    return request.url.path.split("/")[1]


def href(request: Request, path: str) -> str:
    return f"/{version(request)}{path}"


def link(request: Request, rel: str, path: str, kind: str = ITEM) -> dict:
    return {"rel": rel, "href": href(request, path), "type": kind}


def self_and_parent(request: Request, path: str, parent_path: str) -> list[dict]:
    return [link(request, "self", path), link(request, "parent", parent_path)]


def absolute(request: Request, path: str) -> str:
    return f"{str(request.base_url).rstrip('/')}{href(request, path)}"


def _media_type(request: Request, kind: str) -> str:
    accept = request.headers.get("accept", "")
    if "application/json" in accept and "vnd.grid5000" not in accept:
        return "application/json; charset=utf-8"
    return f"{kind}; charset=utf-8"


def render(request: Request, body, status: int = 200, kind: str = ITEM,
           headers: dict[str, str] | None = None) -> Response:
    pretty = request.query_params.get("pretty") in ("yes", "true", "1")
    text = json.dumps(body, indent=2 if pretty else None, sort_keys=False)
    return Response(text + ("\n" if pretty else ""), status_code=status,
                    media_type=_media_type(request, kind), headers=headers)


def collection(request: Request, items: list, self_path: str, parent_path: str | None,
               offset: int = 0, total: int | None = None, extra_links: list | None = None) -> Response:
    links = [link(request, "self", self_path, COLLECTION)]
    if parent_path is not None:
        links.append(link(request, "parent", parent_path))
    links.extend(extra_links or [])
    body = {"total": len(items) if total is None else total, "offset": offset,
            "items": items, "links": links}
    return render(request, body, kind=COLLECTION)


def paginated(request: Request, rows: list, document, self_path: str, parent_path: str) -> Response:
    """A collection of `document(row)` for the page of `rows` the limit/offset parameters select."""
    limit, offset = pagination(request)
    items = [document(row) for row in rows[offset:offset + limit]]
    return collection(request, items, self_path, parent_path, offset, len(rows))


def pagination(request: Request) -> tuple[int, int]:
    """`limit` (default 50, at most 500) and `offset` query parameters."""
    values = []
    for name, default in (("limit", DEFAULT_LIMIT), ("offset", 0)):
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            values.append(default)
            continue
        if not raw.isdigit():
            raise ApiError(400, f"Invalid '{name}' parameter: '{raw}' is not a non-negative integer")
        values.append(int(raw))
    return min(values[0], MAX_LIMIT), values[1]


async def json_body(request: Request, require_json: bool = True):
    """The request's JSON body; 415 unless the content type is JSON (KaVLAN writes insist)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if require_json and not (content_type == "application/json" or
                             (content_type.startswith("application/vnd.grid5000") and
                              content_type.endswith("+json"))):
        raise ApiError(415, f"Unsupported Media Type: send the body as application/json "
                            f"(got '{content_type or 'no content type'}')")
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from exc
