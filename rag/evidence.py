"""Evidence: the sentences of the retrieved sources that answer a question, quoted verbatim.

Every sentence of the top sources is scored against the question by two signals that need no generation:
the embedding similarity of question and sentence, and the share of the question's content words the
sentence holds, each word weighted by its rarity among the candidates. The best few candidates may then be
re-scored by the language model as a constrained choice (which of these sentences answers the question), read
from its next-token distribution as ticket labels are. Headings and label lines are never evidence.
The quotes are the best one to three sentences; below ``min_score`` there is no evidence, and the answer is
that the documents do not say. When the best quotes come from different documents and give different values
of the same kind (two durations, two amounts), the sources disagree.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.claims import content_words, fold
from rag.prompts import evidence_choice_prompt
from rag.protocols import Embedder, Generator
from rag.sentences import SentenceSplitter
from rag.types import SearchHit

_CHOICE_LETTERS = "ABCDEFGH"
# A line of at most this many words that does not end like a sentence is a label or a heading.
_LABEL_WORDS = 8
_STATEMENT_ENDS = (".", "!", "?", ";", ")", "»", '"')
# A quantity: a number and the unit word after it ("16 weeks", "2,50 EUR", "30 jours").
_QUANTITY = re.compile(r"(\d+(?:[.,:]\d+)*)\s*(%|€|\$|[^\W\d_]+)", re.UNICODE)
_UNIT_KINDS: dict[str, str] = {
    **dict.fromkeys(
        ["day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours", "minute", "minutes",
         "jour", "jours", "semaine", "semaines", "mois", "an", "ans", "annee", "annees", "heure", "heures"],
        "duration",
    ),
    **dict.fromkeys(["eur", "euro", "euros", "€", "usd", "$", "gbp", "chf", "dollars"], "amount"),
    **dict.fromkeys(["%", "percent", "pourcent", "pour"], "percentage"),
}  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    """A sentence quoted from a source: ``start``/``end`` are its span in the chunk's text."""

    n: int  # the number of its source among the answer's citations, from 1
    text: str
    source: str
    page: int
    location: str | None
    chunk_id: str
    start: int
    end: int
    score: float
    document_id: str
    ocr: bool = False  # the sentence was read by OCR from an image


@dataclass(frozen=True)
class EvidenceWeights:
    """How the signals mix into a sentence's score; chosen on data (docs/benchmarks.md, answers)."""

    similarity: float = 0.5
    overlap: float = 0.5
    model: float = 0.0  # the model's choice among the best candidates; 0 leaves the model out


class EvidenceSelector:
    def __init__(
        self,
        embedder: Embedder,
        *,
        generator: Generator | None = None,
        weights: EvidenceWeights | None = None,
        min_score: float = 0.54,
        max_quotes: int = 3,
        margin: float = 0.08,
        candidates: int = 5,
    ) -> None:
        self._embedder = embedder
        self._generator = generator
        self._weights = weights or EvidenceWeights()
        self._splitter = SentenceSplitter()
        self.min_score = min_score
        self._max_quotes = max_quotes
        self._margin = margin
        self._candidates = candidates

    def score(self, question: str, hits: Sequence[SearchHit]) -> list[Evidence]:
        """Every sentence of ``hits``, scored against the question, best first."""
        sentences = [
            (n, hit, start, end)
            for n, hit in enumerate(hits, start=1)
            for start, end in self._splitter.spans(hit.text)
            if is_statement(hit.text[start:end])
        ]
        if not sentences:
            return []
        texts = [hit.text[start:end] for _, hit, start, end in sentences]
        vectors = self._embedder.embed([question, *texts])
        similarity = vectors[1:] @ vectors[0]
        overlap = weighted_overlap(question, texts)
        scores = self._weights.similarity * similarity + self._weights.overlap * overlap
        if self._weights.model > 0 and self._generator is not None:
            scores = self._with_model(question, texts, scores)
        ranked = sorted(range(len(texts)), key=lambda i: -scores[i])
        return [
            Evidence(
                n=sentences[i][0],
                text=texts[i],
                source=sentences[i][1].source,
                page=sentences[i][1].page,
                location=sentences[i][1].location,
                chunk_id=sentences[i][1].chunk_id,
                start=sentences[i][2],
                end=sentences[i][3],
                score=round(float(scores[i]), 4),
                document_id=sentences[i][1].document_id,
                ocr=sentences[i][1].ocr,
            )
            for i in ranked
        ]

    def select(self, question: str, hits: Sequence[SearchHit]) -> list[Evidence]:
        """The quotes that answer the question: the best sentence and those close to it, at most
        ``max_quotes``, one per passage of text (a sentence repeated by overlapping chunks is quoted once);
        none when even the best scores below ``min_score``."""
        scored = self.score(question, hits)
        if not scored or scored[0].score < self.min_score:
            return []
        floor = max(self.min_score, scored[0].score - self._margin)
        quotes: list[Evidence] = []
        seen: set[str] = set()
        for evidence in scored:
            if evidence.score < floor or len(quotes) == self._max_quotes:
                break
            key = " ".join(fold(evidence.text).split())
            if key not in seen:
                seen.add(key)
                quotes.append(evidence)
        return quotes

    def _with_model(self, question: str, texts: list[str], scores: np.ndarray) -> np.ndarray:
        assert self._generator is not None
        best = [int(i) for i in np.argsort(-scores)[: min(self._candidates, len(_CHOICE_LETTERS))]]
        if len(best) < 2:
            return scores
        letters = list(_CHOICE_LETTERS[: len(best)])
        prompt = evidence_choice_prompt(question, [texts[i] for i in best])
        probabilities = self._generator.choice_probabilities(prompt.text, letters, prefix=prompt.prefix)
        if probabilities is None:
            return scores
        mixed = scores.copy()
        for letter, index in zip(letters, best, strict=True):
            mixed[index] += self._weights.model * probabilities[letter]
        return mixed


def is_statement(text: str) -> bool:
    """Whether a sentence can be evidence: a heading ("# Incident report: payments API outage") or a short
    label line names a topic, and holds the question's words, without stating anything about it."""
    words = text.split()
    if not content_words(text) or text.lstrip().startswith("#"):
        return False
    return len(words) > _LABEL_WORDS or text.rstrip().endswith(_STATEMENT_ENDS)


def weighted_overlap(question: str, texts: Sequence[str]) -> np.ndarray:
    """The share of the question's content words each text holds, each word weighted by its rarity among the
    texts (BM25's inverse document frequency): a word every candidate holds ("leave" in a leave policy) says
    little about which one answers, a rare one ("carer's") says much."""
    asked = content_words(question)
    words = [content_words(text) for text in texts]
    if not asked:
        return np.zeros(len(texts), dtype=np.float64)
    count = len(texts)
    weight = {word: math.log(1 + count / (1 + sum(word in held for held in words))) for word in asked}
    total = sum(weight.values())
    return np.array([sum(weight[w] for w in asked & held) / total for held in words], dtype=np.float64)


def quantities(text: str) -> dict[str, set[str]]:
    """The numbers of a text by the kind of unit they count: ``{"duration": {"16", "10"}}``."""
    found: dict[str, set[str]] = {}
    for number, unit in _QUANTITY.findall(text):
        kind = _UNIT_KINDS.get(fold(unit))
        if kind:
            found.setdefault(kind, set()).add(number.replace(",", "."))
    return found


def disagreement(quotes: Sequence[Evidence]) -> str | None:
    """Why the quotes disagree, or None: quotes of different documents giving only different values of
    the same kind (one says 30 days, another 45 days)."""
    for i, first in enumerate(quotes):
        for second in quotes[i + 1 :]:
            if first.document_id == second.document_id:
                continue
            mine, theirs = quantities(first.text), quantities(second.text)
            for kind in mine.keys() & theirs.keys():
                if not mine[kind] & theirs[kind]:
                    return (
                        f"{first.source} says {', '.join(sorted(mine[kind]))} and {second.source} says "
                        f"{', '.join(sorted(theirs[kind]))} ({kind})"
                    )
    return None
