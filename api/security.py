"""Who is calling, what they may do, how often, and the audit record of what they did.

One ASGI middleware authenticates every request but the health checks (401), applies the per-key
rate limit (429 with Retry-After) and, for every ``/v1`` request, appends an audit record once the
response is complete (in a worker thread: the write is locked and fsync-ed). Handlers check the verb and
collection (403) through the request context and note what the audit record should hold.

Without any active key, a server bound to loopback serves its callers as the implicit local admin; one
bound to any other address refuses every request but the health checks and the page's own files. That is
decided from the address the server was started on, and the key file as it is at each request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, cast

import anyio
from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.audit import AuditLog
from api.keys import ALL_COLLECTIONS, ApiKey, KeyStore, Permission, Role
from api.problems import PROBLEM_JSON
from rag.access import Readers
from rag.egress import is_loopback_host
from rag.errors import AuthenticationError, EnclaveError, ForbiddenError, RateLimitedError, RetryLaterError

logger = logging.getLogger("enclave.security")

EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
# The web page, its script and its stylesheet hold no data: every call they make for data carries the key.
PUBLIC_PAGE_PATHS = frozenset({"/", "/ui"})
PUBLIC_ASSET_PREFIX = "/ui/static/"
# Without any active key, on a server bound to loopback only, the local caller may do everything.
LOCAL = ApiKey(id="local", role=Role.ADMIN, collections=[ALL_COLLECTIONS], salt="", digest="", created_at="")
# A caller not (yet) authenticated, as refused requests are recorded: no role, no collection.
ANONYMOUS = ApiKey(id="anonymous", role=None, collections=[], salt="", digest="", created_at="")


@dataclass
class RequestContext:
    # No rights until the middleware grants some: the page's own files and the health checks need none.
    principal: ApiKey = ANONYMOUS
    audit: dict[str, Any] = field(default_factory=dict)

    def require(self, permission: Permission, collection: str | None = None) -> None:
        if not self.principal.can(permission):
            caller = f"a {self.principal.role} key" if self.principal.role else "an unauthenticated caller"
            raise ForbiddenError(f"{caller} may not {permission}")
        if collection is not None and not self.principal.sees(collection):
            raise ForbiddenError(f"this key has no access to collection {collection!r}")
        if collection is not None:
            self.audit.setdefault("collection", collection)

    def visible(self, collections: list[str]) -> list[str]:
        return [name for name in collections if self.principal.sees(name)]

    def readers(self) -> Readers:
        """The documents this caller may read (every route that returns text filters on it)."""
        return self.principal.readers()


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


class NoKeyPolicy:
    """What requests get while no key is active: the implicit local admin on a server bound to loopback, a
    refusal on any other address. Fixed by where the server listens, never by the keys file: losing the last
    key must not open a server to everyone.

    One per app, shared by the middleware of every route (Litestar builds one per route), so that the log
    tells each change of state once rather than at every request."""

    def __init__(self, bind_host: str) -> None:
        self.bind_host = bind_host
        self.local_admin_allowed = is_loopback_host(bind_host)
        self._refusing_all = False
        self._lock = threading.Lock()

    def note(self, refusing_all: bool) -> None:
        with self._lock:
            if refusing_all == self._refusing_all:
                return
            self._refusing_all = refusing_all
        if refusing_all:
            logger.warning(
                "no active API key, and this server listens on %s, beyond this machine: every request but the "
                "health checks is refused (401) until a key is created with "
                "'enclave keys create --collections ... --role ...'",
                self.bind_host,
            )
        else:
            logger.warning("an API key is active again: requests with a valid key are served")


class SecurityMiddleware:
    def __init__(
        self, app: ASGIApp, keys: KeyStore, audit: AuditLog, limiter: RateLimiter, no_key: NoKeyPolicy
    ) -> None:
        self.app = app
        self.keys = keys
        self.audit = audit
        self.limiter = limiter
        self.no_key = no_key

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
                if context.principal is not LOCAL:
                    self.limiter.check(context.principal.id)  # after: a 429 is recorded with its key id
        except EnclaveError as exc:  # refused, rate-limited, or the keys file unreadable: never served
            if exc.status >= 500:
                logger.error("%s %s refused: %s", scope.get("method", ""), path, exc)
            try:
                await _send_problem(recording_send, exc)
            finally:
                await self._record(scope, context, status["code"], started)
            return
        try:
            await self.app(scope, receive, recording_send)
        finally:
            await self._record(scope, context, status["code"], started)

    async def _record(self, scope: Scope, context: RequestContext, status: int, started: float) -> None:
        if not scope["path"].startswith("/v1/"):
            return
        entry = {
            "key_id": context.principal.id,
            "method": scope.get("method", ""),
            # The route's template, not the path: a value typed into a URL is no route.
            "route": scope.get("path_template") or "(no route)",
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            # What the request could read, decided from the key as it was when the request arrived.
            "readers": context.principal.readers().describe(),
            **context.audit,
        }
        # The append locks and fsyncs: off the event loop. Not abandoned if the request is cancelled
        # (a client gone, a shutdown): the worker thread finishes the write and the request waits for it.
        await anyio.to_thread.run_sync(self.audit.append, entry, abandon_on_cancel=False)

    def _authenticate(self, scope: Scope) -> ApiKey:
        if not self.keys.has_active_keys():
            if self.no_key.local_admin_allowed:
                return LOCAL
            self.no_key.note(refusing_all=True)
            raise AuthenticationError(
                "an API key is required, and this server has no active one: its operator must create one"
            )
        self.no_key.note(refusing_all=False)
        token = bearer_token(scope)
        if not token:
            raise AuthenticationError("an API key is required: send 'Authorization: Bearer <key>'")
        key = self.keys.verify(token)
        if key is None:
            raise AuthenticationError("the API key is not valid (unknown, revoked or mistyped)")
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
