"""Chunker: sentence-aware, bounded in the embedding model's tokens, spans that map back."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ingest.chunker import Chunker

TEXT = " ".join(
    f"Sentence number {i} explains clause {i} of the agreement in plain words for the reader." for i in range(60)
)


@pytest.fixture(scope="module")
def chunker(embedder: Any) -> Chunker:
    return Chunker(embedder, max_tokens=64, overlap_tokens=20)


def test_chunks_are_bounded_and_map_back_to_the_page(chunker: Chunker, embedder: Any) -> None:
    chunks = chunker.chunk_pages([(3, TEXT)])
    assert len(chunks) > 5
    for chunk in chunks:
        assert chunk.page == 3
        assert TEXT[chunk.start : chunk.end] == chunk.text
        measured = len(embedder.token_spans([chunk.text])[0])
        assert measured == chunk.token_count <= 64
        assert chunk.text.startswith("Sentence") and chunk.text.endswith(".")  # whole sentences


def test_chunks_cover_the_text_with_overlap(chunker: Chunker) -> None:
    chunks = chunker.chunk_pages([(1, TEXT)])
    assert chunks[0].start == 0 and chunks[-1].end == len(TEXT)
    for previous, current in itertools.pairwise(chunks):
        assert current.start < previous.end  # overlapping sentences
        assert current.start > previous.start


def test_chunks_never_cross_pages(chunker: Chunker) -> None:
    chunks = chunker.chunk_pages([(1, "First page text."), (2, "Second page text.")])
    assert [(c.page, c.text) for c in chunks] == [(1, "First page text."), (2, "Second page text.")]


def test_a_sentence_longer_than_the_bound_is_cut_at_token_boundaries(chunker: Chunker, embedder: Any) -> None:
    long_sentence = " ".join(f"word{i}" for i in range(300))
    chunks = chunker.chunk_pages([(1, long_sentence)])
    assert len(chunks) > 1
    assert all(len(embedder.token_spans([c.text])[0]) <= 64 for c in chunks)
    assert chunks[-1].end == len(long_sentence)


def test_chunk_size_above_the_model_limit_is_refused(embedder: Any) -> None:
    with pytest.raises(ValueError, match="exceeds the embedding model"):
        Chunker(embedder, max_tokens=embedder.max_tokens + 1, overlap_tokens=0)
