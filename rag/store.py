"""Chroma as the vector store: embedded ``PersistentClient`` by default, HTTP client for a server."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt

from rag.access import READER_KEY_PREFIX, reader_flags, without_reader_flags
from rag.errors import CollectionNotFoundError, EnclaveError, InvalidInputError, StoreError
from rag.types import Chunk, SearchHit

# Enclave's collections live under a prefix so a shared Chroma server can hold other data beside them.
_PREFIX = "enclave_"
_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
# Chroma caps the number of records per call; stay well under it.
_BATCH = 1000


def validate_collection_name(name: str) -> str:
    if not _NAME_PATTERN.fullmatch(name):
        raise InvalidInputError(
            f"invalid collection name {name!r}: use 1-63 lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings  # deferred: heavy (Chroma)

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_chroma_client(store_dir: Path, url: str | None = None, token: str | None = None) -> Any:
    """The embedded client on ``store_dir``, or the HTTP client of the server at ``url``."""
    import chromadb  # deferred: heavy (Chroma)

    if url is None:
        store_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(store_dir), settings=_chroma_settings())
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise InvalidInputError(f"ENCLAVE_CHROMA_URL must be an http(s) URL, got {url!r}")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    port = parsed.port or (443 if parsed.scheme == "https" else 8000)
    try:
        # The client checks the server, its identity and the default tenant as it is built.
        return chromadb.HttpClient(
            host=parsed.hostname,
            port=port,
            ssl=parsed.scheme == "https",
            headers=headers,
            settings=_chroma_settings(),
        )
    except Exception as exc:  # ValueError when unreachable, ChromaError subclasses when refused
        raise StoreError(f"cannot use the Chroma server at {parsed.hostname}:{port}", cause=str(exc)) from exc


TextLookup = Callable[[str, Sequence[str]], dict[str, str]]


class ChromaStore:
    """One Chroma collection (cosine space) per Enclave collection: vectors and metadata, no text.

    Chunk text is kept out of Chroma on purpose: Chroma keeps every write in its own log until its
    vector index is flushed, which would leave a forgotten document's text on disk. The text lives in
    the lexical index (``texts`` looks it up), where erasure is under our control.
    """

    def __init__(
        self, client: Any, texts: TextLookup | None = None, closers: Sequence[Callable[[], None]] = ()
    ) -> None:
        self._client = client
        self._texts = texts
        self._closers = list(closers)  # what the text lookup holds open, when this store owns it
        self._collections: dict[str, Any] = {}

    @contextmanager
    def _chroma_errors(self, action: str, collection: str) -> Iterator[None]:
        """Turn what Chroma raises during ``action`` into StoreError, its message kept as the cause.

        chromadb has no common base for its failures: its own ChromaError subclasses, ValueError and
        RuntimeError from the embedded engine, httpx's errors when a server does not answer. Our own errors
        pass through. The collection's handle is dropped, so that the next call looks the collection up again
        (another client may have deleted and created it anew).
        """
        try:
            yield
        except EnclaveError:
            raise
        except Exception as exc:
            self._collections.pop(collection, None)
            raise StoreError(
                f"the vector store failed to {action} (collection {collection!r})",
                cause=f"{type(exc).__name__}: {exc}",
            ) from exc

    def _with_texts(self, collection: str, hits: list[SearchHit]) -> list[SearchHit]:
        if self._texts is None or not hits:
            return hits
        texts = self._texts(collection, [hit.chunk_id for hit in hits])
        return [replace(hit, text=texts.get(hit.chunk_id, "")) for hit in hits]

    def _collection(self, name: str, create: bool) -> Any:
        validate_collection_name(name)
        if name in self._collections:
            return self._collections[name]
        try:
            if create:
                collection = self._client.get_or_create_collection(
                    _PREFIX + name, metadata={"hnsw:space": "cosine"}, embedding_function=None
                )
            else:
                if name not in self.collections():
                    raise CollectionNotFoundError(f"no collection named {name!r}")
                collection = self._client.get_collection(_PREFIX + name, embedding_function=None)
        except CollectionNotFoundError:
            raise
        except Exception as exc:  # chromadb raises many types; all mean the store is not usable
            raise StoreError(f"cannot open collection {name!r}", cause=str(exc)) from exc
        self._collections[name] = collection
        return collection

    def upsert(self, collection: str, chunks: Sequence[Chunk], embeddings: npt.NDArray[np.float32]) -> None:
        if len(chunks) != len(embeddings):
            raise ValueError("one embedding per chunk")
        target = self._collection(collection, create=True)
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start : start + _BATCH]
            with self._chroma_errors("write chunks", collection):
                target.upsert(
                    ids=[chunk.chunk_id for chunk in part],
                    embeddings=embeddings[start : start + _BATCH].tolist(),
                    metadatas=[chunk_metadata(chunk) for chunk in part],
                )

    def set_readers(self, collection: str, readers: Mapping[str, Sequence[str]]) -> int:
        """Record new readers (document id -> principals) on every chunk of these documents, in their metadata
        only: no vector is written. How many chunks were updated."""
        if not readers or collection not in self.collections():
            return 0
        target = self._collection(collection, create=False)
        document_ids = list(readers)
        updated = 0
        with self._chroma_errors("update readers", collection):
            for start in range(0, len(document_ids), _BATCH):
                part = document_ids[start : start + _BATCH]
                where = {"document_id": part[0]} if len(part) == 1 else {"document_id": {"$in": part}}
                found = target.get(where=where, include=["metadatas"])
                metadatas = []
                for metadata in found["metadatas"]:
                    wanted = reader_flags(readers[str(metadata["document_id"])])
                    # None removes a key in Chroma's update: the readers taken away lose their flag.
                    gone = {key: None for key in metadata if key.startswith(READER_KEY_PREFIX) and key not in wanted}
                    metadatas.append({**gone, **wanted})
                for first in range(0, len(found["ids"]), _BATCH):
                    target.update(ids=found["ids"][first : first + _BATCH], metadatas=metadatas[first : first + _BATCH])
                updated += len(found["ids"])
        return updated

    def delete_document(self, collection: str, document_id: str) -> int:
        return self.delete_documents(collection, [document_id])

    def delete_documents(self, collection: str, document_ids: Sequence[str]) -> int:
        """Remove every chunk of these documents; how many there were."""
        if not document_ids or collection not in self.collections():
            return 0
        target = self._collection(collection, create=False)
        ids: list[str] = []
        with self._chroma_errors("delete chunks", collection):
            for start in range(0, len(document_ids), _BATCH):
                part = list(document_ids[start : start + _BATCH])
                where = {"document_id": part[0]} if len(part) == 1 else {"document_id": {"$in": part}}
                ids.extend(target.get(where=where, include=[])["ids"])
            for start in range(0, len(ids), _BATCH):
                target.delete(ids=ids[start : start + _BATCH])
        return len(ids)

    def query(
        self,
        collection: str,
        embedding: npt.NDArray[np.float32],
        top_k: int,
        where: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None,
    ) -> list[SearchHit]:
        """The ``top_k`` nearest chunks, within ``where`` and, when given, among the chunks ``ids`` only."""
        target = self._collection(collection, create=False)
        if ids is not None and not ids:
            return []
        with self._chroma_errors("search", collection):
            result = target.query(
                query_embeddings=[np.asarray(embedding, dtype=np.float32).tolist()],
                n_results=top_k,
                where=dict(where) if where else None,
                ids=list(ids) if ids is not None else None,
                include=["metadatas", "distances"],
            )
        hits = [
            hit_from_record(chunk_id, metadata, 1.0 - float(distance))
            for chunk_id, metadata, distance in zip(
                result["ids"][0], result["metadatas"][0], result["distances"][0], strict=True
            )
        ]
        return self._with_texts(collection, hits)

    def hits(self, collection: str, scored: Sequence[tuple[str, float]]) -> list[SearchHit]:
        """The chunks of these (id, score) pairs in their order, with metadata and text; ids no longer stored are
        left out."""
        target = self._collection(collection, create=False)  # an unknown collection is an error, as in query
        if not scored:
            return []
        with self._chroma_errors("read chunks", collection):
            result = target.get(ids=[chunk_id for chunk_id, _ in scored], include=["metadatas"])
        metadata = dict(zip(result["ids"], result["metadatas"], strict=True))
        hits = [hit_from_record(i, metadata[i], score) for i, score in scored if i in metadata]
        return self._with_texts(collection, hits)

    def embeddings(self, collection: str, chunk_ids: Sequence[str]) -> dict[str, npt.NDArray[np.float32]]:
        return {chunk_id: vector for chunk_id, (vector, _) in self.records(collection, chunk_ids).items()}

    def records(
        self, collection: str, chunk_ids: Sequence[str]
    ) -> dict[str, tuple[npt.NDArray[np.float32], dict[str, Any]]]:
        if not chunk_ids:
            return {}
        target = self._collection(collection, create=False)
        with self._chroma_errors("read vectors", collection):
            result = target.get(ids=list(chunk_ids), include=["embeddings", "metadatas"])
        return {
            chunk_id: (np.asarray(vector, dtype=np.float32), without_reader_flags(metadata or {}))
            for chunk_id, vector, metadata in zip(result["ids"], result["embeddings"], result["metadatas"], strict=True)
        }

    def get_chunks(self, collection: str, where: Mapping[str, Any] | None = None) -> list[SearchHit]:
        """Every chunk of a collection (optionally filtered), with its text and score 0."""
        target = self._collection(collection, create=False)
        hits: list[SearchHit] = []
        offset = 0
        while True:
            with self._chroma_errors("read chunks", collection):
                page = target.get(
                    where=dict(where) if where else None,
                    include=["metadatas"],
                    limit=_BATCH,
                    offset=offset,
                )
            hits.extend(
                hit_from_record(chunk_id, metadata, 0.0)
                for chunk_id, metadata in zip(page["ids"], page["metadatas"], strict=True)
            )
            if len(page["ids"]) < _BATCH:
                return self._with_texts(collection, hits)
            offset += _BATCH

    def count(self, collection: str) -> int:
        if collection not in self.collections():
            return 0
        target = self._collection(collection, create=False)
        with self._chroma_errors("count chunks", collection):
            return int(target.count())

    def collections(self) -> list[str]:
        try:
            names = [c if isinstance(c, str) else c.name for c in self._client.list_collections()]
        except Exception as exc:
            raise StoreError("cannot list collections", cause=str(exc)) from exc
        return sorted(name[len(_PREFIX) :] for name in names if name.startswith(_PREFIX))

    def chunk_ids(self, collection: str, document_id: str | None = None) -> list[str]:
        if collection not in self.collections():
            return []
        target = self._collection(collection, create=False)
        where = {"document_id": document_id} if document_id else None
        ids: list[str] = []
        offset = 0
        while True:
            with self._chroma_errors("list chunks", collection):
                page = target.get(where=where, include=[], limit=_BATCH, offset=offset)
            ids.extend(page["ids"])
            if len(page["ids"]) < _BATCH:
                return ids
            offset += _BATCH

    def heartbeat(self) -> None:
        try:
            self._client.heartbeat()
        except Exception as exc:
            raise StoreError("the vector store is not reachable", cause=str(exc)) from exc

    def close(self) -> None:
        """Let the Chroma client go. Clients of one embedded path in a process share one Chroma instance, which
        stops (its SQLite connections and index files closed) when the last of them is closed; closing twice is
        harmless. The text lookup is closed too when the store was given its ``closers``."""
        self._collections.clear()
        self._client.close()
        for close in self._closers:
            close()
        self._closers.clear()


def chunk_metadata(chunk: Chunk) -> dict[str, str | int | float | bool]:
    return {
        **chunk.metadata,
        "document_id": chunk.document_id,
        "source": chunk.source,
        "page": chunk.page,
        "chunk_index": chunk.chunk_index,
        "start": chunk.start,
        "end": chunk.end,
        "token_count": chunk.token_count,
    }


def hit_from_record(chunk_id: str, metadata: Mapping[str, Any] | None, score: float) -> SearchHit:
    meta = without_reader_flags(metadata or {})
    return SearchHit(
        chunk_id=chunk_id,
        document_id=str(meta.get("document_id", "")),
        source=str(meta.get("source", "")),
        page=int(meta.get("page", 0)),
        text="",
        score=score,
        metadata=meta,
    )
