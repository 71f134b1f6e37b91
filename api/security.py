"""Who is calling, what they may do, how often, and the audit record of what they did.

One ASGI middleware authenticates every request but the health checks (401), applies the per-key
rate limit (429 with Retry-After) and, for every ``/v1`` request, appends an audit record once the
response is complete. Handlers check the verb and collection (403) through the request context and
note what the audit record should hold.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import AuditLog
from api.keys import ALL_COLLECTIONS, ApiKey, KeyStore
from api.problems import PROBLEM_JSON
from rag.errors import AuthenticationError, EnclaveError, ForbiddenError, RateLimitedError, RetryLaterError

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
# The web page, its script and its stylesheet hold no data: every call they make for data carries the key.
PUBLIC_PAGE_PATHS = frozenset({"/", "/ui"})
PUBLIC_ASSET_PREFIX = "/ui/static/"
# Without any key configured (allowed on loopback only), the local caller may do everything.
LOCAL = ApiKey(id="local", role="admin", collections=[ALL_COLLECTIONS], salt="", digest="", created_at="")


@dataclass
class RequestContext:
    principal: ApiKey = LOCAL
    audit: dict[str, Any] = field(default_factory=dict)

    def require(self, verb: str, collection: str | None = None) -> None:
        if not self.principal.can(verb):
            raise ForbiddenError(f"a {self.principal.role} key may not {verb}")
        if collection is not None and not self.principal.sees(collection):
            raise ForbiddenError(f"this key has no access to collection {collection!r}")
        if collection is not None:
            self.audit.setdefault("collection", collection)

    def visible(self, collections: list[str]) -> list[str]:
        return [name for name in collections if self.principal.sees(name)]


def is_exempt(path: str) -> bool:
    """Health checks and the page's own files; ``..`` never makes a data route look like an asset."""
    if path in EXEMPT_PATHS or path in PUBLIC_PAGE_PATHS:
        return True
    return path.startswith(PUBLIC_ASSET_PREFIX) and "/." not in path and "\\" not in path


def context_of(request: Request[Any, Any, Any]) -> RequestContext:
    context: RequestContext = request.scope["state"]["enclave"]
    return context


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests, refilled continuously; 0 disables it."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key_id: str) -> None:
        if self.per_minute <= 0:
            return
        now = time.monotonic()
        rate = self.per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get(key_id, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[key_id] = (tokens, now)
                raise RateLimitedError(
                    f"more than {self.per_minute} requests per minute for this key",
                    retry_after=max(1, int((1.0 - tokens) / rate + 0.999)),
                )
            self._buckets[key_id] = (tokens - 1.0, now)


def bearer_token(scope: Scope) -> str | None:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope.get("headers", [])}
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return headers.get("x-api-key") or None


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, keys: KeyStore, audit: AuditLog, limiter: RateLimiter) -> None:
        self.app = app
        self.keys = keys
        self.audit = audit
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        context = RequestContext()
        scope.setdefault("state", {})["enclave"] = context
        status = {"code": 500}

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            if not is_exempt(path):
                context.principal = self._authenticate(scope)
            await self.app(scope, receive, recording_send)
        except (AuthenticationError, RateLimitedError) as exc:
            await _send_problem(recording_send, exc)
        finally:
            if path.startswith("/v1/"):
                self.audit.append(
                    {
                        "key_id": context.principal.id,
                        "method": scope.get("method", ""),
                        # The route's template, not the path: a value typed into a URL is no route.
                        "route": scope.get("path_template") or "(no route)",
                        "status": status["code"],
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        **context.audit,
                    }
                )

    def _authenticate(self, scope: Scope) -> ApiKey:
        if not self.keys.has_active_keys():
            return LOCAL
        token = bearer_token(scope)
        if not token:
            raise AuthenticationError("an API key is required: send 'Authorization: Bearer <key>'")
        key = self.keys.verify(token)
        if key is None:
            raise AuthenticationError("the API key is not valid (unknown, revoked or mistyped)")
        self.limiter.check(key.id)
        return key


async def _send_problem(send: Send, exc: EnclaveError) -> None:
    body = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": exc.detail}
    headers = [(b"content-type", PROBLEM_JSON.encode())]
    if isinstance(exc, RetryLaterError):
        headers.append((b"retry-after", str(exc.retry_after).encode()))
    if isinstance(exc, AuthenticationError):
        headers.append((b"www-authenticate", b'Bearer realm="enclave"'))
    await send(cast(Message, {"type": "http.response.start", "status": exc.status, "headers": headers}))
    await send(cast(Message, {"type": "http.response.body", "body": json.dumps(body).encode()}))
