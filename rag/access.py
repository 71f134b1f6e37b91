"""Who may read a document: its readers (principals), and the filter a caller's principals put on retrieval.

A principal is ``everyone``, ``user:<name>`` or ``group:<name>``. Each document records the principals that may
read it (from the drive's permissions or an access map, at ingest); each API key carries the principals of its
holder. A caller reads a document when they share a principal with it; everyone holds ``everyone``; an admin
reads everything. The filter is applied inside retrieval (the dense search among the readable chunks only, see
rag/retriever.py; the lexical index's SQL and in-memory ranking), so a chunk the caller may not read never
reaches ranking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rag.errors import InvalidInputError

EVERYONE = "everyone"
# One boolean metadata key per reader on every chunk in the vector store: ``reader:group:hr = true``. Flags,
# not a list value, so that any Chroma version filters them and a reader is taken away by one update.
READER_KEY_PREFIX = "reader:"
_NAME = r"[^\s:,][^\s,]{0,127}"
_PRINCIPAL = re.compile(rf"(?:user|group):{_NAME}")


def parse_principal(value: str) -> str:
    """``value`` as a principal (surrounding spaces dropped), or InvalidInputError saying what is expected."""
    principal = value.strip()
    if principal == EVERYONE or _PRINCIPAL.fullmatch(principal):
        return principal
    raise InvalidInputError(
        f"invalid principal {value!r}: use 'everyone', 'user:<name>' or 'group:<name>' (no spaces or commas)"
    )


def parse_principals(values: Iterable[str]) -> tuple[str, ...]:
    """Principals, validated, without duplicates, sorted: the form every store keeps."""
    return tuple(sorted({parse_principal(value) for value in values}))


def split_principals(text: str) -> tuple[str, ...]:
    """Principals from a comma-separated list (``group:hr,user:alice``); an empty text gives none."""
    return parse_principals(part for part in text.split(",") if part.strip())


def reader_flags(readers: Iterable[str]) -> dict[str, str | int | float | bool]:
    """The vector-store metadata that records a document's readers."""
    return {READER_KEY_PREFIX + reader: True for reader in readers}


def without_reader_flags(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """Chunk metadata as callers see it: the reader flags are the store's business, not the caller's."""
    return {key: value for key, value in metadata.items() if not key.startswith(READER_KEY_PREFIX)}


@dataclass(frozen=True)
class Readers:
    """What a caller may read: ``principals`` None for everything (an admin, the operator's own CLI), else the
    documents that name one of them (``everyone`` always among them)."""

    principals: frozenset[str] | None = None

    @classmethod
    def everything(cls) -> Readers:
        return cls(None)

    @classmethod
    def holding(cls, principals: Iterable[str]) -> Readers:
        """A caller holding ``principals``, who like everyone also reads ``everyone`` documents."""
        return cls(frozenset({EVERYONE, *parse_principals(principals)}))

    @property
    def unrestricted(self) -> bool:
        return self.principals is None

    def may_read(self, readers: Iterable[str] | None) -> bool:
        """Whether a document with these readers is visible to this caller; readers None (not known, as for a
        file that failed before its permissions were read) only to an unrestricted caller."""
        if self.principals is None:
            return True
        return readers is not None and not self.principals.isdisjoint(readers)

    def chroma_where(self) -> dict[str, Any] | None:
        """The vector store's ``where`` clause for this caller; None when nothing is filtered."""
        if self.principals is None:
            return None
        conditions = [{READER_KEY_PREFIX + principal: True} for principal in sorted(self.principals)]
        return conditions[0] if len(conditions) == 1 else {"$or": conditions}

    def describe(self) -> list[str] | str:
        """As the audit trail records it: the principals, or ``"all"``."""
        return "all" if self.principals is None else sorted(self.principals)
