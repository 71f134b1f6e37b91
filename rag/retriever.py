"""Hybrid retrieval: dense (Chroma) and lexical (FTS5 BM25) rankings fused by reciprocal rank."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from rag.errors import InvalidInputError
from rag.lexical import LexicalIndex
from rag.protocols import Embedder, VectorStore
from rag.types import SearchHit

SearchMode = Literal["hybrid", "dense", "lexical"]


@dataclass(frozen=True)
class SearchFilters:
    source: str | None = None
    page_min: int | None = None
    page_max: int | None = None

    def __post_init__(self) -> None:
        if self.page_min is not None and self.page_max is not None and self.page_min > self.page_max:
            raise InvalidInputError(f"page range {self.page_min}-{self.page_max} is empty")

    def chroma_where(self) -> dict[str, Any] | None:
        conditions: list[dict[str, Any]] = []
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
        # Lexical searches overlap the dense side of each query; a few threads serve concurrent queries.
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lexical")
        # The exported embedders (OpenVINO, ONNX Runtime) share the cores with SQLite well enough for the lexical
        # ranking to overlap the query's embedding too: at 100k chunks on a 2-core Zen 3 the dense and lexical
        # sides then took p95 47 ms instead of 55. torch's threads stall when SQLite takes a core, so with torch
        # the query is embedded first, alone.
        self._lexical_during_embedding = getattr(embedder, "backend", "torch") != "torch"

    def search(
        self,
        query: str,
        collection: str,
        top_k: int = 5,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[SearchHit]:
        filters = filters or SearchFilters()
        depth = max(self._candidates, top_k)

        def lexical_search() -> list[SearchHit]:
            return self._lexical.search(
                collection, query, depth, source=filters.source, page_min=filters.page_min, page_max=filters.page_max
            )

        # The lexical ranking runs while Chroma searches (both release the GIL, neither is long), and while
        # the query is embedded unless the embedder is torch's (see __init__).
        wants_lexical = mode in ("hybrid", "lexical")
        pending = self._pool.submit(lexical_search) if wants_lexical and self._lexical_during_embedding else None
        try:
            vector = self._embedder.embed([query])[0]
            if wants_lexical and pending is None:
                pending = self._pool.submit(lexical_search)
            dense: list[SearchHit] = []
            if mode in ("hybrid", "dense"):
                dense = self._store.query(collection, vector, depth, where=filters.chroma_where())
                if mode == "dense":
                    return [_with_similarity(hit, hit.score) for hit in dense[:top_k]]
            else:
                self._store.count(collection)  # raises for an unknown collection, as dense search would
        except BaseException:
            if pending is not None:
                pending.cancel()
            raise
        assert pending is not None
        lexical = pending.result()
        fused = (
            [(hit, hit.score) for hit in lexical]
            if mode == "lexical"
            else reciprocal_rank_fusion([dense, lexical], self._rrf_k)
        )[:top_k]
        similarity = {hit.chunk_id: hit.score for hit in dense}
        missing = [hit.chunk_id for hit, _ in fused if hit.chunk_id not in similarity]
        for chunk_id, embedding in self._store.embeddings(collection, missing).items():
            similarity[chunk_id] = float(np.dot(embedding, vector))
        full = {hit.chunk_id: hit for hit in dense}
        return [
            _with_similarity(replace(full.get(hit.chunk_id, hit), score=score), similarity.get(hit.chunk_id, 0.0))
            for hit, score in fused
        ]


def _with_similarity(hit: SearchHit, similarity: float) -> SearchHit:
    return replace(hit, metadata={**hit.metadata, "similarity": round(float(similarity), 6)})
