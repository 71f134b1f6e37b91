"""Choose the evidence threshold (ENCLAVE_EVIDENCE_MIN_SCORE) on one half of the answer sets, report on the other.

The contexts of tests/data/answers/qa_{en,fr}.jsonl are cut into five folds; for each fold a collection holds
every context but that fold's, so each question is asked once with its context withheld (it should get "the
documents do not say") and four times with it ingested (its best quote should contain the gold answer).
Each time the best sentence's score is recorded (rag/evidence.py, through the real pipeline, redaction on; the
language model is not involved). A threshold ``t`` says "do not say" when the best score is below ``t``.

The threshold is the one that maximizes, on the questions of even rank (the tuning half), the mean of the two
rates (evidence holding the gold answer on answerable asks; "do not say" on withheld ones); both rates are then
reported on the questions of odd rank, which played no part in the choice.

Usage: python -m bench.evidence_threshold [--folds 5] [--weight-model 0]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import rag  # noqa: F401  (offline switches before any model library is imported)
from ingest.components import build_pipeline, build_redactor
from rag.answer_eval import QaRow, contains, load_qa
from rag.components import load_embedder, load_generator, open_store
from rag.evidence import EvidenceSelector, EvidenceWeights
from rag.retriever import HybridRetriever
from rag.settings import load_settings

# Not bench.paths: this script also runs as a file (python bench/evidence_threshold.py), without the bench package.
REPO = Path(__file__).resolve().parent.parent
SETS = {"en": REPO / "tests/data/answers/qa_en.jsonl", "fr": REPO / "tests/data/answers/qa_fr.jsonl"}
THRESHOLDS = [round(0.20 + 0.01 * i, 2) for i in range(61)]


@dataclass(frozen=True)
class Ask:
    language: str
    rank: int  # the question's rank in its set: even ranks tune, odd ranks report
    withheld: bool
    best_score: float  # of the best sentence; 0.0 when retrieval found nothing similar enough
    best_has_gold: bool  # the quotes chosen at this score contain the gold answer
    question: str
    quote: str
    gold: str


def measure(rows: Sequence[QaRow], language: str, folds: int, model_weight: float, work: Path) -> list[Ask]:
    settings = load_settings(data_dir=work / language)
    redactor = build_redactor(settings)
    embedder = load_embedder(settings)
    generator = load_generator(settings) if model_weight > 0 else None
    store = open_store(settings)
    pipeline = build_pipeline(settings, redactor=redactor, embedder=embedder, store=store)
    retriever = HybridRetriever(embedder, store, pipeline.lexical, candidates=settings.retrieval_candidates)
    selector = EvidenceSelector(
        embedder, generator=generator, weights=EvidenceWeights(model=model_weight), min_score=0.0
    )
    contexts = list(dict.fromkeys(row.context for row in rows))
    fold_of = {context: index % folds for index, context in enumerate(contexts)}
    asks: list[Ask] = []
    for fold in range(folds):
        collection = f"fold{fold}"
        for number, context in enumerate(contexts):
            if fold_of[context] != fold:
                pipeline.ingest_bytes(
                    context.encode("utf-8"), collection=collection, root="qa", source=f"c{number}.txt",
                    path=f"qa/c{number}.txt",
                )  # fmt: skip
        for rank, row in enumerate(rows):
            question = redactor.redact(row.question).text
            hits = [
                hit
                for hit in retriever.search(question, collection, settings.top_k)
                if float(hit.metadata.get("similarity", 0.0)) >= settings.min_similarity
            ]
            quotes = selector.select(question, hits) if hits else []
            asks.append(
                Ask(
                    language=language,
                    rank=rank,
                    # Withheld only when no ingested context holds the gold answer (a fact may be in two).
                    withheld=not any(
                        fold_of[c] != fold and (c == row.context or contains(c, row.answer)) for c in contexts
                    ),
                    best_score=quotes[0].score if quotes else 0.0,
                    best_has_gold=contains(" ".join(q.text for q in quotes), row.answer),
                    question=question,
                    quote=quotes[0].text if quotes else "",
                    gold=row.answer,
                )
            )
    return asks


def rates(asks: Sequence[Ask], threshold: float) -> tuple[float, float]:
    answerable = [a for a in asks if not a.withheld]
    withheld = [a for a in asks if a.withheld]
    found = sum(a.best_score >= threshold and a.best_has_gold for a in answerable) / max(len(answerable), 1)
    refused = sum(a.best_score < threshold for a in withheld) / max(len(withheld), 1)
    return found, refused


def main(argv: Sequence[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--weight-model", type=float, default=0.0, help="EvidenceWeights.model (0: no model)")
    parser.add_argument("--dump", type=Path, help="write every ask (question, best quote, score) to this JSON file")
    args = parser.parse_args(argv)
    asks: list[Ask] = []
    with tempfile.TemporaryDirectory(prefix="enclave-threshold-") as work:
        for language, path in SETS.items():
            asks += measure(load_qa(path), language, args.folds, args.weight_model, Path(work))
    if args.dump:
        args.dump.write_text(json.dumps([asdict(a) for a in asks], ensure_ascii=False, indent=1), "utf-8")
    tuning = [a for a in asks if a.rank % 2 == 0]
    chosen = max(THRESHOLDS, key=lambda t: (sum(rates(tuning, t)) / 2, -abs(t - 0.5)))
    report: dict[str, object] = {"threshold": chosen, "tuning": rates(tuning, chosen)}
    for language in SETS:
        held_out = [a for a in asks if a.rank % 2 == 1 and a.language == language]
        found, refused = rates(held_out, chosen)
        report[language] = {"evidence_has_gold": round(found, 3), "do_not_say_on_withheld": round(refused, 3)}
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
