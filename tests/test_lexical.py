"""The lexical index: lookups, filters, old data dirs, and the in-memory (bm25s) ranking of a large collection.

Searches are tested with both rankings: FTS5's, and the in-memory one a large collection uses (``in_memory``,
built before each search as the server's warm-up builds it). The in-memory ranking answers only for the
generation it was built from: never with a chunk deleted since, whichever connection deleted it.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import rag.lexical
from rag.lexical import LexicalIndex, rare_enough
from rag.lexical_bm25 import RankingBuilder
from rag.lexical_tokens import fts_tokens
from rag.types import Chunk, SearchHit

MakeIndex = Callable[[Path], LexicalIndex]
SAMPLE_DOCS = Path(__file__).resolve().parents[1] / "sample_docs"
QUESTIONS = (
    "When does the nightly backup start and how long are backups retained?",
    "Combien de jours de télétravail par semaine sont autorisés ?",
    "Which invoice was charged twice in ticket 1042?",
    "root cause of the payments API outage on 2024-03-14",
    "délai de réponse du responsable",
    "restore test",
)


class InMemory(LexicalIndex):
    """Ranks every collection in memory: its ranking is built before each search, and must answer it."""

    def search(self, collection: str, query: str, top_k: int, **filters: Any) -> list[SearchHit]:
        self.prepare()
        hits = super().search(collection, query, top_k, **filters)
        assert collection not in self._chunk_counts() or collection in self._rankings
        return hits

    def _chunk_counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT collection, chunks FROM chunk_collections WHERE chunks > 0"))


@pytest.fixture(autouse=True)
def builds_without_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.lexical, "_BUILD_PAUSE_FACTOR", 0.0)


@pytest.fixture(params=["fts5", "in_memory"])
def make_index(request: pytest.FixtureRequest) -> MakeIndex:
    if request.param == "fts5":
        return lambda path: LexicalIndex(path, in_memory_min_chunks=10**9)
    return lambda path: InMemory(path, in_memory_min_chunks=0)


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


def sample_chunks() -> list[Chunk]:
    """The text sample documents cut into chunks of 40 words, over three pages each."""
    chunks: list[Chunk] = []
    for path in sorted(SAMPLE_DOCS.iterdir()):
        if path.suffix not in (".txt", ".md", ".eml"):
            continue
        words = path.read_text(encoding="utf-8").split()
        for n, start in enumerate(range(0, len(words), 40)):
            text = " ".join(words[start : start + 40])
            chunks.append(
                Chunk(f"{path.stem}-{n}", path.stem, path.name, 1 + n % 3, n, 0, len(text), text, token_count=0)
            )
    return chunks


def indexes(path: Path) -> tuple[LexicalIndex, LexicalIndex]:
    """Two connections to one file, as two processes have: FTS5's ranking only, and one that ranks in memory."""
    return LexicalIndex(path, in_memory_min_chunks=10**9), LexicalIndex(path, in_memory_min_chunks=0)


def ids(index: LexicalIndex, question: str, top_k: int = 10, collection: str = "docs", **filters: Any) -> list[str]:
    return [hit.chunk_id for hit in index.search(collection, question, top_k, **filters)]


def in_memory(index: LexicalIndex, collection: str = "docs") -> bool:
    """Whether the collection's in-memory ranking is of its current generation (so it answers searches)."""
    ranking = index._rankings.get(collection)
    generation = index._db.execute(
        "SELECT generation FROM chunk_collections WHERE collection = ?", (collection,)
    ).fetchone()
    return ranking is not None and generation is not None and ranking.generation == generation[0]


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


def test_filters_apply_inside_the_ranking_not_after_its_cut(tmp_path: Path, make_index: MakeIndex) -> None:
    index = make_index(tmp_path / "lexical.sqlite3")
    # The 50 best matches are all in a.txt on page 1: a filter applied to the best top_k would leave nothing.
    best = [chunk(n, "renewal renewal renewal notice") for n in range(50)]
    weaker = [chunk(100 + n, f"renewal mentioned once in a longer text number {n}", "d2", "b.txt", 2) for n in range(6)]
    index.upsert("docs", [*best, *weaker])
    assert len(ids(index, "renewal", 4, source="b.txt")) == 4
    assert set(ids(index, "renewal", 4, source="b.txt")) <= {c.chunk_id for c in weaker}
    assert set(ids(index, "renewal", 10, page_min=2)) == {c.chunk_id for c in weaker}  # all 6, not 10 of anything
    assert ids(index, "renewal", 3, page_max=1) == ["c0", "c1", "c2"]  # ties by rowid, as FTS5 breaks them
    assert ids(index, "renewal", 3, source="missing.txt") == []


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


def test_a_data_dir_of_the_change_log_gets_counted_collections(tmp_path: Path) -> None:
    """A data dir written by the hand-written in-memory ranking: its change log goes, its rows are counted."""
    path = tmp_path / "lexical.sqlite3"
    LexicalIndex(path).upsert("x", [chunk(n, f"text {n}") for n in range(3)])
    with sqlite3.connect(path) as db:
        db.executescript(
            "DROP TRIGGER chunk_collections_insert; DROP TRIGGER chunk_collections_delete; "
            "DROP TRIGGER chunk_collections_update; DROP TABLE chunk_collections; "
            "CREATE TABLE chunk_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, row INTEGER NOT NULL); "
            "CREATE TRIGGER chunk_changes_insert AFTER INSERT ON chunk_texts BEGIN "
            "INSERT INTO chunk_changes (row) VALUES (new.id); END;"
        )
    index = LexicalIndex(path)
    assert index._db.execute("SELECT collection, chunks FROM chunk_collections").fetchall() == [("x", 3)]
    names = {row[0] for row in index._db.execute("SELECT name FROM sqlite_master")}
    assert "chunk_changes" not in names and "chunk_changes_insert" not in names
    index.upsert("x", [chunk(9, "nine")])
    assert index._db.execute("SELECT chunks FROM chunk_collections").fetchall() == [(4,)]


def test_every_write_changes_the_generation_and_keeps_the_count(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3")

    def state() -> tuple[int, int]:
        return index._db.execute("SELECT generation, chunks FROM chunk_collections WHERE collection = 'x'").fetchone()

    seen = set()
    index.upsert("x", [chunk(1, "one"), chunk(2, "two", document="d2")])
    seen.add(state()[0])
    assert state()[1] == 2
    index.upsert("x", [chunk(1, "one again")])  # replaced: still two chunks, a new generation
    assert state()[0] not in seen and state()[1] == 2
    seen.add(state()[0])
    index.upsert("y", [chunk(1, "another collection")])
    assert state()[0] in seen  # other collections' writes leave it
    index.delete_document("x", "d2")
    assert state()[0] not in seen and state()[1] == 1
    seen.add(state()[0])
    index.delete_collection("x")
    assert state()[0] not in seen and state()[1] == 0


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


def test_tokens_are_those_fts5_indexes(tmp_path: Path) -> None:
    texts = [c.text for c in sample_chunks()] + [
        "Élève ÉTÉ naïve Ça coûte 1 200,50 € — e-mail: jean_dupont@example.com; ID#A-42/b",
        "Straße Ω ΣΊΣΥΦΟΣ ﬁnance ２０２４ x² İstanbul ǅ ½ ① Łódź Ørsted Đà Nẵng Œuvre ſ µ ΐ e\u0301te\u0301",
        "中文字 日本語テキスト 한국어 العربية عَرَبِيّ עברית हिन्दी ไทย don't a_b",
        "thanks🙂 merci🥲bien ok 🫠 done ₾50 1000₼ 100₽ ₿ Ǽsir ǽ Ǿ Ა ꭰ \u200bzero\u00a0nbsp",
    ]
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    index.upsert("docs", [Chunk(f"c{n}", "d", "s", 1, n, 0, len(t), t, token_count=0) for n, t in enumerate(texts)])
    index._db.execute("CREATE VIRTUAL TABLE temp.instances USING fts5vocab(main, chunk_terms, 'instance')")
    fts5 = Counter(term for (term,) in index._db.execute("SELECT term FROM temp.instances"))
    ours = Counter(token for text in texts for token in fts_tokens(text))
    assert ours == fts5
    assert {"eleve", "ete", "naive", "ca", "coute", "jean", "dupont", "42", "σίσυφοσ", "łodz", "thanks🙂"} <= set(ours)


def test_in_memory_ranking_agrees_with_fts5_on_the_top_hits(tmp_path: Path) -> None:
    fts5, memory = indexes(tmp_path / "lexical.sqlite3")
    fts5.upsert("docs", sample_chunks())
    fts5.upsert("other", sample_chunks()[:10])  # another collection: never returned
    memory.prepare()
    assert in_memory(memory) and in_memory(memory, "other") and not fts5._rankings
    for question in QUESTIONS:
        for filters in ({}, {"page_min": 2}, {"page_max": 1}, {"source": "procedure-backup.md"}):
            expected, found = ids(fts5, question, **filters), ids(memory, question, **filters)
            # Scores differ (idf over the collection, Lucene's variant), so the best three are compared, and
            # which rows match at all.
            assert found[:3] == expected[:3] and len(found) == len(expected), (question, filters)
    assert ids(memory, "backup retained")  # the comparison compared rankings, not two empty lists
    assert in_memory(memory)  # and the in-memory ranking gave them


def test_a_stale_ranking_never_serves_erased_chunks(tmp_path: Path) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    chunks = sample_chunks()
    writer.upsert("docs", chunks)
    reader.prepare()
    assert any(hit.startswith("procedure-backup") for hit in ids(reader, "nightly backup")) and in_memory(reader)
    reader._next_build_at["docs"] = float("inf")  # no rebuild may start: the stale ranking is all there is
    # Erased through another connection (another process): this one's ranking still holds the chunks.
    writer.delete_document("docs", "procedure-backup")
    assert not any(hit.startswith("procedure-backup") for hit in ids(reader, "nightly backup"))
    assert "docs" not in reader._rankings  # dropped, not kept: it holds the erased words
    assert ids(reader, QUESTIONS[2]) == ids(writer, QUESTIONS[2]) != []  # FTS5 answered
    # Erased through this connection: its ranking goes at once, before any search.
    reader._next_build_at.clear()
    reader.prepare()
    assert in_memory(reader)
    reader.delete_document("docs", "ticket-1042")
    assert "docs" not in reader._rankings


def test_a_write_makes_fts5_answer_until_the_rebuild(tmp_path: Path) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    writer.upsert("docs", sample_chunks())
    reader.prepare()
    built = reader._rankings["docs"]
    writer.upsert("docs", [Chunk("new", "memo", "memo.txt", 1, 0, 0, 9, "zeppelin hangar memo", token_count=0)])
    assert ids(reader, "zeppelin") == ["new"]  # FTS5, while the ranking is rebuilt on a thread
    assert reader._building is not None
    reader._building.join(timeout=30)
    assert in_memory(reader) and reader._rankings["docs"] is not built
    assert ids(reader, "zeppelin") == ["new"]  # the rebuilt ranking
    assert ids(reader, QUESTIONS[0])[:3] == ids(writer, QUESTIONS[0])[:3]


def test_a_build_that_saw_a_write_is_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    writer.upsert("docs", sample_chunks())
    monkeypatch.setattr(rag.lexical, "_BUILD_BATCH", 5)  # several reads, with a write between two of them
    add, build = RankingBuilder.add, RankingBuilder.build
    calls: Counter[str] = Counter()

    def add_then_write(builder: RankingBuilder, rows: Any) -> None:
        calls["add"] += 1
        add(builder, rows)
        if calls["add"] == 2:
            writer.delete_document("docs", "procedure-backup")

    def counted_build(builder: RankingBuilder, generation: int) -> Any:
        calls["build"] += 1
        return build(builder, generation)

    monkeypatch.setattr(RankingBuilder, "add", add_then_write)
    monkeypatch.setattr(RankingBuilder, "build", counted_build)
    reader.prepare()
    # The rows read were of two states: the build stops before bm25s indexes them.
    assert calls["add"] > 2 and calls["build"] == 0 and "docs" not in reader._rankings

    def write_then_build(builder: RankingBuilder, generation: int) -> Any:
        writer.delete_document("docs", "ticket-1042")
        return build(builder, generation)

    # Written to after its rows were read: indexed, but not installed (it could never answer).
    monkeypatch.setattr(RankingBuilder, "add", add)
    monkeypatch.setattr(RankingBuilder, "build", write_then_build)
    reader.prepare()
    assert "docs" not in reader._rankings
    monkeypatch.setattr(RankingBuilder, "build", build)
    reader.prepare()
    assert in_memory(reader)
    assert not any(hit.startswith(("procedure-backup", "ticket-1042")) for hit in ids(reader, "nightly backup invoice"))


def test_only_collections_of_the_threshold_rank_in_memory(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite3", in_memory_min_chunks=5)
    index.upsert("big", [chunk(n, f"word{n} shared") for n in range(5)])
    index.upsert("small", [chunk(n, f"word{n} shared") for n in range(4)])
    index.upsert("blank", [chunk(n, "— ... !!!") for n in range(5)])  # no term at all: nothing to rank by
    index.prepare()
    assert in_memory(index, "big") and in_memory(index, "blank") and "small" not in index._rankings
    assert ids(index, "shared", 10, "big") == [f"c{n}" for n in range(5)]
    assert ids(index, "shared", 10, "blank") == []
    index.delete_document("big", "d1")
    assert "big" not in index._rankings and index.search("big", "shared", 3) == []
