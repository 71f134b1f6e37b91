"""API keys: a keys file under the data dir holding only salted hashes, roles and collection scopes."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from rag.errors import InvalidInputError, NotFoundError

ROLES: dict[str, frozenset[str]] = {
    "reader": frozenset({"read"}),
    "ingester": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}
ALL_COLLECTIONS = "*"
_PREFIX = "enc_"


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: str
    collections: list[str]
    salt: str
    digest: str
    created_at: str
    label: str = ""
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def can(self, verb: str) -> bool:
        return verb in ROLES.get(self.role, frozenset())

    def sees(self, collection: str) -> bool:
        return ALL_COLLECTIONS in self.collections or collection in self.collections


@dataclass
class _Cache:
    mtime_ns: int = -1
    keys: dict[str, ApiKey] = field(default_factory=dict)


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


class KeyStore:
    """Keys are random 256-bit secrets, so one salted SHA-256 is enough to store them safely.

    The file is re-read when it changes, so ``enclave keys revoke`` takes effect in a running server.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file_lock = FileLock(str(path) + ".lock")
        self._cache = _Cache()
        self._lock = threading.Lock()

    def _load(self) -> dict[str, ApiKey]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        with self._lock:
            if mtime != self._cache.mtime_ns:
                records = json.loads(self.path.read_text("utf-8"))
                self._cache = _Cache(mtime, {r["id"]: ApiKey(**r) for r in records})
            return self._cache.keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps([asdict(k) for k in keys.values()], indent=2), "utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    def keys(self) -> list[ApiKey]:
        return sorted(self._load().values(), key=lambda key: key.created_at)

    def has_active_keys(self) -> bool:
        return any(key.active for key in self._load().values())

    def create(self, role: str, collections: list[str], label: str = "") -> tuple[ApiKey, str]:
        """A new key and its token; the token is shown once and never stored."""
        if role not in ROLES:
            raise InvalidInputError(f"role must be one of {', '.join(ROLES)}")
        if not collections:
            raise InvalidInputError("a key needs at least one collection (or '*' for all)")
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        with self._file_lock:
            keys = dict(self._load())
            key_id = secrets.token_hex(6)
            key = ApiKey(
                id=key_id,
                role=role,
                collections=sorted(set(collections)),
                salt=salt,
                digest=_digest(salt, secret),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                label=label,
            )
            keys[key_id] = key
            self._save(keys)
        return key, f"{_PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        with self._file_lock:
            keys = dict(self._load())
            if key_id not in keys:
                raise NotFoundError(f"no key with id {key_id!r}")
            revoked = ApiKey(**{**asdict(keys[key_id]), "revoked_at": datetime.now(UTC).isoformat(timespec="seconds")})
            keys[key_id] = revoked
            self._save(keys)
        return revoked

    def verify(self, token: str) -> ApiKey | None:
        if not token.startswith(_PREFIX):
            return None
        key_id, _, secret = token[len(_PREFIX) :].partition("_")
        key = self._load().get(key_id)
        if key is None or not key.active or not secret:
            return None
        return key if hmac.compare_digest(key.digest, _digest(key.salt, secret)) else None
