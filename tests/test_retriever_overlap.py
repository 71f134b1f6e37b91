"""The lexical ranking overlaps the query's embedding with the exported embedders, and follows it with torch's."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from rag.retriever import HybridRetriever
from rag.types import SearchHit

_HIT = SearchHit(chunk_id="c1", document_id="d1", source="a.txt", page=1, text="leave policy", score=1.0)


class _Lexical:
    def __init__(self) -> None:
        self.started = threading.Event()

    def search(self, collection: str, query: str, top_k: int, **filters: Any) -> list[SearchHit]:
        self.started.set()
        return [_HIT]


class _Store:
    def query(self, collection: str, vector: Any, top_k: int, where: Any = None) -> list[SearchHit]:
        return [_HIT]

    def count(self, collection: str) -> int:
        return 1

    def collections(self) -> list[str]:
        return ["docs"]

    def embeddings(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, Any]:
        return {chunk_id: np.ones(2, dtype=np.float32) / np.sqrt(2) for chunk_id in chunk_ids}

    def records(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, Any]:
        return {chunk_id: (vector, {}) for chunk_id, vector in self.embeddings(collection, chunk_ids).items()}


class _Embedder:
    """Records whether the lexical search had started while the query was being embedded."""

    dimension = 2

    def __init__(self, backend: str, lexical: _Lexical) -> None:
        self.backend = backend
        self._lexical = lexical
        self.lexical_started_during_embedding: bool | None = None

    def embed(self, texts: Sequence[str]) -> Any:
        # Long enough for a pool thread to start the lexical search, if it was submitted before.
        self.lexical_started_during_embedding = self._lexical.started.wait(timeout=2.0)
        return np.ones((len(texts), 2), dtype=np.float32) / np.sqrt(2)


@pytest.mark.parametrize(("backend", "overlaps"), [("openvino", True), ("onnx-int8", True), ("torch", False)])
@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_lexical_search_overlaps_embedding_except_with_torch(backend: str, overlaps: bool, mode: Any) -> None:
    lexical = _Lexical()
    embedder = _Embedder(backend, lexical)
    retriever = HybridRetriever(embedder, _Store(), lexical)  # type: ignore[arg-type]
    hits = retriever.search("leave policy", "docs", 3, mode=mode)
    assert [hit.chunk_id for hit in hits] == ["c1"]
    assert embedder.lexical_started_during_embedding is overlaps
    assert lexical.started.is_set()


def test_dense_search_runs_no_lexical_search() -> None:
    lexical = _Lexical()
    retriever = HybridRetriever(_Embedder("openvino", lexical), _Store(), lexical)  # type: ignore[arg-type]
    assert [hit.chunk_id for hit in retriever.search("leave policy", "docs", 3, mode="dense")] == ["c1"]
    assert not lexical.started.is_set()
