"""The audit trail: append-only JSON Lines, each record chained to the previous one by a keyed MAC.

Records hold the redacted question, the ids of the chunks returned and counts, never raw text.

Each record carries ``prev`` (the previous record's MAC), ``mac_key`` (the id of the key that signed it)
and ``mac``, an HMAC-SHA256 of everything else in it. A head file keeps the count and the last MAC,
itself MAC-ed, so removing records at the end is detected too. The keys are kept apart from the log, in
a file only its owner may read (``ENCLAVE_AUDIT_KEY_PATH``; by default ``audit.key`` beside the log),
created on first use.

Rotation (``rotate_key``) adds a new key and makes it the one that signs; the older keys stay in the key
file, by id, so the records they signed still verify. Since each MAC covers the previous record's MAC,
and the head is signed with the current key, whoever holds only an older key cannot rewrite the records
before a rotation without breaking the first record after it, nor cut the log back to them.

What verification proves: no record was changed, removed, inserted or reordered, and the end was not cut
off, by anyone who does not hold the key. What it cannot prove: anything against someone who can read the
key file (they can rewrite it all and sign it again), nor that the whole log and its head were not deleted
or put back as an older copy of both. Records written before the trail had a key (plain SHA-256 chain) are
reported as unkeyed, since anyone can recompute their hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock

from api.keys import write_private
from rag.errors import ConfigurationError, InvalidInputError

GENESIS = "0" * 64
_KEY_BYTES = 32


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def record_hash(record: dict[str, Any]) -> str:
    """The plain SHA-256 of an unkeyed record (the format before the trail had a key)."""
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def record_mac(secret: bytes, record: dict[str, Any]) -> str:
    return hmac.new(secret, _canonical({k: v for k, v in record.items() if k != "mac"}), hashlib.sha256).hexdigest()


def _head_mac(secret: bytes, seq: int, last: str, key_id: str) -> str:
    # "head" keeps a head's MAC from ever being taken for a record's.
    body = {"head": True, "seq": seq, "hash": last, "mac_key": key_id}
    return hmac.new(secret, _canonical(body), hashlib.sha256).hexdigest()


_AGE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str) -> datetime:
    """An ISO date or time (UTC unless it says otherwise), or an age such as ``30m``, ``2h`` or ``7d``."""
    if value[-1:] in _AGE_UNITS and value[:-1].isdigit():
        return datetime.now(UTC) - timedelta(**{_AGE_UNITS[value[-1]]: int(value[:-1])})
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInputError("since must be an ISO date or time, or an age such as 30m, 2h or 7d") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    mac_key: str | None = None
    mac: str | None = None


@dataclass(frozen=True)
class AuditKeys:
    """The MAC keys by id, oldest first; ``current`` signs new records."""

    current: str
    secrets: dict[str, bytes]

    def age(self, key_id: str) -> int:
        return list(self.secrets).index(key_id)

    def to_bytes(self) -> bytes:
        keys = [{"id": key_id, "secret": secret.hex()} for key_id, secret in self.secrets.items()]
        return json.dumps({"current": self.current, "keys": keys}, indent=2).encode()

    @classmethod
    def from_json(cls, text: str) -> AuditKeys:
        data = json.loads(text)
        keys = {str(item["id"]): bytes.fromhex(item["secret"]) for item in data["keys"]}
        if data["current"] not in keys or any(len(secret) < 16 for secret in keys.values()):
            raise ValueError("the current key is missing, or a key is too short")
        return cls(str(data["current"]), keys)

    def with_new_key(self) -> AuditKeys:
        key_id = secrets.token_hex(4)
        while key_id in self.secrets:
            key_id = secrets.token_hex(4)
        return AuditKeys(key_id, {**self.secrets, key_id: secrets.token_bytes(_KEY_BYTES)})


def _line_span(lines: list[int]) -> str:
    return f"line {lines[0]}" if len(lines) == 1 else f"lines {lines[0]} to {lines[-1]}"


class AuditLog:
    def __init__(self, path: Path, key_path: Path | None = None) -> None:
        self.path = path
        self.head_path = path.with_name(path.name + ".head")
        self.key_path = key_path or path.with_suffix(".key")
        self._lock = threading.Lock()
        self._file_lock = FileLock(str(path) + ".lock")
        self._keys: tuple[tuple[int, int, int], AuditKeys] | None = None

    def _read_keys(self) -> AuditKeys | None:
        """The key file as it is now (re-read when it changes, so a rotation reaches a running server)."""
        try:
            status = self.key_path.stat()
            version = (status.st_mtime_ns, status.st_size, status.st_ino)
            if self._keys is None or self._keys[0] != version:
                self._keys = (version, AuditKeys.from_json(self.key_path.read_text("utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ConfigurationError(
                "the audit trail's key file cannot be read", cause=f"{self.key_path}: {type(exc).__name__}: {exc}"
            ) from exc
        return self._keys[1]

    def _write_keys(self, keys: AuditKeys) -> None:
        write_private(self.key_path, keys.to_bytes())

    def _keys_for_writing(self) -> AuditKeys:
        keys = self._read_keys()
        if keys is None:
            keys = AuditKeys("", {}).with_new_key()
            self._write_keys(keys)
        return keys

    def _head(self) -> Head:
        try:
            data = json.loads(self.head_path.read_text("utf-8"))
            return Head(int(data["seq"]), str(data["hash"]), data.get("mac_key"), data.get("mac"))
        except FileNotFoundError:
            return Head(0, GENESIS)

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """Write ``entry`` as the next record, on disk (fsync) before this returns. Blocking: call it
        from a worker thread in async code."""
        with self._lock, self._file_lock:
            return self._append(self._keys_for_writing(), entry)

    def _append(self, keys: AuditKeys, entry: dict[str, Any]) -> dict[str, Any]:
        head = self._head()
        record = {
            **entry,
            "seq": head.seq + 1,
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "prev": head.hash,
            "mac_key": keys.current,
        }
        secret = keys.secrets[keys.current]
        record["mac"] = record_mac(secret, record)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        seq, last = int(record["seq"]), str(record["mac"])
        head_record = {
            "seq": seq,
            "hash": last,
            "mac_key": keys.current,
            "mac": _head_mac(secret, seq, last, keys.current),
        }
        temporary = self.head_path.with_suffix(".tmp")
        temporary.write_text(json.dumps(head_record), "utf-8")
        temporary.replace(self.head_path)
        return record

    def rotate_key(self) -> str:
        """Sign from now on with a new key (older ones are kept to verify older records); its id.

        The rotation is itself a record, the first one the new key signs."""
        with self._lock, self._file_lock:
            previous = self._keys_for_writing()
            keys = previous.with_new_key()
            self._write_keys(keys)
            self._append(
                keys,
                {
                    "event": "audit key rotated",
                    "previous_mac_key": previous.current,
                    "key_id": "(operator)",
                    "method": "CLI",
                    "route": "enclave audit rotate-key",
                },
            )
            return keys.current

    def records(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record: dict[str, Any] = json.loads(line)
                if since is None or datetime.fromisoformat(record["time"]) >= since:
                    yield record

    def verify(self) -> list[str]:
        """Every inconsistency found: a changed, removed, inserted or reordered record, a cut tail, and
        records that cannot be verified (unkeyed, or signed with a key the key file does not hold)."""
        with self._lock, self._file_lock:
            try:
                keys = self._read_keys()
            except ConfigurationError as exc:
                return [f"{exc.detail} ({exc.cause})"]
            problems, previous, count, unkeyed, unknown = self._verify_records(keys)
            head = self._head()
        if keys is None and count:
            problems.insert(0, f"no audit key file at {self.key_path}: no record can be verified")
        if unkeyed:
            problems.append(
                f"{len(unkeyed)} unkeyed records ({_line_span(unkeyed)}), written before the audit trail had a key "
                "or stripped of their MACs: anyone who can rewrite the file can recompute their hashes"
            )
        for key_id, lines in unknown.items():
            problems.append(
                f"{len(lines)} records ({_line_span(lines)}) signed with audit key {key_id!r}, which "
                f"{self.key_path} does not hold: they cannot be verified"
            )
        if head.seq != count or head.hash != previous:
            problems.append(f"the log ends at record {count} but {head.seq} were written")
        if head.seq:
            problems.extend(self._verify_head(head, keys))
        return problems

    def _verify_records(self, keys: AuditKeys | None) -> tuple[list[str], str, int, list[int], dict[str, list[int]]]:
        problems: list[str] = []
        unkeyed: list[int] = []
        unknown: dict[str, list[int]] = {}
        previous = GENESIS
        expected_seq = 1
        newest_key = -1
        if not self.path.exists():
            return problems, previous, 0, unkeyed, unknown
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    problems.append(f"line {number}: not a JSON record")
                    continue
                if record.get("seq") != expected_seq:
                    problems.append(f"line {number}: sequence {record.get('seq')} where {expected_seq} was due")
                if record.get("prev") != previous:
                    problems.append(f"line {number}: does not follow the previous record (removed or reordered)")
                mac = record.get("mac")
                key_id = str(record.get("mac_key"))
                if mac is None:
                    unkeyed.append(number)
                    if record.get("hash") != record_hash(record):
                        problems.append(f"line {number}: content changed after it was written")
                    previous = str(record.get("hash"))
                elif keys is None or key_id not in keys.secrets:
                    unknown.setdefault(key_id, []).append(number)
                    previous = str(mac)
                else:
                    if not hmac.compare_digest(str(mac), record_mac(keys.secrets[key_id], record)):
                        problems.append(f"line {number}: content changed after it was written (its MAC does not match)")
                    elif keys.age(key_id) < newest_key:
                        problems.append(f"line {number}: signed with an audit key retired before the previous record")
                    newest_key = max(newest_key, keys.age(key_id))
                    previous = str(mac)
                expected_seq = int(record.get("seq", expected_seq)) + 1
        return problems, previous, expected_seq - 1, unkeyed, unknown

    def _verify_head(self, head: Head, keys: AuditKeys | None) -> list[str]:
        if head.mac is None or head.mac_key is None:
            return ["the head file is unkeyed: a cut at the end of the log cannot be detected"]
        if keys is None or head.mac_key not in keys.secrets:
            return [f"the head file is signed with audit key {head.mac_key!r}, which {self.key_path} does not hold"]
        expected = _head_mac(keys.secrets[head.mac_key], head.seq, head.hash, head.mac_key)
        if not hmac.compare_digest(head.mac, expected):
            return ["the head file was changed after it was written (its MAC does not match)"]
        if head.mac_key != keys.current:
            return ["the head file is signed with a retired audit key: records after the rotation may have been cut"]
        return []
