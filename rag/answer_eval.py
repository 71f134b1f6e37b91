"""Measure answers on question / gold answer / context rows (SQuAD-style JSON Lines).

Each row: ``question``, ``answer`` (the gold answer, as its context writes it), ``context`` (the passage that
holds it) and ``title``. Each distinct context is ingested as one document through the real pipeline
(redaction on), except every ``withhold_every``-th one, which is withheld: its questions should be answered
"the documents do not say" (unless another ingested context holds the gold answer too: then they count as
answerable). Every question is then asked as ``enclave ask`` asks it.

Reported, over the questions whose context was ingested (``answerable``):
- gold passage in the top 3 citations; the evidence contains the gold answer; the answer contains it;
and over every question:
- wrong values: answers that state a number or date the gold passage does not hold;
- "do not say" on the questions whose context was withheld;
- seconds per question (mean, p95).
Gold answers and texts are compared folded (case, accents, white space), after redaction of neither: a gold
answer is a fact, not personal data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rag.answer import Answer, AnswerState
from rag.citations import CITATION_MARK
from rag.claims import fold, values
from rag.errors import InvalidInputError
from rag.jsonl import read_jsonl
from rag.placeholders import PLACEHOLDER
from rag.retrieval_eval import DocumentIngester
from rag.types import FileOutcomeStatus

ROOT = "qa-contexts"


@dataclass(frozen=True)
class QaRow:
    question: str
    answer: str
    context: str
    title: str


class Answerer(Protocol):
    def ask(self, question: str, collection: str) -> Answer: ...


def load_qa(path: Path) -> list[QaRow]:
    """Read SQuAD-style JSON Lines; raises InvalidInputError on a malformed line."""
    rows: list[QaRow] = []
    for number, record in read_jsonl(path):
        if not isinstance(record, dict) or not all(
            isinstance(record.get(key), str) and record[key].strip() for key in ("question", "answer", "context")
        ):
            raise InvalidInputError(f"{path}:{number} needs non-empty 'question', 'answer' and 'context'")
        rows.append(QaRow(record["question"], record["answer"], record["context"], str(record.get("title") or "")))
    if not rows:
        raise InvalidInputError(f"{path} holds no question")
    return rows


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def contains(text: str, gold: str) -> bool:
    return _folded(gold) in _folded(text)


def wrong_values(answer: str, passage: str) -> list[str]:
    """Numbers and dates the answer states that the passage does not hold (placeholders and citation marks such
    as ``[1]`` are not values)."""
    stated = {value for value in values(CITATION_MARK.sub(" ", answer)) if not PLACEHOLDER.fullmatch(value)}
    return sorted(stated - values(passage))


@dataclass
class QuestionResult:
    question: str
    gold: str
    withheld: bool
    answer: str
    state: str
    verified: bool
    gold_in_top3: bool
    evidence_has_gold: bool
    answer_has_gold: bool
    wrong_values: list[str]
    best_evidence_score: float | None
    seconds: float


@dataclass
class AnswerReport:
    questions: int
    answerable: int
    withheld: int
    gold_in_top3: float
    evidence_has_gold: float
    answer_has_gold: float
    verified: float
    wrong_value_rate: float
    do_not_say_on_withheld: float
    seconds_mean: float
    seconds_p95: float
    failed: dict[str, str] = field(default_factory=dict)
    results: list[QuestionResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _share(flags: Sequence[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def _p95(seconds: Sequence[float]) -> float:
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3) if ordered else 0.0


def evaluate_answers(
    rows: Sequence[QaRow],
    *,
    ingester: DocumentIngester,
    answerer: Answerer,
    collection: str,
    withhold_every: int = 5,
    on_question: Callable[[], None] | None = None,
) -> AnswerReport:
    """Ingest the contexts (less the withheld ones), ask every question, and score the answers."""
    contexts = list(dict.fromkeys(row.context for row in rows))
    withheld = {c for i, c in enumerate(contexts, start=1) if withhold_every and i % withhold_every == 0}
    document_of: dict[str, str] = {}
    failed: dict[str, str] = {}
    for number, context in enumerate(contexts, start=1):
        if context in withheld:
            continue
        outcome = ingester.ingest_bytes(
            context.encode("utf-8"),
            collection=collection,
            root=ROOT,
            source=f"context-{number:04d}.txt",
            path=f"{ROOT}/context-{number:04d}.txt",
        )
        if outcome.status is FileOutcomeStatus.FAILED or outcome.document_id is None:
            failed[f"context-{number:04d}"] = outcome.reason or "failed"
        else:
            document_of[context] = outcome.document_id
    results: list[QuestionResult] = []
    for row in rows:
        started = time.perf_counter()
        answer = answerer.ask(row.question, collection)
        seconds = time.perf_counter() - started
        # A question is answerable when any ingested context holds its gold answer (a fact may be written in
        # two paragraphs); it counts as withheld only when none does.
        holders = [document_of[c] for c in document_of if c == row.context or contains(c, row.answer)]
        evidence = " ".join(item.text for item in answer.evidence)
        stated = answer.answer if answer.state not in _NO_CLAIM else ""
        results.append(
            QuestionResult(
                question=row.question,
                gold=row.answer,
                withheld=not holders,
                answer=answer.answer,
                state=str(answer.state),
                verified=answer.verified,
                gold_in_top3=any(c.chunk_id[:16] == holder[:16] for c in answer.citations[:3] for holder in holders),
                evidence_has_gold=contains(evidence, row.answer),
                answer_has_gold=contains(stated, row.answer),
                wrong_values=wrong_values(stated, row.context),
                best_evidence_score=answer.evidence[0].score if answer.evidence else None,
                seconds=round(seconds, 3),
            )
        )
        if on_question is not None:
            on_question()
    answerable = [r for r in results if not r.withheld and r.question not in failed]
    held = [r for r in results if r.withheld]
    return AnswerReport(
        questions=len(results),
        answerable=len(answerable),
        withheld=len(held),
        gold_in_top3=_share([r.gold_in_top3 for r in answerable]),
        evidence_has_gold=_share([r.evidence_has_gold for r in answerable]),
        answer_has_gold=_share([r.answer_has_gold for r in answerable]),
        verified=_share([r.verified for r in answerable]),
        wrong_value_rate=_share([bool(r.wrong_values) for r in results]),
        do_not_say_on_withheld=_share([r.state == AnswerState.NOT_IN_DOCUMENTS for r in held]),
        seconds_mean=round(sum(r.seconds for r in results) / max(len(results), 1), 3),
        seconds_p95=_p95([r.seconds for r in results]),
        failed=failed,
        results=results,
    )


# States in which the answer states nothing of its own: the documents do not say, or the sources disagree.
_NO_CLAIM = frozenset({AnswerState.NOT_IN_DOCUMENTS, AnswerState.SOURCES_DISAGREE})
