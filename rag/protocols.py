"""The seams where a component can be swapped: embedder, store, redactor, tokenizer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from rag.types import Chunk, Redaction, SearchHit


@runtime_checkable
class TokenCounter(Protocol):
    """Measures text in the embedding model's tokens; the chunker bounds chunks with it."""

    max_tokens: int

    def token_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        """Character span of every token of each text, special tokens excluded."""
        ...


@runtime_checkable
class Embedder(Protocol):
    dimension: int

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Unit-length vectors, one row per text."""
        ...


@runtime_checkable
class Redactor(Protocol):
    def redact(self, text: str, language: str | None = None) -> Redaction:
        """Replace personal data with typed placeholders; consistent within this one text."""
        ...

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        """Redact the pages of one document with placeholders consistent across all of them."""
        ...

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        """Redact several documents at once: the same output as ``redact_pages`` on each."""
        ...


@runtime_checkable
class VectorStore(Protocol):
    def upsert(self, collection: str, chunks: Sequence[Chunk], embeddings: npt.NDArray[np.float32]) -> None: ...

    def delete_document(self, collection: str, document_id: str) -> int: ...

    def delete_documents(self, collection: str, document_ids: Sequence[str]) -> int: ...

    def query(
        self,
        collection: str,
        embedding: npt.NDArray[np.float32],
        top_k: int,
        where: Mapping[str, Any] | None = None,
    ) -> list[SearchHit]: ...

    def embeddings(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]: ...

    def get_chunks(self, collection: str, where: Mapping[str, Any] | None = None) -> list[SearchHit]: ...

    def count(self, collection: str) -> int: ...

    def collections(self) -> list[str]: ...

    def chunk_ids(self, collection: str, document_id: str | None = None) -> list[str]: ...
