"""API keys: a keys file under the data dir holding only salted hashes, roles and collection scopes."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from filelock import FileLock

from rag.access import Readers, parse_principals
from rag.errors import ConfigurationError, InvalidInputError, NotFoundError


class Permission(StrEnum):
    """What a route asks of the caller's key."""

    READ = "read"  # search, ask, list documents
    WRITE = "write"  # upload, delete documents
    TRAIN = "train"  # create, train and delete ticket label sets
    ADMIN = "admin"  # keys, audit, every collection's settings


class Role(StrEnum):
    """What a key is for; each role grants a fixed set of permissions (``ROLES``)."""

    READER = "reader"
    INGESTER = "ingester"
    TRAINER = "trainer"
    ADMIN = "admin"


ROLES: dict[Role, frozenset[Permission]] = {
    Role.READER: frozenset({Permission.READ}),
    Role.INGESTER: frozenset({Permission.READ, Permission.WRITE}),
    Role.TRAINER: frozenset({Permission.READ, Permission.TRAIN}),
    Role.ADMIN: frozenset(Permission),
}
ALL_COLLECTIONS = "*"
_PREFIX = "enc_"


@dataclass(frozen=True)
class ApiKey:
    id: str
    role: Role | None  # None: a caller not authenticated
    collections: list[str]
    salt: str
    digest: str
    created_at: str
    label: str = ""
    revoked_at: str | None = None
    # Whose documents the holder may read (rag/access.py), besides ``everyone``'s; an admin key reads all.
    principals: list[str] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def readers(self) -> Readers:
        """What this key may read: everything for an admin, else documents of its principals and ``everyone``."""
        return Readers.everything() if self.role is Role.ADMIN else Readers.holding(self.principals)

    def can(self, permission: Permission) -> bool:
        return self.role is not None and permission in ROLES[self.role]

    def sees(self, collection: str) -> bool:
        return ALL_COLLECTIONS in self.collections or collection in self.collections


@dataclass
class _Cache:
    # Modification time, size and inode together: a file rewritten twice within the clock's tick, or
    # replaced, is still seen to have changed.
    version: tuple[int, int, int] = (-1, -1, -1)
    keys: dict[str, ApiKey] = field(default_factory=dict)


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode()).hexdigest()


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` by ``data`` atomically, in a file only its owner may read from the first byte on.

    The temporary file is created with mode 0600 (``O_EXCL``: never one left behind or planted, and
    ``O_NOFOLLOW``: never through a link), then set to exactly 0600 and checked, since the umask can only
    take bits away while an inherited default ACL could add some. Callers hold the file's lock.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)  # one left by a writer that crashed: it is recreated below
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), 0o600)
            if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) != 0o600:
                raise ConfigurationError(f"cannot make {temporary} readable by its owner only")
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


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
        """The keys as the file holds them now: none when it is missing or empty.

        A file that is there but unreadable is an error, never "no keys": it must not turn a server
        into one without authentication.
        """
        try:
            status = self.path.stat()
        except FileNotFoundError:
            return {}
        version = (status.st_mtime_ns, status.st_size, status.st_ino)
        with self._lock:
            if version != self._cache.version:
                try:
                    text = self.path.read_text("utf-8")
                    records = json.loads(text) if text.strip() else []
                    keys = {r["id"]: ApiKey(**{**r, "role": Role(r["role"])}) for r in records}
                except FileNotFoundError:
                    return {}
                except (OSError, ValueError, TypeError, KeyError) as exc:
                    raise ConfigurationError(
                        "the API keys file cannot be read", cause=f"{self.path}: {type(exc).__name__}: {exc}"
                    ) from exc
                self._cache = _Cache(version, keys)
            return self._cache.keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        write_private(self.path, json.dumps([asdict(k) for k in keys.values()], indent=2).encode())

    def keys(self) -> list[ApiKey]:
        return sorted(self._load().values(), key=lambda key: key.created_at)

    def has_active_keys(self) -> bool:
        return any(key.active for key in self._load().values())

    def create(
        self, role: Role | str, collections: list[str], label: str = "", principals: Sequence[str] = ()
    ) -> tuple[ApiKey, str]:
        """A new key and its token; the token is shown once and never stored."""
        if role not in set(Role):
            raise InvalidInputError(f"role must be one of {', '.join(Role)}")
        if not collections:
            raise InvalidInputError("a key needs at least one collection (or '*' for all)")
        readers = list(parse_principals(principals))
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        with self._file_lock:
            keys = dict(self._load())
            key_id = secrets.token_hex(6)
            key = ApiKey(
                id=key_id,
                role=Role(role),
                collections=sorted(set(collections)),
                salt=salt,
                digest=_digest(salt, secret),
                created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                label=label,
                principals=readers,
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
