"""Measure retrieval on a BEIR-layout data set: nDCG@10, recall@10 and recall@100 per search mode.

Data set, as BEIR ships it: ``corpus.jsonl`` (``{"_id", "title", "text"}`` per line), ``queries.jsonl``
(``{"_id", "text"}``) and a qrels TSV (``query-id``, ``corpus-id``, ``score``, after a header line).

Each corpus entry is ingested as one document through the real ingestion pipeline (redaction, chunking,
embedding, both indexes), and each query is redacted and searched as ``enclave search`` does it, in the
dense, lexical and fused (hybrid) modes. Hits are chunks: a document ranks where its best chunk ranks.

Metrics, per query, then averaged over the queries that have at least one relevant document:

- nDCG@k: DCG of the top k documents, with the qrels score as gain and ``1 / log2(rank + 1)`` as
  discount (trec_eval's definition, which BEIR reports), divided by the DCG of the ideal ranking.
- recall@k: relevant documents (score > 0) in the top k, divided by all relevant documents.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag.errors import InvalidInputError
from rag.jsonl import read_jsonl
from rag.protocols import Redactor
from rag.retriever import SearchFilters, SearchMode
from rag.types import FileOutcomeStatus, SearchHit

# The two rankings alone, then fused: what fusion adds is read off the last row.
MODES: tuple[SearchMode, ...] = (SearchMode.DENSE, SearchMode.LEXICAL, SearchMode.HYBRID)
DEPTH = 100
CUTOFFS = (10, 100)
# Documents of the corpus are labelled with this root, so that their ids never meet a real folder's.
ROOT = "beir-corpus"


@dataclass(frozen=True)
class CorpusEntry:
    id: str
    title: str
    text: str

    def document_text(self) -> str:
        # BEIR's models read title and text together; so does the lexical index here.
        return f"{self.title}\n\n{self.text}" if self.title.strip() else self.text


@dataclass(frozen=True)
class BeirDataset:
    corpus: tuple[CorpusEntry, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]

    def judged_queries(self) -> dict[str, str]:
        """Queries with at least one relevant document: the only ones a ranking metric can score."""
        return {
            query_id: text
            for query_id, text in self.queries.items()
            if any(score > 0 for score in self.qrels.get(query_id, {}).values())
        }


class IngestOutcome(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def document_id(self) -> str | None: ...

    @property
    def reason(self) -> str | None: ...


class DocumentIngester(Protocol):
    """The ingestion pipeline's entry point for one document's bytes."""

    def ingest_bytes(self, data: bytes, *, collection: str, root: str, source: str, path: str) -> IngestOutcome: ...


class Searcher(Protocol):
    def search(
        self,
        query: str,
        collection: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[SearchHit]: ...


# --- loading --------------------------------------------------------------------------------------


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for number, row in read_jsonl(path):
        if not isinstance(row, dict) or not isinstance(row.get("_id"), str | int):
            raise InvalidInputError(f"{path}:{number} has no '_id'")
        rows.append(row)
    return rows


def load_beir(corpus_path: Path, queries_path: Path, qrels_path: Path) -> BeirDataset:
    """Read a BEIR-layout data set; raises InvalidInputError on a malformed file."""
    corpus = tuple(
        CorpusEntry(str(row["_id"]), str(row.get("title") or ""), str(row.get("text") or ""))
        for row in _jsonl(corpus_path)
    )
    if len({entry.id for entry in corpus}) != len(corpus):
        raise InvalidInputError(f"{corpus_path} repeats a corpus id")
    queries = {str(row["_id"]): str(row.get("text") or "") for row in _jsonl(queries_path)}
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)  # header: query-id, corpus-id, score
        for row in reader:
            if not row or not "".join(row).strip():
                continue
            if len(row) < 3:
                raise InvalidInputError(f"{qrels_path}:{reader.line_num} needs query-id, corpus-id and score")
            try:
                score = int(float(row[2]))
            except ValueError as exc:
                raise InvalidInputError(f"{qrels_path}:{reader.line_num} has a score that is not a number") from exc
            qrels.setdefault(row[0], {})[row[1]] = score
    return BeirDataset(corpus=corpus, queries=queries, qrels=qrels)


# --- metrics --------------------------------------------------------------------------------------


def dcg_at_k(gains: Sequence[float], k: int) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains[:k], start=1))


def ndcg_at_k(ranking: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    """nDCG@k of ``ranking`` (document ids, best first) against graded judgments."""
    ideal = dcg_at_k(sorted((float(s) for s in relevance.values() if s > 0), reverse=True), k)
    if ideal == 0.0:
        return 0.0
    return dcg_at_k([float(max(relevance.get(doc, 0), 0)) for doc in ranking], k) / ideal


def recall_at_k(ranking: Sequence[str], relevance: Mapping[str, int], k: int) -> float:
    relevant = {doc for doc, score in relevance.items() if score > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def document_ranking(hits: Sequence[SearchHit], corpus_ids: Mapping[str, str]) -> list[str]:
    """Corpus ids in the order of their best chunk; chunks of unknown documents are ignored."""
    ranking: list[str] = []
    seen: set[str] = set()
    for hit in hits:
        corpus_id = corpus_ids.get(hit.document_id)
        if corpus_id is not None and corpus_id not in seen:
            seen.add(corpus_id)
            ranking.append(corpus_id)
    return ranking


# --- the run --------------------------------------------------------------------------------------


@dataclass
class ModeScores:
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    seconds: float

    def to_dict(self) -> dict[str, float]:
        return {
            "ndcg@10": round(self.ndcg_at_10, 4),
            "recall@10": round(self.recall_at_10, 4),
            "recall@100": round(self.recall_at_100, 4),
            "seconds": round(self.seconds, 2),
        }


@dataclass
class RetrievalReport:
    corpus: int
    queries: int
    judged_queries: int
    collection: str
    ingested: int
    failed: dict[str, str]
    ingest_seconds: float
    modes: dict[str, ModeScores]
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "queries": self.queries,
            "judged_queries": self.judged_queries,
            "collection": self.collection,
            "depth": DEPTH,
            "ingested": self.ingested,
            "failed": self.failed,
            "ingest_seconds": round(self.ingest_seconds, 2),
            "modes": {mode: scores.to_dict() for mode, scores in self.modes.items()},
        }


def ingest_corpus(
    ingester: DocumentIngester,
    corpus: Sequence[CorpusEntry],
    collection: str,
    on_entry: Callable[[], None] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """Ingest each entry as one document; returns document id -> corpus id, and the failures by corpus id."""
    corpus_ids: dict[str, str] = {}
    failed: dict[str, str] = {}
    for entry in corpus:
        outcome = ingester.ingest_bytes(
            entry.document_text().encode("utf-8"),
            collection=collection,
            root=ROOT,
            source=f"{entry.id}.txt",
            path=f"{ROOT}/{entry.id}.txt",
        )
        if outcome.status is FileOutcomeStatus.FAILED or outcome.document_id is None:
            failed[entry.id] = outcome.reason or "failed"
        else:
            corpus_ids[outcome.document_id] = entry.id
        if on_entry is not None:
            on_entry()
    return corpus_ids, failed


def evaluate(
    dataset: BeirDataset,
    *,
    ingester: DocumentIngester,
    searcher: Searcher,
    redactor: Redactor,
    collection: str,
    modes: Sequence[SearchMode] = MODES,
    on_entry: Callable[[], None] | None = None,
    on_query: Callable[[], None] | None = None,
) -> RetrievalReport:
    """Ingest the corpus into ``collection``, search every judged query in each mode, score the rankings."""
    began = time.perf_counter()
    corpus_ids, failed = ingest_corpus(ingester, dataset.corpus, collection, on_entry)
    ingest_seconds = time.perf_counter() - began
    judged = dataset.judged_queries()
    sums = {mode: dict.fromkeys(("ndcg@10", "recall@10", "recall@100", "seconds"), 0.0) for mode in modes}
    per_query: dict[str, dict[str, float]] = {}
    for query_id, text in judged.items():
        relevance = dataset.qrels[query_id]
        # As `enclave search` does: only the redacted question is embedded and searched.
        redacted = redactor.redact(text).text
        for mode in modes:
            started = time.perf_counter()
            hits = searcher.search(redacted, collection, top_k=DEPTH, mode=mode)
            sums[mode]["seconds"] += time.perf_counter() - started
            ranking = document_ranking(hits, corpus_ids)
            scores = {
                "ndcg@10": ndcg_at_k(ranking, relevance, 10),
                "recall@10": recall_at_k(ranking, relevance, 10),
                "recall@100": recall_at_k(ranking, relevance, 100),
            }
            per_query[f"{query_id}/{mode}"] = scores
            for name, value in scores.items():
                sums[mode][name] += value
        if on_query is not None:
            on_query()
    count = max(len(judged), 1)
    return RetrievalReport(
        corpus=len(dataset.corpus),
        queries=len(dataset.queries),
        judged_queries=len(judged),
        collection=collection,
        ingested=len(corpus_ids),
        failed=failed,
        ingest_seconds=ingest_seconds,
        modes={
            mode: ModeScores(
                ndcg_at_10=totals["ndcg@10"] / count,
                recall_at_10=totals["recall@10"] / count,
                recall_at_100=totals["recall@100"] / count,
                seconds=totals["seconds"],
            )
            for mode, totals in sums.items()
        },
        per_query=per_query,
    )
