"""Do the ledger, the vector store and the lexical index agree? Find where not, and repair it.

The ledger is the reference: a ``done`` document must have exactly its chunk ids (deterministic from
document, content hash, pipeline version and index) in both indexes; anything else there is an orphan.
Repair never rewrites chunks itself: it removes what should not be there and marks damaged documents
``pending`` so that the next ``enclave ingest`` redoes them with the real pipeline.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from ingest.ledger import Ledger, LedgerEntry
from rag.lexical import LexicalIndex
from rag.protocols import VectorStore
from rag.types import DocumentStatus


class ProblemKind(StrEnum):
    """How a document's stores disagree with its ledger entry."""

    INCOMPLETE = "incomplete"  # done, but chunks are missing from a store
    PENDING = "pending"  # a write that never finished
    FAILED_WITH_CHUNKS = "failed-with-chunks"  # refused, yet chunks of it remain


@dataclass(frozen=True)
class DocumentProblem:
    collection: str
    document_id: str
    source: str
    status: DocumentStatus
    problem: ProblemKind
    expected: int  # chunks the ledger records
    vectors: int  # of them found in the vector store
    lexical: int  # of them found in the lexical index


@dataclass(frozen=True)
class Orphans:
    """Chunks of one collection and document that no ``done`` ledger entry accounts for."""

    collection: str
    document_id: str
    vector_ids: list[str]
    lexical_ids: list[str]


@dataclass
class CheckReport:
    collections: list[str]
    documents: int = 0
    done: int = 0
    failed: int = 0
    vectors: int = 0
    lexical_rows: int = 0
    orphans: list[Orphans] = field(default_factory=list)
    documents_with_problems: list[DocumentProblem] = field(default_factory=list)

    @property
    def orphan_vectors(self) -> int:
        return sum(len(o.vector_ids) for o in self.orphans)

    @property
    def orphan_lexical_rows(self) -> int:
        return sum(len(o.lexical_ids) for o in self.orphans)

    @property
    def queued(self) -> list[DocumentProblem]:
        """Pending documents with nothing stored: waiting for the next ingest, not inconsistent."""
        return [
            p for p in self.documents_with_problems if p.problem is ProblemKind.PENDING and not (p.vectors or p.lexical)
        ]

    @property
    def consistent(self) -> bool:
        return not self.orphans and not self.documents_with_problems

    @property
    def consistent_but_queued(self) -> bool:
        """Nothing is wrong except documents that the next ingest will (re)do."""
        return not self.orphans and len(self.queued) == len(self.documents_with_problems)

    def to_dict(self) -> dict[str, object]:
        return {
            "consistent": self.consistent,
            "collections": self.collections,
            "documents": self.documents,
            "done": self.done,
            "failed": self.failed,
            "vectors": self.vectors,
            "lexical_rows": self.lexical_rows,
            "orphan_vectors": self.orphan_vectors,
            "orphan_lexical_rows": self.orphan_lexical_rows,
            "orphans": [asdict(o) for o in self.orphans],
            "documents_with_problems": [asdict(p) for p in self.documents_with_problems],
        }


@dataclass
class RepairReport:
    orphan_documents_removed: int = 0
    vectors_deleted: int = 0
    lexical_rows_deleted: int = 0
    requeued: list[str] = field(default_factory=list)  # sources marked pending for the next ingest

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def chunk_id_prefix(entry: LedgerEntry) -> str:
    # Same layout as ingest.pipeline.chunk_id_for, for the entry's own pipeline version.
    return f"{entry.document_id[:16]}-{entry.content_hash[:16]}-v{entry.pipeline}-"


def expected_chunk_ids(entry: LedgerEntry) -> set[str]:
    prefix = chunk_id_prefix(entry)
    return {f"{prefix}{index:05d}" for index in range(entry.chunk_count)}


def lexical_rows(lexical_path: Path, collection: str | None = None) -> dict[tuple[str, str], str]:
    """(collection, chunk id) -> document id of every row of the lexical index, read-only.

    LexicalIndex lists chunk ids but not their documents, which repair needs to delete by document.
    """
    if not lexical_path.exists():
        return {}
    db = sqlite3.connect(f"file:{lexical_path}?mode=ro", uri=True)
    try:
        query = "SELECT collection, chunk_id, document_id FROM chunk_texts"
        rows = db.execute(query + " WHERE collection = ?", (collection,)) if collection else db.execute(query)
        return {(c, chunk_id): document_id for c, chunk_id, document_id in rows}
    except sqlite3.OperationalError:  # no table yet: nothing indexed
        return {}
    finally:
        db.close()


def vector_rows(store: VectorStore, collection: str) -> dict[str, str]:
    """chunk id -> document id of every vector of a collection."""
    if collection not in store.collections():
        return {}
    return {hit.chunk_id: hit.document_id for hit in store.get_chunks(collection)}


def check_consistency(
    ledger: Ledger, store: VectorStore, lexical_path: Path, collection: str | None = None
) -> CheckReport:
    entries = ledger.entries(collection=collection)
    lexical_all = lexical_rows(lexical_path, collection)
    names = {e.collection for e in entries} | {c for c, _ in lexical_all}
    names |= set(store.collections()) if collection is None else {collection}
    report = CheckReport(collections=sorted(names))
    for name in report.collections:
        _check_collection(
            report,
            name,
            [e for e in entries if e.collection == name],
            vector_rows(store, name),
            {chunk_id: doc for (c, chunk_id), doc in lexical_all.items() if c == name},
        )
    return report


def _check_collection(
    report: CheckReport,
    collection: str,
    entries: list[LedgerEntry],
    vectors: dict[str, str],
    lexical: dict[str, str],
) -> None:
    report.documents += len(entries)
    report.vectors += len(vectors)
    report.lexical_rows += len(lexical)
    vectors_by_doc: dict[str, set[str]] = defaultdict(set)
    lexical_by_doc: dict[str, set[str]] = defaultdict(set)
    for chunk_id, doc in vectors.items():
        vectors_by_doc[doc].add(chunk_id)
    for chunk_id, doc in lexical.items():
        lexical_by_doc[doc].add(chunk_id)

    accounted: set[str] = set()
    for entry in entries:
        doc = entry.document_id
        stored_vectors, stored_lexical = vectors_by_doc.get(doc, set()), lexical_by_doc.get(doc, set())
        if entry.status is DocumentStatus.DONE:
            report.done += 1
            expected = expected_chunk_ids(entry)
            accounted |= expected
            found_vectors, found_lexical = len(expected & stored_vectors), len(expected & stored_lexical)
            if found_vectors < len(expected) or found_lexical < len(expected):
                report.documents_with_problems.append(
                    _problem(entry, ProblemKind.INCOMPLETE, found_vectors, found_lexical)
                )
        elif entry.status is DocumentStatus.PENDING:
            report.documents_with_problems.append(
                _problem(entry, ProblemKind.PENDING, len(stored_vectors), len(stored_lexical))
            )
            accounted |= stored_vectors | stored_lexical  # repaired with the document, not as orphans
        else:
            report.failed += 1
            if stored_vectors or stored_lexical:
                report.documents_with_problems.append(
                    _problem(entry, ProblemKind.FAILED_WITH_CHUNKS, len(stored_vectors), len(stored_lexical))
                )
                accounted |= stored_vectors | stored_lexical

    orphan_vectors: dict[str, list[str]] = defaultdict(list)
    orphan_lexical: dict[str, list[str]] = defaultdict(list)
    for chunk_id in sorted(set(vectors) - accounted):
        orphan_vectors[vectors[chunk_id]].append(chunk_id)
    for chunk_id in sorted(set(lexical) - accounted):
        orphan_lexical[lexical[chunk_id]].append(chunk_id)
    for doc in sorted(set(orphan_vectors) | set(orphan_lexical)):
        report.orphans.append(Orphans(collection, doc, orphan_vectors.get(doc, []), orphan_lexical.get(doc, [])))


def _problem(entry: LedgerEntry, problem: ProblemKind, vectors: int, lexical: int) -> DocumentProblem:
    return DocumentProblem(
        collection=entry.collection,
        document_id=entry.document_id,
        source=entry.source,
        status=entry.status,
        problem=problem,
        expected=entry.chunk_count,
        vectors=vectors,
        lexical=lexical,
    )


def repair(report: CheckReport, ledger: Ledger, store: VectorStore, lexical: LexicalIndex) -> RepairReport:
    """Remove orphans and partial documents from both indexes; re-queue what the ledger says is done.

    The caller holds the data dir's writer lock. Whole documents are deleted (the stores delete by
    document), so a ``done`` document touched by an orphan is re-queued too.
    """
    result = RepairReport()
    requeue: dict[tuple[str, str], LedgerEntry] = {}
    to_clear: set[tuple[str, str]] = set()
    for orphans in report.orphans:
        key = (orphans.collection, orphans.document_id)
        to_clear.add(key)
        result.orphan_documents_removed += 1
        entry = ledger.get(*key)
        if entry is not None and entry.status is DocumentStatus.DONE:
            requeue[key] = entry
    for problem in report.documents_with_problems:
        key = (problem.collection, problem.document_id)
        if problem.vectors or problem.lexical:
            to_clear.add(key)
        entry = ledger.get(*key)
        if entry is not None and entry.status is DocumentStatus.DONE:
            requeue[key] = entry
    for collection, document_id in sorted(to_clear):
        result.vectors_deleted += store.delete_document(collection, document_id)
        result.lexical_rows_deleted += lexical.delete_document(collection, document_id)
    for entry in requeue.values():
        # pending is what an interrupted run leaves: the next ingest redoes the document.
        ledger.record(replace(entry, status=DocumentStatus.PENDING))
        result.requeued.append(entry.source)
    if to_clear:
        # Deleted chunk text must not linger in free pages (as after `enclave forget`).
        lexical.compact()
        ledger.compact()
    result.requeued.sort()
    return result
