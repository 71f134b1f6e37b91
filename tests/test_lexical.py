"""The lexical index: lookups by id and document, filters, and data dirs from before its current layout."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rag.lexical import LexicalIndex
from rag.types import Chunk


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


def test_upsert_replaces_and_filters(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
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


def test_filtered_search_finds_matches_outside_the_global_best(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.upsert("big", [chunk(n, "renewal renewal renewal notice") for n in range(200)])
    index.upsert("small", [chunk(1000, "one renewal mention among many other words here")])
    hits = index.search("small", "renewal", 3)
    assert [hit.chunk_id for hit in hits] == ["c1000"]


def test_legacy_single_table_layout_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE VIRTUAL TABLE chunks USING fts5(text, chunk_id UNINDEXED, collection UNINDEXED, "
            "document_id UNINDEXED, source UNINDEXED, page UNINDEXED)"
        )
        db.execute("INSERT INTO chunks VALUES ('the quarterly audit report', 'c9', 'default', 'd9', 'r.pdf', '4')")
    index = LexicalIndex(path)
    hits = index.search("default", "audit", 3)
    assert [(hit.chunk_id, hit.page, hit.source) for hit in hits] == [("c9", 4, "r.pdf")]
    tables = {row[0] for row in index._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "chunks" not in tables
