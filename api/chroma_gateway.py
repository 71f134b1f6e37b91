"""A token-checking gateway in front of a Chroma server.

Chroma's 1.x server has no authentication of its own, so in a deployment it sits on a network that only
this gateway joins, and every client (the API, the ingestion job) reaches it through here with the
token. Requests without the token are refused with 401 before anything reaches Chroma.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable
from typing import Any, cast

import httpx
from litestar.types import HTTPScope, Receive, Scope, Send

log = logging.getLogger("enclave.chroma_gateway")

# Liveness only, no data: compose healthchecks and Chroma's client probe these without a token.
OPEN_PATHS = frozenset({"/api/v2/heartbeat", "/api/v2/version", "/api/v1/heartbeat", "/api/v1/version"})
# A batch upsert of 1,000 vectors with metadata is a few MB of JSON; anything far beyond is refused.
MAX_BODY_BYTES = 64 * 1024 * 1024
# RFC 9110 hop-by-hop fields, which a proxy must not forward.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)


def presented_token(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The token from ``Authorization: Bearer`` or ``X-Chroma-Token`` (the two forms Chroma clients send)."""
    for name, value in headers:
        lowered = name.lower()
        if lowered == b"authorization":
            scheme, _, credential = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credential.strip():
                return credential.strip()
        elif lowered == b"x-chroma-token" and value.strip():
            return value.decode("latin-1").strip()
    return None


class ChromaGateway:
    """An ASGI app forwarding authenticated requests to ``upstream`` and refusing the rest."""

    def __init__(self, upstream: str, token: str, timeout_seconds: float = 120.0) -> None:
        if not token:
            raise ValueError("the gateway needs a token")
        self.upstream = upstream.rstrip("/")
        self._token = token.encode()
        self._timeout = timeout_seconds
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.upstream, timeout=self._timeout, trust_env=False)
        return self._client

    def authorized(self, headers: Iterable[tuple[bytes, bytes]]) -> bool:
        token = presented_token(headers)
        return token is not None and hmac.compare_digest(token.encode(), self._token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        http_scope = cast("HTTPScope", scope)
        path = http_scope["path"]
        if path not in OPEN_PATHS and not self.authorized(http_scope["headers"]):
            log.warning("refused %s %s: missing or wrong token", http_scope["method"], path)
            await _problem(
                send, 401, "Unauthorized", "a valid Chroma token is required", [(b"www-authenticate", b"Bearer")]
            )
            return
        body = await _read_body(receive)
        if body is None:
            await _problem(send, 413, "Request too large", f"the body exceeds {MAX_BODY_BYTES} bytes")
            return
        await self._forward(http_scope, body, send)

    async def _forward(self, scope: HTTPScope, body: bytes, send: Send) -> None:
        headers = [
            (name, value)
            for name, value in scope["headers"]
            if name.lower() not in _HOP_BY_HOP and name.lower() not in (b"authorization", b"x-chroma-token")
        ]
        query = scope.get("query_string", b"").decode("latin-1")
        request = self._http().build_request(
            scope["method"], scope["path"] + (f"?{query}" if query else ""), headers=headers, content=body
        )
        try:
            response = await self._http().send(request, stream=True)
        except httpx.HTTPError as exc:
            log.error("Chroma upstream %s unreachable: %s", self.upstream, exc)
            await _problem(send, 502, "Bad gateway", "the Chroma server is not reachable")
            return
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (name, value) for name, value in response.headers.raw if name.lower() not in _HOP_BY_HOP
                    ],
                }
            )
            async for part in response.aiter_raw():
                await send({"type": "http.response.body", "body": part, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._client is not None:
                    await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None past ``MAX_BODY_BYTES``."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            return b"".join(parts)
        chunk = message["body"]
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        parts.append(chunk)
        if not message.get("more_body"):
            return b"".join(parts)


async def _problem(
    send: Send, status: int, title: str, detail: str, extra_headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    body = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        *(extra_headers or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
