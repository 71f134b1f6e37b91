"""The in-memory lexical ranking: FTS5's tokens and scores, kept current with the writes of any connection."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path

import pytest

import rag.lexical
import rag.lexical_matrix
from rag.lexical import LexicalIndex
from rag.lexical_matrix import Bm25Matrix, MatrixRow, fts_tokens
from rag.types import Chunk

SAMPLE_DOCS = Path(__file__).resolve().parents[1] / "sample_docs"
QUESTIONS = (
    "When does the nightly backup start and how long are backups retained?",
    "Combien de jours de télétravail par semaine sont autorisés ?",
    "Which invoice was charged twice in ticket 1042?",
    "root cause of the payments API outage on 2024-03-14",
    "délai de réponse du responsable",
    "restore test",
)


def sample_chunks() -> list[Chunk]:
    """The text sample documents cut into chunks of 40 words, over two sources' worth of pages."""
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
    """Two readers of one file: FTS5's ranking only, and the in-memory one."""
    return LexicalIndex(path, in_memory_min_chunks=10**9), LexicalIndex(path, in_memory_min_chunks=0)


def ranked(index: LexicalIndex, question: str, top_k: int = 10, **filters: object) -> list[tuple[str, float]]:
    return [(hit.chunk_id, hit.score) for hit in index.search("docs", question, top_k, **filters)]  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def builds_without_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.lexical, "_BUILD_PAUSE_FACTOR", 0.0)


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


def test_terms_fts5_tokenizes_otherwise_leave_ranking_to_fts5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    writer.upsert("docs", sample_chunks())
    monkeypatch.setattr(rag.lexical_matrix, "fts_tokens", lambda text: text.split())  # a tokenizer that differs
    reader.prepare()
    assert reader._matrix is None and "terms differ from FTS5's" in caplog.text
    monkeypatch.undo()
    assert ranked(reader, QUESTIONS[0]) == ranked(writer, QUESTIONS[0]) != []
    assert reader._matrix is None and reader._building is None


def test_in_memory_ranking_gives_fts5s_rows_and_scores(tmp_path: Path) -> None:
    fts5, in_memory = indexes(tmp_path / "lexical.sqlite3")
    fts5.upsert("docs", sample_chunks())
    fts5.upsert("other", sample_chunks()[:10])  # another collection: counted in idf, never returned
    for question in QUESTIONS:
        for filters in ({}, {"page_min": 2}, {"page_max": 1}, {"source": "procedure-backup.md"}):
            expected = ranked(fts5, question, **filters)
            assert ranked(in_memory, question, **filters) == expected, (question, filters)
    assert ranked(in_memory, "backup retained")  # the comparison compared rankings, not two empty lists
    assert in_memory._matrix is not None and fts5._matrix is None
    # Many rows tied at the k-th score: FTS5 keeps the first rows it visits, in rowid order.
    fts5.upsert("docs", [Chunk(f"dup{n}", f"dup{n}", "dup.txt", 1, 0, 0, 20, "zeppelin hangar", 0) for n in range(60)])
    for top_k in (1, 7, 59, 61):
        assert ranked(in_memory, "zeppelin hangar", top_k) == ranked(fts5, "zeppelin hangar", top_k)


def test_in_memory_ranking_follows_other_connections_writes(tmp_path: Path) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    chunks = sample_chunks()
    writer.upsert("docs", chunks)
    reader.prepare()
    assert reader._matrix is not None
    writer.upsert("docs", [Chunk("new", "memo", "memo.txt", 1, 0, 0, 9, "zeppelin hangar memo", token_count=0)])
    assert [hit.chunk_id for hit in reader.search("docs", "zeppelin", 5)] == ["new"]
    # The newest row is deleted and its rowid given to other text (SQLite reuses the highest rowid).
    writer.delete_document("docs", "memo")
    writer.upsert("docs", [Chunk("newer", "memo2", "memo.txt", 1, 0, 0, 9, "walrus enclosure", token_count=0)])
    assert reader.search("docs", "zeppelin", 5) == []
    assert [hit.chunk_id for hit in reader.search("docs", "walrus", 5)] == ["newer"]
    writer.delete_document("docs", chunks[0].document_id)
    for question in QUESTIONS:
        assert ranked(reader, question) == ranked(writer, question)
    assert reader._matrix_seq == rag.lexical._latest_change(reader._db)  # caught up, not rebuilt by FTS5


def test_a_reader_far_behind_or_after_compaction_rebuilds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    chunks = sample_chunks()
    writer.upsert("docs", chunks[:5])
    reader.prepare()
    monkeypatch.setattr(rag.lexical, "_CATCH_UP_CHANGES", 3)
    writer.upsert("docs", chunks[5:])
    # Too far behind to catch up in a search: FTS5 answers while the ranking is rebuilt on a thread.
    assert ranked(reader, QUESTIONS[0]) == ranked(writer, QUESTIONS[0])
    assert reader._building is not None
    reader._building.join(timeout=30)
    assert ranked(reader, QUESTIONS[0]) == ranked(writer, QUESTIONS[0])
    assert reader._matrix is not None and reader._matrix.chunks == len(chunks)
    # Forgetting deletes, which the reader catches up with; then it compacts: the reader rebuilds rather than
    # keep the forgotten rows' words.
    monkeypatch.setattr(rag.lexical, "_CATCH_UP_CHANGES", 2_000)
    writer.delete_document("docs", "procedure-backup")
    assert all(not hit.chunk_id.startswith("procedure-backup") for hit in reader.search("docs", "backup", 10))
    assert reader._matrix is not None and "nightly" in reader._matrix._terms
    writer.compact()
    assert writer._db.execute("SELECT row FROM chunk_changes").fetchall() == [(rag.lexical._REBUILD,)]
    assert ranked(reader, "backup") == ranked(writer, "backup")
    reader._building.join(timeout=30)
    assert ranked(reader, "backup") == ranked(writer, "backup")
    assert reader._matrix is not None and "nightly" not in reader._matrix._terms
    assert reader._matrix.chunks == len(chunks) - sum(c.document_id == "procedure-backup" for c in chunks)


def test_many_removed_rows_are_dropped_by_a_rebuild(tmp_path: Path) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    chunks = sample_chunks()
    writer.upsert("docs", chunks)
    reader.prepare()
    first = reader._matrix
    gone = sorted({c.document_id for c in chunks})[: len({c.document_id for c in chunks}) // 2]
    writer.delete_documents("docs", gone)
    expected = ranked(writer, QUESTIONS[0])
    assert ranked(reader, QUESTIONS[0]) == expected  # caught up by masking the removed rows
    assert first is not None and first.dead_share > 0.25
    assert reader._building is not None
    reader._building.join(timeout=30)
    assert reader._matrix is not first and reader._matrix is not None and reader._matrix.dead_share == 0
    assert ranked(reader, QUESTIONS[0]) == expected


def test_merged_segments_drop_removed_rows_and_rank_as_a_fresh_matrix() -> None:
    rows = [MatrixRow(n, "docs", c.source, c.page, c.text) for n, c in enumerate(sample_chunks())]
    grown = Bm25Matrix()
    removed: set[int] = set()
    for start in range(0, len(rows), 3):  # many small segments, merged along the way
        grown.add(rows[start : start + 3])
        if start:
            grown.remove([start - 2])
            removed.add(start - 2)
    grown.add([MatrixRow(4, "docs", "replaced.txt", 1, "backup restore zeppelin")])  # rowid 4 replaced
    live = [row for row in rows if row.rowid not in removed and row.rowid != 4]
    live.append(MatrixRow(4, "docs", "replaced.txt", 1, "backup restore zeppelin"))
    fresh = Bm25Matrix()
    fresh.add(live)
    assert grown.chunks == fresh.chunks == len(live)
    assert len(grown._segments) <= 8
    assert sum(segment.size for segment in grown._segments) < sum(len(set(fts_tokens(r.text))) for r in rows)
    words = [w for q in QUESTIONS for w in fts_tokens(q)]
    assert grown.document_frequency(words) == fresh.document_frequency(words)
    for question in QUESTIONS:
        expected = fresh.top(fts_tokens(question), "docs", 10)
        found = grown.top(fts_tokens(question), "docs", 10)
        assert expected and [rowid for rowid, _ in found] == [rowid for rowid, _ in expected]
        assert [score for _, score in found] == pytest.approx([score for _, score in expected])


def test_upserts_keep_the_change_log_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rag.lexical, "_KEPT_CHANGES", 10)
    index = LexicalIndex(tmp_path / "lexical.sqlite3")
    for n in range(20):
        index.upsert("docs", [Chunk(f"c{n}", "d", "s", 1, 0, 0, 4, f"text {n}", token_count=0)])
    with sqlite3.connect(tmp_path / "lexical.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM chunk_changes").fetchone()[0] <= 11


def test_a_forget_drops_the_forgotten_words_even_when_no_rebuild_may_start(tmp_path: Path) -> None:
    writer, reader = indexes(tmp_path / "lexical.sqlite3")
    writer.upsert("docs", sample_chunks())
    reader.prepare()
    # `enclave forget` in another process: delete, then compact, with no search of the reader in between.
    writer.delete_document("docs", "procedure-backup")
    writer.compact()
    reader._next_build_at = float("inf")  # builds paced: none may start now
    assert ranked(reader, "nightly backup") == ranked(writer, "nightly backup")
    assert reader._matrix is None and reader._building is None


def test_merges_rewrite_each_posting_a_logarithmic_number_of_times(monkeypatch: pytest.MonkeyPatch) -> None:
    rewritten = 0
    merged = rag.lexical_matrix._Segment.merged.__func__  # type: ignore[attr-defined]

    def counting(cls: type, segments: list[rag.lexical_matrix._Segment], live: object) -> object:
        nonlocal rewritten
        rewritten += sum(segment.size for segment in segments)
        return merged(cls, segments, live)

    monkeypatch.setattr(rag.lexical_matrix._Segment, "merged", classmethod(counting))
    matrix = Bm25Matrix()
    matrix.add(MatrixRow(n, "docs", "big.txt", 1, f"word{n} common text") for n in range(5000))
    for n in range(2000):  # one row at a time, as a search catches up during an ingestion
        matrix.add([MatrixRow(10_000 + n, "docs", "new.txt", 1, f"fresh{n} common text")])
    added = 2000 * 3
    assert rewritten <= added * 12  # log2(2000) is 11; merging small segments into one that keeps growing is over 100x
    assert len(matrix._segments) <= 13
