"""Hybrid retrieval: dense (Chroma) and lexical (FTS5 BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np

from rag.access import Readers
from rag.errors import CollectionNotFoundError, InvalidInputError
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, VectorStore
from rag.readable_vectors import ReadableVectors
from rag.types import SearchHit

# Beyond this many readable chunks, the reader flags filter the dense search instead of the list of their ids.
MAX_READABLE_IDS = 200_000


class SearchMode(StrEnum):
    """Which rankings a search uses: both fused by reciprocal rank, or one alone."""

    HYBRID = "hybrid"
    DENSE = "dense"
    LEXICAL = "lexical"


def search_mode(value: str) -> SearchMode:
    """The mode named ``value``; InvalidInputError naming the valid ones otherwise."""
    try:
        return SearchMode(value)
    except ValueError:
        valid = ", ".join(mode.value for mode in SearchMode)
        raise InvalidInputError(f"unknown search mode {value!r}: use one of {valid}") from None


def require_collection(store: VectorStore, collection: str) -> None:
    """Raise CollectionNotFoundError unless the store holds ``collection``."""
    if collection not in store.collections():
        raise CollectionNotFoundError(f"no collection named {collection!r}")


@dataclass(frozen=True)
class SearchFilters:
    """What a search may return: a source, a page range, and the documents the caller may read (``readers``;
    everything by default, for the operator's own commands: every API route sets it from the caller's key)."""

    source: str | None = None
    page_min: int | None = None
    page_max: int | None = None
    readers: Readers = field(default_factory=Readers.everything)

    def __post_init__(self) -> None:
        if self.page_min is not None and self.page_max is not None and self.page_min > self.page_max:
            raise InvalidInputError(f"page range {self.page_min}-{self.page_max} is empty")

    def chroma_where(self, readers: bool = False) -> dict[str, Any] | None:
        """The vector store's ``where`` for the source and pages, and for the readers when ``readers`` (the readers
        are otherwise applied as the ids of the readable chunks, which Chroma filters far faster)."""
        conditions: list[dict[str, Any]] = []
        if readers and (readable := self.readers.chroma_where()) is not None:
            conditions.append(readable)
        if self.source is not None:
            conditions.append({"source": self.source})
        if self.page_min is not None:
            conditions.append({"page": {"$gte": self.page_min}})
        if self.page_max is not None:
            conditions.append({"page": {"$lte": self.page_max}})
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def reciprocal_rank_fusion(rankings: Sequence[Sequence[SearchHit]], k: int = 60) -> list[tuple[SearchHit, float]]:
    """Each hit scores the sum of 1 / (k + rank) over the rankings it appears in; best first."""
    scores: dict[str, float] = {}
    hits: dict[str, SearchHit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.chunk_id] = scores.get(hit.chunk_id, 0.0) + 1.0 / (k + rank)
            hits.setdefault(hit.chunk_id, hit)
    ordered = sorted(scores, key=lambda chunk_id: scores[chunk_id], reverse=True)
    return [(hits[chunk_id], scores[chunk_id]) for chunk_id in ordered]


class HybridRetriever:
    """Searches already-redacted queries. Every hit carries its cosine ``similarity`` in metadata."""

    def __init__(
        self, embedder: Embedder, store: VectorStore, lexical: LexicalIndex, candidates: int = 40, rrf_k: int = 60
    ) -> None:
        self._embedder = embedder
        self._store = store
        self._lexical = lexical
        self._candidates = candidates
        self._rrf_k = rrf_k
        self._readable = ReadableVectors(store)
        # Lexical searches overlap the dense side of each query; a few threads serve concurrent queries.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lexical")
        # The exported embedders (OpenVINO, ONNX Runtime) share the cores with SQLite well enough for the lexical
        # ranking to overlap the query's embedding too: at 100k chunks on a 2-core Zen 3 the dense and lexical
        # sides then took p95 47 ms instead of 55. torch's threads stall when SQLite takes a core, so with torch
        # the query is embedded first, alone.
        self._lexical_during_embedding = getattr(embedder, "backend", "torch") != "torch"

    def close(self) -> None:
        """Stop the lexical threads. Queued lexical searches are dropped: nobody waits for them once we close."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def search(
        self,
        query: str,
        collection: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode | str = SearchMode.HYBRID,
    ) -> list[SearchHit]:
        mode = search_mode(mode)
        filters = filters or SearchFilters()
        depth = max(self._candidates, top_k)
        if mode is SearchMode.LEXICAL:
            # The lexical index has no notion of collections (an unknown one has no rows), so it would answer an
            # empty ranking where the dense side raises: the store decides what exists, for every mode.
            require_collection(self._store, collection)

        def lexical_search() -> list[SearchHit]:
            return self._lexical.search(
                collection,
                query,
                depth,
                source=filters.source,
                page_min=filters.page_min,
                page_max=filters.page_max,
                readers=filters.readers.principals,
            )

        # The lexical ranking runs while Chroma searches (both release the GIL, neither is long), and while
        # the query is embedded unless the embedder is torch's (see __init__).
        wants_lexical = mode in (SearchMode.HYBRID, SearchMode.LEXICAL)
        pending = self._pool.submit(lexical_search) if wants_lexical and self._lexical_during_embedding else None
        try:
            vector = self._embedder.embed([query])[0]
            if wants_lexical and pending is None:
                pending = self._pool.submit(lexical_search)
            dense: list[SearchHit] = []
            if mode is not SearchMode.LEXICAL:
                dense = self._dense(collection, vector, depth, filters)
                if mode is SearchMode.DENSE:
                    return [_with_similarity(hit, hit.score) for hit in dense[:top_k]]
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise
        assert pending is not None
        lexical = pending.result()
        fused = (
            [(hit, hit.score) for hit in lexical]
            if mode is SearchMode.LEXICAL
            else reciprocal_rank_fusion([dense, lexical], self._rrf_k)
        )[:top_k]
        similarity = {hit.chunk_id: hit.score for hit in dense}
        full = {hit.chunk_id: hit for hit in dense}
        # Hits only the lexical side found: their vectors for the similarity, and the metadata the lexical
        # index does not keep (where in the file, OCR), read in one go.
        missing = [hit for hit, _ in fused if hit.chunk_id not in similarity]
        records = self._store.records(collection, [hit.chunk_id for hit in missing])
        for hit in missing:
            if hit.chunk_id in records:
                embedding, metadata = records[hit.chunk_id]
                similarity[hit.chunk_id] = float(np.dot(embedding, vector))
                full[hit.chunk_id] = replace(hit, metadata={**metadata, **hit.metadata})
        return [
            _with_similarity(replace(full.get(hit.chunk_id, hit), score=score), similarity.get(hit.chunk_id, 0.0))
            for hit, score in fused
        ]

    def _dense(self, collection: str, vector: Any, depth: int, filters: SearchFilters) -> list[SearchHit]:
        """The dense ranking. For a caller who may not read everything, among the chunks they may read only: an
        exact search over their vectors held in memory (rag/readable_vectors.py); with a source or page filter, or
        for a set too large to hold, the store searching those ids; for more ids than a request should carry,
        the store filtering on the chunks' reader flags."""
        principals = filters.readers.principals
        where = filters.chroma_where()
        if principals is None:
            return self._store.query(collection, vector, depth, where=where)
        readable = self._lexical.readable_chunk_ids(collection, principals)
        if where is None and (found := self._readable.search(readable, principals, vector, depth)) is not None:
            return self._store.hits(collection, found)
        if len(readable.chunk_ids) > MAX_READABLE_IDS:
            return self._store.query(collection, vector, depth, where=filters.chroma_where(readers=True))
        return self._store.query(collection, vector, depth, where=where, ids=readable.chunk_ids)


def _with_similarity(hit: SearchHit, similarity: float) -> SearchHit:
    return replace(hit, metadata={**hit.metadata, "similarity": round(float(similarity), 6)})
