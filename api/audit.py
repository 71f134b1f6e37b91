"""The audit trail: append-only JSON Lines, each record chained to the previous one by its hash.

Records hold the redacted question, the ids of the chunks returned and counts, never raw text. A
head file keeps the count and the last hash, so removing records at the end is detected too.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from filelock import FileLock

from rag.errors import InvalidInputError

GENESIS = "0" * 64


def _canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


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


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.head_path = path.with_name(path.name + ".head")
        self._lock = threading.Lock()
        self._file_lock = FileLock(str(path) + ".lock")

    def _head(self) -> Head:
        try:
            data = json.loads(self.head_path.read_text("utf-8"))
            return Head(int(data["seq"]), str(data["hash"]))
        except FileNotFoundError:
            return Head(0, GENESIS)

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock, self._file_lock:
            head = self._head()
            record = {
                "seq": head.seq + 1,
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                **entry,
                "prev": head.hash,
            }
            record["hash"] = record_hash(record)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            temporary = self.head_path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"seq": record["seq"], "hash": record["hash"]}), "utf-8")
            temporary.replace(self.head_path)
            return record

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
        """Every inconsistency found: a changed, removed, inserted or reordered record, or a cut tail."""
        problems: list[str] = []
        previous = GENESIS
        expected_seq = 1
        if self.path.exists():
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
                    if record.get("hash") != record_hash(record):
                        problems.append(f"line {number}: content changed after it was written")
                    previous = str(record.get("hash"))
                    expected_seq = int(record.get("seq", expected_seq)) + 1
        head = self._head()
        if head.seq != expected_seq - 1 or head.hash != previous:
            problems.append(f"the log ends at record {expected_seq - 1} but {head.seq} were written")
        return problems
