"""Reading JSON Lines files, as the evaluations and label-set training take them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import InvalidInputError


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """Each non-blank line of a JSON Lines file, parsed, with its line number; InvalidInputError on a line that
    is not JSON. What a record must hold is the caller's to check."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{path}:{number} is not JSON ({exc.msg})") from exc
