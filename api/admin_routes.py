"""Who the caller is, and for admin keys the audit trail and the API keys (never their hashes), as JSON."""

from __future__ import annotations

from collections import deque
from typing import Annotated, Any

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from pydantic import BaseModel, Field

from api.audit import parse_since
from api.keys import Permission, Role
from api.security import RequestContext
from api.services import Services


class Principal(BaseModel):
    key_id: str
    role: Role | None
    collections: list[str]
    principals: list[str] = Field(description="Whose documents the key reads besides everyone's (admins: all).")
    label: str
    auth_required: bool = Field(description="False when no key is configured (loopback only): the server is open.")
    default_collection: str


class AuditPage(BaseModel):
    records: list[dict[str, Any]] = Field(description="Matching records, newest first.")
    matched: int = Field(description="How many records matched, before the limit.")


class KeyItem(BaseModel):
    id: str
    role: Role | None
    collections: list[str]
    principals: list[str]
    label: str
    created_at: str
    revoked_at: str | None
    active: bool


class KeyList(BaseModel):
    keys: list[KeyItem]


@get("/v1/me", tags=["access"], sync_to_thread=False)
def me(services: NamedDependency[Services], context: NamedDependency[RequestContext]) -> Principal:
    """The key this request was made with: its role and collections (what the web page may offer)."""
    principal = context.principal
    return Principal(
        key_id=principal.id,
        role=principal.role,
        collections=principal.collections,
        principals=principal.principals,
        label=principal.label,
        auth_required=services.keys.has_active_keys(),
        default_collection=services.settings.default_collection,
    )


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["admin"]  # noqa: RUF012  (Litestar declares it as an instance attribute)

    @get("/audit", sync_to_thread=True)
    def audit(
        self,
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
        key_id: Annotated[str | None, QueryParameter(description="Only this key's requests.")] = None,
        route: Annotated[str | None, QueryParameter(description="Only routes starting with this.")] = None,
        collection: Annotated[str | None, QueryParameter(description="Only requests on this collection.")] = None,
        status: Annotated[int | None, QueryParameter(description="Only this HTTP status.", ge=100, le=599)] = None,
        since: Annotated[str | None, QueryParameter(description="ISO date/time, or an age like 2h or 7d.")] = None,
        limit: Annotated[int, QueryParameter(description="At most this many records.", ge=1, le=1000)] = 100,
    ) -> AuditPage:
        """The audit trail, newest first (admin keys only): redacted questions, chunk ids, statuses."""
        context.require(Permission.ADMIN)
        start = parse_since(since) if since else None
        newest: deque[dict[str, Any]] = deque(maxlen=limit)
        matched = 0
        for record in services.audit.records(start):
            if key_id and record.get("key_id") != key_id:
                continue
            if route and not str(record.get("route", "")).startswith(route):
                continue
            if collection and record.get("collection") != collection:
                continue
            if status is not None and record.get("status") != status:
                continue
            matched += 1
            newest.append(record)
        return AuditPage(records=list(reversed(newest)), matched=matched)

    @get("/keys", sync_to_thread=True)
    def keys(self, services: NamedDependency[Services], context: NamedDependency[RequestContext]) -> KeyList:
        """Every API key with its role, collections and dates (admin keys only); never a secret or hash."""
        context.require(Permission.ADMIN)
        return KeyList(
            keys=[
                KeyItem(
                    id=key.id,
                    role=key.role,
                    collections=key.collections,
                    principals=key.principals,
                    label=key.label,
                    created_at=key.created_at,
                    revoked_at=key.revoked_at,
                    active=key.active,
                )
                for key in services.keys.keys()  # noqa: SIM118  (a KeyStore, not a dict)
            ]
        )
