"""The lexical index: lookups by id and document, filters, and data dirs from before its current layout.

Searches are tested with both rankings: FTS5's, and the in-memory one a large store uses (``in_memory``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from rag.lexical import LexicalIndex, rare_enough
from rag.types import Chunk

MakeIndex = Callable[[Path], LexicalIndex]


@pytest.fixture(params=["fts5", "in_memory"])
def make_index(request: pytest.FixtureRequest) -> MakeIndex:
    threshold = 10**9 if request.param == "fts5" else 0
    return lambda path: LexicalIndex(path, in_memory_min_chunks=threshold)


def chunk(n: int, text: str, document: str = "d1", source: str = "a.txt", page: int = 1) -> Chunk:
    return Chunk(
        chunk_id=f"c{n}",
        document_id=document,
        source=source,
        page=page,
        chunk_index=n,
        start=0,
        end=len(text),
        text=text,
        token_count=0,
    )


def test_upsert_replaces_and_filters(tmp_path: Path, make_index: MakeIndex) -> None:
    index = make_index(tmp_path / "lexical.sqlite3")
    index.upsert("x", [chunk(1, "the nightly backup failed"), chunk(2, "invoice overdue", page=3)])
    index.upsert("x", [chunk(1, "the cafeteria menu changed")])  # same id: replaced, not duplicated
    index.upsert("y", [chunk(1, "backup in another collection")])
    assert [hit.chunk_id for hit in index.search("x", "backup", 5)] == []
    assert [hit.text for hit in index.search("x", "cafeteria", 5)] == ["the cafeteria menu changed"]
    assert [hit.chunk_id for hit in index.search("y", "backup", 5)] == ["c1"]
    assert [hit.page for hit in index.search("x", "invoice", 5, page_min=2, page_max=3)] == [3]
    assert index.search("x", "invoice", 5, page_max=2) == []
    assert index.texts("x", ["c1", "c2", "missing"]) == {"c1": "the cafeteria menu changed", "c2": "invoice overdue"}
    assert index.delete_document("x", "d1") == 2
    assert index.search("x", "cafeteria", 5) == [] and index.chunk_ids("y") == ["c1"]


def test_filtered_search_finds_matches_outside_the_global_best(tmp_path: Path, make_index: MakeIndex) -> None:
    index = make_index(tmp_path / "lexical.sqlite3")
    index.upsert("big", [chunk(n, "renewal renewal renewal notice") for n in range(200)])
    index.upsert("small", [chunk(1000, "one renewal mention among many other words here")])
    hits = index.search("small", "renewal", 3)
    assert [hit.chunk_id for hit in hits] == ["c1000"]


def test_legacy_single_table_layout_is_migrated(tmp_path: Path, make_index: MakeIndex) -> None:
    path = tmp_path / "lexical.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE VIRTUAL TABLE chunks USING fts5(text, chunk_id UNINDEXED, collection UNINDEXED, "
            "document_id UNINDEXED, source UNINDEXED, page UNINDEXED)"
        )
        db.execute("INSERT INTO chunks VALUES ('the quarterly audit report', 'c9', 'default', 'd9', 'r.pdf', '4')")
    index = make_index(path)
    hits = index.search("default", "audit", 3)
    assert [(hit.chunk_id, hit.page, hit.source) for hit in hits] == [("c9", 4, "r.pdf")]
    tables = {row[0] for row in index._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "chunks" not in tables


def test_rare_enough_leaves_out_only_words_common_in_a_large_store() -> None:
    frequency = {"2024": 30_000, "outage": 900, "ticket": 12_000}
    assert rare_enough(frequency, 100_000) == ["outage"]  # in 30% and 12% of the chunks: too common
    assert rare_enough(frequency, 200_000) == ["outage", "ticket"]  # 6% is rare enough
    assert rare_enough({"2024": 30_000, "ticket": 25_000}, 100_000) == ["2024", "ticket"]  # nothing rarer
    # A small store: 60% of 500 chunks is under the floor, so every word still ranks.
    assert rare_enough({"leave": 300, "annual": 20}, 500) == ["leave", "annual"]


def test_common_words_do_not_rank_in_a_large_store(tmp_path: Path, make_index: MakeIndex) -> None:
    index = make_index(tmp_path / "lexical.sqlite3")
    filler = [chunk(n, f"status report {n} of the platform team") for n in range(1500)]
    index.upsert("x", [*filler, chunk(5000, "the vpn gateway outage report"), chunk(5001, "report report report")])
    # "report" is in every chunk: ranking by it would score all 1502; "vpn" decides alone.
    found = index.search("x", "vpn report", 2)
    assert [hit.chunk_id for hit in found] == ["c5000"]
    # A question of common words only still finds what holds them, best first.
    assert index.search("x", "report", 1)[0].chunk_id == "c5001"
    # Below the floor the same words rank as usual: both the vpn chunk and the report-heavy one match.
    small = make_index(tmp_path / "small.sqlite3")
    small.upsert("x", [*filler[:20], chunk(5000, "the vpn gateway outage report"), chunk(5001, "report report report")])
    assert {hit.chunk_id for hit in small.search("x", "vpn report", 2)} == {"c5000", "c5001"}
