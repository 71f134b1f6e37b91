"""Questions to cited answers: redact, retrieve, quote the evidence, write a checked answer, cite.

Quote-first (the default, ``ENCLAVE_ANSWER_MODE=quote-first``): the answer leads with the sentences of the
sources that answer the question, verbatim (rag/evidence.py). The model then writes a short answer from
those quotes alone, and each of its sentences is shown only once it has passed the check against them
(rag/claims.py): a sentence that states a value the quotes do not hold, or holds it in another clause, is
dropped with the rest of the answer, and the quotes stand alone (``verified`` false, with the reason).
With no sentence scoring above the evidence threshold, the documents do not say; when the best quotes of
two documents give different values of one kind, the sources disagree, and no answer is written.

Free generation (``generate``), for a larger model a user brings: the model answers from the whole
retrieved chunks, as before quotes existed; its answer is still checked against them and marked.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from rag.citations import Citation, attribute, citations_of, with_markers
from rag.claims import check_claim, states_the_fact
from rag.errors import InvalidInputError
from rag.evidence import Evidence, EvidenceSelector, disagreement
from rag.prompts import NOT_IN_DOCUMENTS, Prompt, answer_prompt, quote_answer_prompt
from rag.protocols import Generator, Redactor
from rag.retriever import HybridRetriever, SearchFilters, SearchMode
from rag.sentences import SentenceSplitter
from rag.types import AnswerMode, Completion, SearchHit

T = TypeVar("T")

SOURCES_DISAGREE = "The sources disagree."


class AnswerState(StrEnum):
    VERIFIED = "verified"  # a written answer that passed the check against the evidence
    QUOTES_ONLY = "quotes-only"  # the quotes stand alone: no written answer passed the check
    UNVERIFIED = "unverified"  # free generation (``generate``) that did not pass the check; shown, marked
    NOT_IN_DOCUMENTS = "not-in-documents"
    SOURCES_DISAGREE = "sources-disagree"


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    question: str  # as redacted: what was searched, logged and prompted
    answered: bool  # False when the documents do not say
    verified: bool = False  # the written answer passed the check against the evidence
    state: AnswerState = AnswerState.NOT_IN_DOCUMENTS
    reason: str | None = None  # why the answer is not verified
    evidence: list[Evidence] = field(default_factory=list)
    guard: dict[str, int] = field(default_factory=dict)  # entities the output guard removed, by type
    citation_method: str = "none"  # "evidence", "model" (the model wrote [n]), "overlap" (added by word overlap)
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Quotes:
    """What a stream carries first: the evidence, before any generated text."""

    evidence: list[Evidence]


@dataclass(frozen=True)
class SearchResult:
    query: str  # as redacted
    hits: list[SearchHit]
    seconds: float


def validate_text(text: str, name: str, max_chars: int) -> str:
    stripped = text.strip()
    if not stripped:
        raise InvalidInputError(f"{name} is empty")
    if len(stripped) > max_chars:
        raise InvalidInputError(f"{name} has {len(stripped)} characters, more than the limit of {max_chars}")
    return stripped


class AnswerService:
    def __init__(
        self,
        *,
        redactor: Redactor,
        retriever: HybridRetriever,
        generator: Generator,
        evidence: EvidenceSelector,
        mode: AnswerMode = AnswerMode.QUOTE_FIRST,
        top_k: int = 4,
        min_similarity: float = 0.3,
        max_tokens: int = 200,
        max_question_chars: int = 2000,
    ) -> None:
        self._redactor = redactor
        self._retriever = retriever
        self._generator = generator
        self._evidence = evidence
        self._mode = mode
        self._top_k = top_k
        self._min_similarity = min_similarity
        self._max_tokens = max_tokens
        self._max_question_chars = max_question_chars
        self._splitter = SentenceSplitter()

    def prompt_prefixes(self) -> list[str]:
        """The fixed start of every answer prompt, when the prompt has one (few-shot, not a chat template)."""
        template = self._generator.chat_template
        if self._mode is AnswerMode.GENERATE:
            prefix = answer_prompt("", [], template).prefix
        else:
            prefix = quote_answer_prompt("", [], template).prefix
        return [prefix] if prefix else []

    def search(
        self,
        query: str,
        collection: str,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> SearchResult:
        started = time.perf_counter()
        redacted = self._redactor.redact(validate_text(query, "query", self._max_question_chars)).text
        hits = self._retriever.search(redacted, collection, top_k or self._top_k, filters, mode)
        return SearchResult(query=redacted, hits=hits, seconds=time.perf_counter() - started)

    def ask(
        self, question: str, collection: str, top_k: int | None = None, filters: SearchFilters | None = None
    ) -> Answer:
        with closed_after(self.ask_stream(question, collection, top_k, filters)) as items:
            for item in items:
                if isinstance(item, Answer):
                    return item
        raise AssertionError("ask_stream ended without an answer")

    def ask_stream(
        self, question: str, collection: str, top_k: int | None = None, filters: SearchFilters | None = None
    ) -> Iterator[Quotes | str | Answer]:
        """The evidence first, then pieces of the answer as they pass the checks, then the whole ``Answer``."""
        started = time.perf_counter()
        found = self.search(question, collection, top_k, filters)
        relevant = [hit for hit in found.hits if float(hit.metadata.get("similarity", 0.0)) >= self._min_similarity]
        timings: dict[str, float] = {"retrieval_seconds": round(found.seconds, 4)}
        quotes = self._evidence.select(found.query, relevant) if relevant else []
        timings["evidence_seconds"] = round(time.perf_counter() - started - found.seconds, 4)
        if not quotes and (self._mode is AnswerMode.QUOTE_FIRST or not relevant):
            yield NOT_IN_DOCUMENTS
            yield Answer(
                answer=NOT_IN_DOCUMENTS,
                # What was searched and found close enough, none of it cited: the caller may look for themselves.
                citations=citations_of(relevant, ""),
                question=found.query,
                answered=False,
                reason="no sentence of the sources answers the question closely enough" if relevant else None,
                timings={**timings, "total_seconds": round(time.perf_counter() - started, 4)},
            )
            return
        yield Quotes(quotes)
        conflict = disagreement(quotes)
        if conflict is not None:
            yield SOURCES_DISAGREE
            yield Answer(
                answer=SOURCES_DISAGREE,
                citations=citations_of(relevant, with_markers("", [q.n for q in quotes])),
                question=found.query,
                answered=True,
                state=AnswerState.SOURCES_DISAGREE,
                reason=conflict,
                evidence=quotes,
                citation_method="evidence",
                timings={**timings, "total_seconds": round(time.perf_counter() - started, 4)},
            )
            return
        if self._mode is AnswerMode.GENERATE:
            yield from self._free_answer(found.query, relevant, quotes, timings, started)
        else:
            yield from self._quoted_answer(found.query, relevant, quotes, timings, started)

    def _quoted_answer(
        self,
        question: str,
        relevant: list[SearchHit],
        quotes: list[Evidence],
        timings: dict[str, float],
        started: float,
    ) -> Iterator[str | Answer]:
        quoted = [quote.text for quote in quotes]
        prompt = quote_answer_prompt(question, quoted, self._generator.chat_template)
        guard: Counter[str] = Counter()
        shown: list[str] = []
        reason: str | None = None
        # closed_after(): leaving early (a failed check, a client gone) ends the generation and frees the model now.
        with closed_after(self._sentences(prompt, timings, started)) as sentences:
            for sentence in sentences:
                reason = self._refusal(sentence, quoted, question, first=not shown)
                if reason:
                    break
                piece = self._guard(sentence, guard)
                yield (" " if shown else "") + piece
                shown.append(piece)
        timings["total_seconds"] = round(time.perf_counter() - started, 4)
        written = " ".join(shown).strip()
        # What was shown passed the check sentence by sentence; a sentence that failed was never shown.
        verified = bool(written)
        if verified:
            text, state = with_markers(written, [q.n for q in quotes]), AnswerState.VERIFIED
            reason = f"a further sentence was dropped: {reason}" if reason else None
        else:
            # The quotes stand alone: the best one is the answer, verbatim.
            reason = reason or "the model wrote no answer"
            text, state = with_markers(quotes[0].text, [quotes[0].n]), AnswerState.QUOTES_ONLY
        yield Answer(
            answer=text,
            citations=citations_of(relevant, with_markers("", [q.n for q in quotes])),
            question=question,
            answered=True,
            verified=verified,
            state=state,
            reason=reason,
            evidence=quotes,
            guard=dict(guard),
            citation_method="evidence",
            timings=timings,
        )

    def _free_answer(
        self,
        question: str,
        relevant: list[SearchHit],
        quotes: list[Evidence],
        timings: dict[str, float],
        started: float,
    ) -> Iterator[str | Answer]:
        prompt = answer_prompt(question, relevant, self._generator.chat_template)
        guard: Counter[str] = Counter()
        parts: list[str] = []
        # Text is released a sentence at a time, after it passed the output guard.
        with closed_after(self._sentences(prompt, timings, started)) as sentences:
            for sentence in sentences:
                piece = (" " if parts else "") + self._guard(sentence, guard)
                parts.append(piece)
                yield piece
        timings["total_seconds"] = round(time.perf_counter() - started, 4)
        text = "".join(parts).strip()
        answered = bool(text) and NOT_IN_DOCUMENTS.rstrip(".").lower() not in text.lower()
        if not answered:
            yield Answer(NOT_IN_DOCUMENTS, [], question, answered=False, evidence=quotes, timings=timings)
            return
        text, method = attribute(text, relevant)
        check = check_claim(text, [hit.text for hit in relevant], question)
        yield Answer(
            answer=text,
            citations=citations_of(relevant, text),
            question=question,
            answered=True,
            verified=check.passed,
            state=AnswerState.VERIFIED if check.passed else AnswerState.UNVERIFIED,
            reason=check.reason,
            evidence=quotes,
            guard=dict(guard),
            citation_method=method,
            timings=timings,
        )

    def _sentences(self, prompt: Prompt, timings: dict[str, float], started: float) -> Iterator[str]:
        """What the model writes, a whole sentence at a time (the last one as it stopped), its figures put in
        ``timings`` once it is done."""
        generation_started = time.perf_counter()
        pending = ""
        with closed_after(
            self._generator.stream(prompt.text, max_tokens=self._max_tokens, stop=prompt.stop, prefix=prompt.prefix)
        ) as pieces:
            for item in pieces:
                if isinstance(item, Completion):
                    timings.update(_generation_timings(item, generation_started - started))
                    break
                pending += item
                sentences, pending = self._complete_sentences(pending)
                yield from sentences
        if pending.strip():
            yield pending.strip()

    def _complete_sentences(self, text: str) -> tuple[list[str], str]:
        """The whole sentences at the start of ``text``, and what is left after them (maybe a sentence begun)."""
        spans = self._splitter.spans(text)
        if len(spans) < 2:
            return [], text
        done = spans[:-1]
        return [text[start:end] for start, end in done], text[done[-1][1] :]

    @staticmethod
    def _refusal(sentence: str, quoted: list[str], question: str, *, first: bool) -> str | None:
        """Why a sentence of the written answer may not be shown, or None. The first sentence carries the
        answer: it must also state one of the quotes' values when they hold any."""
        check = check_claim(sentence, quoted, question)
        if check.passed and first:
            check = states_the_fact(sentence, quoted)
        return None if check.passed else f"the written answer {check.reason}"

    def _guard(self, text: str, caught: Counter[str]) -> str:
        """Redact what the model wrote: a small model can invent a name or a number."""
        result = self._redactor.redact(text)
        caught.update(result.counts)
        return result.text


@contextmanager
def closed_after(items: Iterator[T]) -> Iterator[Iterator[T]]:
    """Close ``items`` when the block ends, however it ends: a generator left part-way releases what it holds
    (the language model's lock) now, not when it is garbage-collected."""
    try:
        yield items
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


def _generation_timings(completion: Completion, waited: float) -> dict[str, float]:
    """The generation's figures; its first token counted from the question's arrival (``waited`` before it)."""
    return {
        "first_token_seconds": round(waited + completion.first_token_seconds, 4),
        "generation_seconds": round(completion.total_seconds, 4),
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "tokens_per_second": round(completion.tokens_per_second, 2),
    }
