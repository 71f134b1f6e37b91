"""Ingestion of sample_docs/: redacted before stored, retrievable, with the right pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rag.store import ChromaStore, open_chroma_client


def _all_bytes(folder: Path) -> list[tuple[Path, bytes]]:
    """Every file Enclave wrote from documents. The bundled model assembled under models/ is left out:
    it comes from a package, and its vocabulary holds common names ("Garnier") that no document put there."""
    models = folder / "models"
    return [(path, path.read_bytes()) for path in folder.rglob("*") if path.is_file() and models not in path.parents]


def test_every_sample_document_is_ingested(ingested_sample: dict[str, Any], manifest: dict[str, Any]) -> None:
    report = ingested_sample["report"]
    assert report.failures == []
    assert report.count("new") == len(manifest["documents"])
    assert report.chunks_written > 0
    assert report.redactions["PERSON"] > 0 and report.redactions["EMAIL_ADDRESS"] > 0


def test_no_raw_personal_value_anywhere_under_the_data_dir(
    ingested_sample: dict[str, Any], personal_values: list[str]
) -> None:
    # Reopen and close through a fresh client so everything Chroma keeps in memory is on disk too.
    data_dir: Path = ingested_sample["data_dir"]
    files = _all_bytes(data_dir)
    assert any(path.name == "chroma.sqlite3" for path, _ in files)
    leaks = [
        (value, path.relative_to(data_dir).as_posix())
        for value in personal_values
        for path, content in files
        for encoding in ("utf-8", "utf-16-le")
        if value.encode(encoding) in content
    ]
    assert leaks == []


def test_non_personal_facts_are_retrievable(
    ingested_sample: dict[str, Any], manifest: dict[str, Any], embedder: Any
) -> None:
    store = ingested_sample["pipeline"].store
    misses = []
    for document in manifest["documents"]:
        for fact in document["facts"]:
            hits = store.query("default", embedder.embed([fact["question"]])[0], top_k=5)
            normalized = [" ".join(hit.text.split()) for hit in hits]
            if not any(fact["answer_contains"] in text for text in normalized):
                misses.append(fact["question"])
    total = sum(len(d["facts"]) for d in manifest["documents"])
    # Dense retrieval alone with a small model: nearly all, not necessarily every, fact in the top 5.
    assert len(misses) <= total // 10, misses


def test_pdf_chunks_carry_their_page_numbers(ingested_sample: dict[str, Any], manifest: dict[str, Any]) -> None:
    store = ingested_sample["pipeline"].store
    hr = next(d for d in manifest["documents"] if d["file"] == "hr-policy.pdf")
    chunks = store.get_chunks("default", where={"source": "hr-policy.pdf"})
    assert {chunk.page for chunk in chunks} == set(range(1, hr["pages"] + 1))
    for fact in hr["facts"]:
        holding = [c for c in chunks if fact["answer_contains"] in " ".join(c.text.split())]
        assert holding, fact
        assert {c.page for c in holding} == {fact["page"]}


def test_chunk_metadata(ingested_sample: dict[str, Any]) -> None:
    store = ingested_sample["pipeline"].store
    chunks = store.get_chunks("default", where={"source": "ticket-1042.eml"})
    assert chunks
    for chunk in chunks:
        meta = chunk.metadata
        assert set(meta) >= {"document_id", "source", "page", "chunk_index", "start", "end", "content_hash"}
        assert meta["ingested_at"]
        assert isinstance(meta["start"], int) and meta["end"] > meta["start"]
    assert sum(int(c.metadata.get("redacted_CREDIT_CARD", 0)) for c in chunks) == 1


def test_html_script_content_is_not_indexed(ingested_sample: dict[str, Any]) -> None:
    chunks = ingested_sample["pipeline"].store.get_chunks("default", where={"source": "onboarding.html"})
    assert chunks
    assert not any("onboarding_page_view" in chunk.text for chunk in chunks)


@pytest.mark.parametrize("count", [10, 1200])
def test_reopened_store_returns_every_chunk(tmp_path: Path, count: int) -> None:
    import numpy as np

    from rag.types import Chunk

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(count, 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    chunks = [
        Chunk(
            chunk_id=f"c{i}",
            document_id="d",
            source="s.txt",
            page=1,
            chunk_index=i,
            start=0,
            end=1,
            text=f"text {i}",
            token_count=2,
        )
        for i in range(count)
    ]
    store = ChromaStore(open_chroma_client(tmp_path))
    store.upsert("default", chunks, vectors)
    np.save(tmp_path / "last.npy", vectors[count - 1])

    # A new process: Chroma caches clients per path, so only a fresh one proves what reached the disk.
    check = (
        "import sys, numpy as np; import rag; from rag.store import ChromaStore, open_chroma_client; "
        "from pathlib import Path; p = Path(sys.argv[1]); s = ChromaStore(open_chroma_client(p)); "
        "print(s.count('default'), len(set(s.chunk_ids('default'))), "
        "s.query('default', np.load(p / 'last.npy'), top_k=1)[0].chunk_id)"
    )
    result = subprocess.run(
        [sys.executable, "-c", check, str(tmp_path)], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.split() == [str(count), str(count), f"c{count - 1}"]
