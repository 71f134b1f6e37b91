"""The web page: one HTML file, one script and one stylesheet from this package, under a strict CSP.

The page is a client of the JSON API on the same origin: it holds no data itself, so it and its
assets need no key, while every call it makes for data sends the key the person entered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.static_files import create_static_files_router

from api.security import PUBLIC_ASSET_PREFIX, PUBLIC_PAGE_PATHS

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
INDEX = WEB_DIR / "index.html"

# Same origin only, no inline script or style, no eval, no framing; data: only for the empty favicon.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _secure(response: Response[Any]) -> Response[Any]:
    response.headers.update(SECURITY_HEADERS)
    return response


@get(sorted(PUBLIC_PAGE_PATHS), include_in_schema=False, sync_to_thread=False)
def page() -> Response[bytes]:
    """The single page; its sections are shown by the script."""
    return Response(
        INDEX.read_bytes(),
        media_type=MediaType.HTML,
        headers={**SECURITY_HEADERS, "Cache-Control": "no-store"},
    )


def web_router() -> Router:
    """The page at ``/`` and ``/ui``, its assets under ``/ui/static/``."""
    assets = create_static_files_router(
        path=PUBLIC_ASSET_PREFIX.rstrip("/"),
        directories=[STATIC_DIR],
        name="web-static",
        after_request=_secure,
        cache_control=CacheControlHeader(no_cache=True),
    )
    return Router(path="/", route_handlers=[page, assets])
