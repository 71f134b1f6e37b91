"""`enclave eval retrieval`: the metric functions by hand, the BEIR reader, and real runs on the sample set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from rag.errors import InvalidInputError
from rag.retrieval_eval import (
    MODES,
    BeirDataset,
    CorpusEntry,
    document_ranking,
    evaluate,
    load_beir,
    ndcg_at_k,
    recall_at_k,
)
from rag.types import SearchHit

from .conftest import REPO, make_pipeline

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BEIR_SAMPLE = REPO / "tests" / "data" / "beir_sample"


def _files(folder: Path = BEIR_SAMPLE) -> tuple[Path, Path, Path]:
    return folder / "corpus.jsonl", folder / "queries.jsonl", folder / "qrels.tsv"


# --- metrics --------------------------------------------------------------------------------------


def test_perfect_ranking_scores_one() -> None:
    relevance = {"a": 2, "b": 1, "c": 1}
    ranking = ["a", "b", "c", "x", "y"]
    assert ndcg_at_k(ranking, relevance, 10) == pytest.approx(1.0)
    assert recall_at_k(ranking, relevance, 10) == 1.0
    # Equal grades in another order are just as perfect.
    assert ndcg_at_k(["a", "c", "b"], relevance, 10) == pytest.approx(1.0)


def test_ndcg_of_hand_computed_rankings() -> None:
    # Binary: relevant b and c at ranks 2 and 3.
    # DCG = 1/log2(3) + 1/log2(4) = 0.63093 + 0.5 = 1.13093; ideal = 1 + 0.63093 = 1.63093; 0.69342.
    assert ndcg_at_k(["a", "b", "c"], {"b": 1, "c": 1}, 10) == pytest.approx(0.69342, abs=1e-5)
    # Graded: the grade-1 document first, the grade-2 one second.
    # DCG = 1 + 2/log2(3) = 2.26186; ideal = 2 + 1/log2(3) = 2.63093; 0.85972.
    assert ndcg_at_k(["c", "a"], {"a": 2, "b": 0, "c": 1}, 10) == pytest.approx(0.85972, abs=1e-5)
    # The cut: a relevant document at rank 11 does not count at 10.
    ranking = [f"n{i}" for i in range(10)] + ["r"]
    assert ndcg_at_k(ranking, {"r": 1}, 10) == 0.0
    assert ndcg_at_k(ranking, {"r": 1}, 11) == pytest.approx(1 / 3.5849625, abs=1e-6)  # 1/log2(12)


def test_recall_counts_relevant_documents_within_the_cut() -> None:
    relevance = {"a": 1, "b": 1, "z": 0}
    assert recall_at_k(["a", "x", "b"], relevance, 2) == 0.5
    assert recall_at_k(["a", "x", "b"], relevance, 3) == 1.0
    assert recall_at_k(["z"], relevance, 10) == 0.0  # a judged-irrelevant document is no hit
    assert recall_at_k(["a"], {"z": 0}, 10) == 0.0  # nothing relevant: scored 0, and not averaged in


def test_a_document_ranks_where_its_best_chunk_ranks() -> None:
    def hit(document_id: str) -> SearchHit:
        return SearchHit(chunk_id=f"{document_id}-c", document_id=document_id, source="s", page=1, text="", score=0.0)

    hits = [hit("d2"), hit("unknown"), hit("d1"), hit("d2"), hit("d3")]
    assert document_ranking(hits, {"d1": "one", "d2": "two", "d3": "three"}) == ["two", "one", "three"]


# --- the data set ---------------------------------------------------------------------------------


def test_shipped_sample_is_what_the_script_derives() -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "make_beir_sample.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


def test_load_beir_reads_the_sample(manifest: dict[str, Any]) -> None:
    dataset = load_beir(*_files())
    facts = [fact for document in manifest["documents"] for fact in document["facts"]]
    assert len(dataset.queries) == len(facts)
    assert set(dataset.judged_queries()) == set(dataset.queries)
    by_id = {entry.id: entry for entry in dataset.corpus}
    for (query_id, question), fact in zip(dataset.queries.items(), facts, strict=True):
        assert question == fact["question"]
        for corpus_id in dataset.qrels[query_id]:
            assert " ".join(fact["answer_contains"].split()) in by_id[corpus_id].text


def test_load_beir_rejects_broken_files(tmp_path: Path) -> None:
    corpus, queries, qrels = tmp_path / "c.jsonl", tmp_path / "q.jsonl", tmp_path / "r.tsv"
    corpus.write_text('{"_id": "d1", "text": "x"}\n{"text": "no id"}\n', "utf-8")
    queries.write_text('{"_id": "q1", "text": "x"}\n', "utf-8")
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n", "utf-8")
    with pytest.raises(InvalidInputError, match="_id"):
        load_beir(corpus, queries, qrels)
    corpus.write_text('{"_id": "d1", "text": "x"}\n', "utf-8")
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\n", "utf-8")
    with pytest.raises(InvalidInputError, match="score"):
        load_beir(corpus, queries, qrels)
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td1\t0\n", "utf-8")
    dataset = load_beir(corpus, queries, qrels)
    assert dataset.qrels == {"q1": {"d1": 1}, "q2": {"d1": 0}}
    assert list(dataset.judged_queries()) == ["q1"]


# --- real runs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any) -> dict[str, Any]:
    """The shipped sample set through the real pipeline and retriever, once for this module."""
    from rag.retriever import HybridRetriever

    dataset = load_beir(*_files())
    pipeline = make_pipeline(tmp_path_factory.mktemp("beir") / "data", redactor, embedder)
    retriever = HybridRetriever(embedder, pipeline.store, pipeline.lexical, candidates=100)
    report = evaluate(dataset, ingester=pipeline, searcher=retriever, redactor=redactor, collection="beir")
    return {"dataset": dataset, "report": report, "pipeline": pipeline}


def test_sample_run_ingests_every_passage_redacted(sample_run: dict[str, Any]) -> None:
    report, dataset = sample_run["report"], sample_run["dataset"]
    assert report.failed == {}
    assert report.ingested == report.corpus == len(dataset.corpus)
    entries = sample_run["pipeline"].ledger.entries(collection="beir")
    assert len(entries) == len(dataset.corpus)
    # Redaction was on: the passages with the sample documents' invented people lost them.
    assert sum(entry.redactions.get("PERSON", 0) for entry in entries) > 0


def test_sample_run_scores_every_mode_sensibly(sample_run: dict[str, Any]) -> None:
    report = sample_run["report"]
    assert list(report.modes) == list(MODES) == ["dense", "lexical", "hybrid"]
    assert report.judged_queries == len(sample_run["dataset"].queries)
    for scores in report.modes.values():
        for value in (scores.ndcg_at_10, scores.recall_at_10, scores.recall_at_100):
            assert 0.0 <= value <= 1.0
        assert scores.recall_at_100 >= scores.recall_at_10
        # Far above chance (one or two relevant passages among 51 put nDCG@10 near 0.1 at random).
        assert scores.ndcg_at_10 > 0.5
    dense, lexical, fused = (report.modes[mode].ndcg_at_10 for mode in ("dense", "lexical", "hybrid"))
    # Fusion may trail the better ranking, but not fall far below the worse one.
    assert fused >= min(dense, lexical) - 0.05
    # The per-query figures add up to the means.
    mean = (
        sum(report.per_query[f"{q}/hybrid"]["ndcg@10"] for q in sample_run["dataset"].queries) / report.judged_queries
    )
    assert mean == pytest.approx(fused)
    json.dumps(report.to_dict())


def test_evaluate_maps_hits_back_to_corpus_ids(sample_run: dict[str, Any], redactor: Any, embedder: Any) -> None:
    """A corpus the ranking can only get right by id: each query is one passage's own text."""
    from rag.retriever import HybridRetriever

    pipeline = sample_run["pipeline"]
    retriever = HybridRetriever(embedder, pipeline.store, pipeline.lexical, candidates=100)
    corpus = (
        CorpusEntry("alpha", "", "The cafeteria on the third floor serves soup on Mondays."),
        CorpusEntry("beta", "", "Quarterly tax filings are due on the fifteenth of April."),
        CorpusEntry("gamma", "", "Bicycle racks are behind the north entrance of the warehouse."),
    )
    dataset = BeirDataset(
        corpus=corpus,
        queries={"q-" + entry.id: entry.text for entry in corpus},
        qrels={"q-" + entry.id: {entry.id: 1} for entry in corpus},
    )
    report = evaluate(dataset, ingester=pipeline, searcher=retriever, redactor=redactor, collection="exact")
    for scores in report.modes.values():
        assert scores.ndcg_at_10 == pytest.approx(1.0)


def test_cli_keeps_off_the_users_store(tmp_path: Path) -> None:
    """The CLI on a slice of the sample set: JSON out, the store in --data-dir, nothing in ENCLAVE_DATA_DIR."""
    slice_dir = tmp_path / "slice"
    slice_dir.mkdir()
    corpus, queries, qrels = _files()
    wanted = {"procedure-backup-1", "procedure-backup-2", "procedure-backup-3", "ticket-1043-1", "ticket-1043-2"}
    rows = [line for line in corpus.read_text("utf-8").splitlines() if json.loads(line)["_id"] in wanted]
    (slice_dir / "corpus.jsonl").write_text("\n".join(rows) + "\n", "utf-8")
    judged = [line for line in qrels.read_text("utf-8").splitlines()[1:] if line.split("\t")[1] in wanted]
    (slice_dir / "qrels.tsv").write_text("query-id\tcorpus-id\tscore\n" + "\n".join(judged) + "\n", "utf-8")
    (slice_dir / "queries.jsonl").write_text(queries.read_text("utf-8"), "utf-8")
    user_dir, eval_dir = tmp_path / "user", tmp_path / "eval"
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(user_dir)}
    command = [sys.executable, "-m", "api.cli", "eval", "retrieval"]
    args = ["--corpus", str(slice_dir / "corpus.jsonl"), "--queries", str(slice_dir / "queries.jsonl")]
    args += ["--qrels", str(slice_dir / "qrels.tsv")]

    refused = subprocess.run(
        [*command, *args, "--data-dir", str(user_dir)], capture_output=True, text=True, env=env, timeout=120
    )
    assert refused.returncode == 2
    assert "ENCLAVE_DATA_DIR" in refused.stderr

    result = subprocess.run(
        [*command, *args, "--data-dir", str(eval_dir), "--json"], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["corpus"] == len(rows) and summary["ingested"] == len(rows)
    assert summary["judged_queries"] == len({line.split("\t")[0] for line in judged})
    assert set(summary["modes"]) == {"dense", "lexical", "hybrid"}
    assert (eval_dir / "ledger.sqlite3").is_file() and (eval_dir / "chroma").is_dir()
    assert not (user_dir / "ledger.sqlite3").exists() and not (user_dir / "chroma").exists()


def test_without_redaction_the_personal_values_are_indexed_and_found(
    tmp_path: Path, redactor: Any, embedder: Any, personal_values: list[str]
) -> None:
    """The baseline of `--no-redaction`: same pipeline, texts kept as they are, languages still detected."""
    from ingest.redaction import UnredactedText
    from rag.retriever import HybridRetriever

    name = next(value for value in personal_values if " " in value and value.replace(" ", "").isalpha())
    entry = CorpusEntry("memo", "Memo", f"{name} approved the backup rotation for the Lyon office.")
    french = "Les sauvegardes du serveur de fichiers sont vérifiées chaque lundi matin par l'équipe."
    baseline = UnredactedText(("en", "fr"))
    assert baseline.redact_documents([[entry.text], [french]]) == [
        [baseline.redact(entry.text)],
        [baseline.redact(french)],
    ]
    assert [baseline.redact(entry.text).language, baseline.redact(french).language] == ["en", "fr"]

    for kept, used in ((True, baseline), (False, redactor)):
        pipeline = make_pipeline(tmp_path / str(kept), used, embedder)
        retriever = HybridRetriever(embedder, pipeline.store, pipeline.lexical, candidates=10)
        dataset = BeirDataset(corpus=(entry,), queries={"q": name}, qrels={"q": {"memo": 1}})
        report = evaluate(dataset, ingester=pipeline, searcher=retriever, redactor=used, collection="names")
        assert report.ingested == 1
        hits = retriever.search(name, "names", top_k=5, mode="lexical")
        assert any(name in hit.text for hit in hits) is kept
