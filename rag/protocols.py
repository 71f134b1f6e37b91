"""The seams where a component can be swapped: embedder, store, lexical index, redactor, tokenizer, generator,
and the executor of ingestion's prepare step."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from rag.types import Chunk, Completion, FileToPrepare, PreparedBatch, Redaction, SearchHit


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

    def set_readers(self, collection: str, readers: Mapping[str, Sequence[str]]) -> int:
        """Replace the readers (document id -> principals) recorded on these documents' chunks, metadata only."""
        ...

    def delete_document(self, collection: str, document_id: str) -> int: ...

    def delete_documents(self, collection: str, document_ids: Sequence[str]) -> int: ...

    def query(
        self,
        collection: str,
        embedding: npt.NDArray[np.float32],
        top_k: int,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        """The ``top_k`` nearest chunks within ``where`` and, when ``ids`` is given, among those chunks only."""
        ...

    def hits(self, collection: str, scored: Sequence[tuple[str, float]]) -> list[SearchHit]:
        """These (chunk id, score) pairs as hits, in order, with metadata and text; ids not stored left out."""
        ...

    def embeddings(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]: ...

    def records(
        self, collection: str, chunk_ids: Sequence[str]
    ) -> dict[str, tuple[npt.NDArray[np.float32], dict[str, Any]]]:
        """The vector and the metadata of each chunk, in one read (for hits only the lexical side found)."""
        ...

    def get_chunks(self, collection: str, where: Mapping[str, Any] | None = None) -> list[SearchHit]: ...

    def count(self, collection: str) -> int: ...

    def collections(self) -> list[str]: ...

    def chunk_ids(self, collection: str, document_id: str | None = None) -> list[str]: ...


@runtime_checkable
class Generator(Protocol):
    """A completion model; ``prefix`` names the fixed start of the prompt whose state may be reused."""

    def complete(
        self,
        prompt: str,
        *,
        max_tokens: int,
        stop: Sequence[str] = (),
        prefix: str | None = None,
        choices: Sequence[str] | None = None,
    ) -> Completion:
        """The whole completion of ``prompt``, at most ``max_tokens``; with ``choices``, one of them exactly."""
        ...

    def stream(
        self, prompt: str, *, max_tokens: int, stop: Sequence[str] = (), prefix: str | None = None
    ) -> Iterator[str | Completion]:
        """Text pieces as they are generated, then the finished ``Completion``. Closing the iterator early
        ends the generation and frees the model at once."""
        ...

    def choice_probabilities(
        self, prompt: str, choices: Sequence[str], prefix: str | None = None
    ) -> dict[str, float] | None:
        """The model's probability of each choice as the continuation of ``prompt``; None when it cannot
        tell them apart from its next-token distribution (the caller then asks ``complete`` with ``choices``)."""
        ...

    def prepare(self, prefixes: Sequence[str]) -> None:
        """Evaluate fixed prompt prefixes now, so that the first request to use each does not wait for it."""
        ...

    @property
    def chat_template(self) -> str | None:
        """The model's own chat template, when it has one and prompts should use it; None for a completion
        prompt."""
        ...


@runtime_checkable
class LexicalSearch(Protocol):
    """The keyword (BM25) side of retrieval, filtered by source and page range inside the search."""

    def upsert(
        self, collection: str, chunks: Sequence[Chunk], readers: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Index these chunks' texts (replacing chunks of the same ids) and record their documents' readers."""
        ...

    def set_readers(self, collection: str, readers: Mapping[str, Sequence[str]]) -> None:
        """Replace the readers (document id -> principals) recorded for these documents."""
        ...

    def delete_documents(self, collection: str, document_ids: Sequence[str]) -> int:
        """Remove every chunk of these documents; how many were removed."""
        ...

    def search(
        self,
        collection: str,
        query: str,
        top_k: int,
        source: str | None = None,
        page_min: int | None = None,
        page_max: int | None = None,
        readers: Collection[str] | None = None,
    ) -> list[SearchHit]:
        """The best ``top_k`` chunks for the query's words, best first, within the filters; with ``readers``,
        only chunks of documents that name one of these principals."""
        ...

    def texts(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, str]:
        """The stored text of each chunk id found."""
        ...

    def close(self) -> None:
        """Release the index's connections; closing twice is harmless."""
        ...


@runtime_checkable
class PrepareExecutor(Protocol):
    """Runs ingestion's prepare step (ingest/prepare.py) over batches of files: in this process, in processes
    of this machine, or on a cluster's workers. The writer stays with the caller."""

    @property
    def workers(self) -> int:
        """Processes preparing at once (0: this process)."""
        ...

    def prepare(self, batches: Iterable[Sequence[FileToPrepare]]) -> Iterator[tuple[int, PreparedBatch]]:
        """Each batch's position in ``batches`` and its prepared files, as batches complete. ``batches`` is
        read lazily: only a bounded number of them is held (or in flight) at a time."""
        ...

    def close(self) -> None:
        """Stop what the executor started (processes, a local cluster); closing twice is harmless."""
        ...
