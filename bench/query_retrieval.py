"""Retrieval latency at growing store sizes: real chunks replicated with perturbed vectors, timed per mode."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.corpus import generate_corpus
from bench.paths import SAMPLE_DOCS
from bench.percentiles import percentile
from bench.sample_questions import questions
from bench.tables import console
from rag.access import Readers, reader_flags
from rag.components import load_embedder, open_store
from rag.lexical import LexicalIndex
from rag.retriever import HybridRetriever, SearchFilters
from rag.settings import load_settings
from rag.types import Chunk

MODES = ("hybrid", "dense", "lexical")
# A caller whose principals read one document in ten (rag/access.py): the filter runs inside both indexes.
READABLE_SHARE = 10
FILTERED = Readers.holding(["group:bench"])


@dataclass(frozen=True)
class LatencyRow:
    chunks: int
    mode: str
    p50_ms: float
    p95_ms: float
    p99_ms: float


def base_chunks(work: Path) -> tuple[list[Any], Any]:
    """Real chunks and their embeddings: sample_docs/ and a 150-page generated corpus, ingested for real."""
    from ingest.components import build_pipeline, build_redactor  # deferred: heavy (torch, spaCy, Presidio)

    corpus = work / "corpus"
    generate_corpus(corpus, 150, seed=1)
    settings = load_settings(data_dir=work / "base")
    embedder = load_embedder(settings)
    store = open_store(settings)
    pipeline = build_pipeline(settings, redactor=build_redactor(settings), embedder=embedder, store=store)
    pipeline.ingest_paths([SAMPLE_DOCS, corpus], "base")
    hits = store.get_chunks("base")
    vectors = store.embeddings("base", [hit.chunk_id for hit in hits])
    return hits, (embedder, np.stack([vectors[hit.chunk_id] for hit in hits]))


def build_store(data_dir: Path, size: int, hits: list[Any], vectors: Any, rng: np.random.Generator) -> Any:
    settings = load_settings(data_dir=data_dir)
    store = open_store(settings)
    lexical = LexicalIndex(settings.lexical_path, in_memory_min_chunks=settings.lexical_in_memory_min_chunks)
    batch = 5000
    for start in range(0, size, batch):
        indices = np.arange(start, min(size, start + batch))
        base = vectors[indices % len(hits)]
        noisy = base + rng.normal(scale=0.02, size=base.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        chunks = [
            Chunk(
                metadata=reader_flags(_readers(i // 20)),
                chunk_id=f"c{i:07d}",
                document_id=f"d{i // 20:06d}",
                source=f"{hits[i % len(hits)].source}#{i // len(hits)}",
                page=hits[i % len(hits)].page,
                chunk_index=i % 20,
                start=0,
                end=len(hits[i % len(hits)].text),
                text=hits[i % len(hits)].text,
                token_count=0,
            )
            for i in map(int, indices)
        ]
        store.upsert("bench", chunks, noisy.astype(np.float32))
        lexical.upsert("bench", chunks, {chunk.document_id: _readers(int(chunk.document_id[1:])) for chunk in chunks})
    return store, lexical


def _readers(document: int) -> list[str]:
    """One document in ``READABLE_SHARE`` is the benchmark caller's; the others are another group's."""
    return ["group:bench"] if document % READABLE_SHARE == 0 else ["group:others"]


def measure_retrieval(sizes: Sequence[int], queries: int) -> tuple[list[LatencyRow], int]:
    rng = np.random.default_rng(0)
    asked = questions()
    rows: list[LatencyRow] = []
    with tempfile.TemporaryDirectory(prefix="enclave-query-bench-") as tmp:
        work = Path(tmp)
        hits, (embedder, vectors) = base_chunks(work)
        for size in sizes:
            console.print(f"building a store of {size} chunks")
            store, lexical = build_store(work / f"n{size}", size, hits, vectors, rng)
            lexical.prepare()  # the in-memory ranking of a large store, built as the server's warm-up builds it
            retriever = HybridRetriever(embedder, store, lexical)
            runs = [(mode, mode, SearchFilters()) for mode in MODES]
            runs += [(f"{mode}, 10% readable", mode, SearchFilters(readers=FILTERED)) for mode in MODES]
            for label, mode, filters in runs:
                retriever.search(asked[0], "bench", 5, filters, mode=mode)  # warm caches
                timings = []
                for n in range(queries):
                    started = time.perf_counter()
                    found = retriever.search(asked[n % len(asked)], "bench", 5, filters, mode=mode)
                    timings.append((time.perf_counter() - started) * 1000)
                    if filters.readers is FILTERED:  # a filter that lets others' chunks through is no benchmark
                        assert all(int(hit.document_id[1:]) % READABLE_SHARE == 0 for hit in found)
                rows.append(
                    LatencyRow(size, label, percentile(timings, 50), percentile(timings, 95), percentile(timings, 99))
                )
    return rows, len(hits)
