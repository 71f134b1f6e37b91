"""Principals that documents or the access map name but no API key holds: what ``enclave check`` lists.

Such a principal is accepted everywhere (groups come and go), but until a key carries it, the documents it
alone may read are read by admins only; an operator wants to know, and to spot a misspelt group.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ingest.ledger import LedgerEntry
from rag.access import EVERYONE


@dataclass(frozen=True)
class UnheldPrincipal:
    principal: str
    documents: int  # stored documents that name it among their readers
    in_access_map: bool

    def to_dict(self) -> dict[str, object]:
        return {"principal": self.principal, "documents": self.documents, "in_access_map": self.in_access_map}


def unheld_principals(
    entries: Iterable[LedgerEntry], map_principals: Iterable[str], held: Iterable[str]
) -> list[UnheldPrincipal]:
    """Every principal of ``entries``' readers or of the access map that is not ``everyone`` and not ``held``."""
    named = Counter(reader for entry in entries for reader in entry.readers or ())
    in_map = set(map_principals)
    held_set = {*held, EVERYONE}
    return [
        UnheldPrincipal(principal, named.get(principal, 0), principal in in_map)
        for principal in sorted(set(named) | in_map)
        if principal not in held_set
    ]
