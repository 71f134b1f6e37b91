"""Questions to cited answers: redact, retrieve, prompt, generate, guard the output, cite."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from rag.errors import InvalidInputError
from rag.generator import Completion, Generator
from rag.prompts import NOT_IN_DOCUMENTS, answer_prompt
from rag.protocols import Redactor
from rag.retriever import HybridRetriever, SearchFilters
from rag.types import SearchHit

_CITATION = re.compile(r"\[(\d{1,2})\]")
_SENTENCE_END = re.compile(r"[.!?;:\n]\s")


@dataclass(frozen=True)
class Citation:
    n: int
    source: str
    page: int
    chunk_id: str
    score: float
    similarity: float
    text: str
    cited: bool


@dataclass
class Answer:
    answer: str
    citations: list[Citation]
    question: str  # as redacted: what was searched, logged and prompted
    answered: bool  # False when the documents do not say
    guard: dict[str, int] = field(default_factory=dict)  # entities the output guard removed, by type
    citation_method: str = "none"  # "model": the model wrote [n]; "overlap": added by word overlap
    timings: dict[str, float] = field(default_factory=dict)


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
        top_k: int = 4,
        min_similarity: float = 0.3,
        max_tokens: int = 200,
        max_question_chars: int = 2000,
    ) -> None:
        self._redactor = redactor
        self._retriever = retriever
        self._generator = generator
        self._top_k = top_k
        self._min_similarity = min_similarity
        self._max_tokens = max_tokens
        self._max_question_chars = max_question_chars

    def prompt_prefixes(self) -> list[str]:
        """The fixed start of every answer prompt, when the prompt has one (few-shot, not a chat template)."""
        prefix = answer_prompt("", [], self._generator.chat_template).prefix
        return [prefix] if prefix else []

    def search(
        self, query: str, collection: str, top_k: int | None = None, filters: SearchFilters | None = None
    ) -> SearchResult:
        started = time.perf_counter()
        redacted = self._redactor.redact(validate_text(query, "query", self._max_question_chars)).text
        hits = self._retriever.search(redacted, collection, top_k or self._top_k, filters)
        return SearchResult(query=redacted, hits=hits, seconds=time.perf_counter() - started)

    def ask(
        self, question: str, collection: str, top_k: int | None = None, filters: SearchFilters | None = None
    ) -> Answer:
        answer: Answer | None = None
        for item in self.ask_stream(question, collection, top_k, filters):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def ask_stream(
        self, question: str, collection: str, top_k: int | None = None, filters: SearchFilters | None = None
    ) -> Iterator[str | Answer]:
        """Pieces of the answer as they pass the output guard, then the whole ``Answer``."""
        started = time.perf_counter()
        found = self.search(question, collection, top_k, filters)
        relevant = [hit for hit in found.hits if float(hit.metadata.get("similarity", 0.0)) >= self._min_similarity]
        timings = {"retrieval_seconds": round(found.seconds, 4)}
        if not relevant:
            # Nothing relevant enough: say so without calling the model.
            yield NOT_IN_DOCUMENTS
            yield Answer(
                answer=NOT_IN_DOCUMENTS,
                citations=[],
                question=found.query,
                answered=False,
                timings={**timings, "total_seconds": round(time.perf_counter() - started, 4)},
            )
            return

        prompt = answer_prompt(found.query, relevant, self._generator.chat_template)
        guard: Counter[str] = Counter()
        guarded_parts: list[str] = []
        pending = ""
        completion: Completion | None = None
        for item in self._generator.stream(
            prompt.text, max_tokens=self._max_tokens, stop=prompt.stop, prefix=prompt.prefix
        ):
            if isinstance(item, Completion):
                completion = item
                break
            pending += item
            # Release text only a sentence at a time, after it passed the guard.
            cut = _last_sentence_end(pending)
            if cut:
                piece = self._guard(pending[:cut], guard)
                guarded_parts.append(piece)
                pending = pending[cut:]
                yield piece
        if pending:
            piece = self._guard(pending, guard)
            guarded_parts.append(piece)
            yield piece
        assert completion is not None
        text = "".join(guarded_parts).strip()
        answered = bool(text) and NOT_IN_DOCUMENTS.rstrip(".").lower() not in text.lower()
        if not text:
            text = NOT_IN_DOCUMENTS
        timings.update(
            {
                "first_token_seconds": round(found.seconds + completion.first_token_seconds, 4),
                "generation_seconds": round(completion.total_seconds, 4),
                "prompt_tokens": completion.prompt_tokens,
                "completion_tokens": completion.completion_tokens,
                "tokens_per_second": round(completion.tokens_per_second, 2),
                "total_seconds": round(time.perf_counter() - started, 4),
            }
        )
        method = "none"
        if answered:
            text, method = attribute(text, relevant)
        yield Answer(
            answer=text,
            citations=_citations(relevant, text),
            question=found.query,
            answered=answered,
            citation_method=method,
            guard=dict(guard),
            timings=timings,
        )

    def _guard(self, text: str, caught: Counter[str]) -> str:
        """Redact what the model wrote: a small model can invent a name or a number."""
        result = self._redactor.redact(text)
        caught.update(result.counts)
        return result.text


def _content_words(text: str) -> set[str]:
    from rag.lexical import match_expression

    expression = match_expression(text) or ""
    return {word.strip('"') for word in expression.split(" OR ") if word}


def attribute(answer: str, hits: Sequence[SearchHit]) -> tuple[str, str]:
    """Keep the model's valid [n] markers; when it wrote none, cite the sources the answer's words come from.

    Small models often answer correctly without citing: a source that holds most of the answer's
    content words is cited for it, and the marker added, so every answer still points to its source.
    """
    valid = [int(n) for n in _CITATION.findall(answer) if 1 <= int(n) <= len(hits)]
    cleaned = _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(hits) else "", answer)
    if valid:
        return cleaned, "model"
    words = _content_words(cleaned)
    if not words:
        return cleaned, "none"
    overlaps = [len(words & _content_words(hit.text)) / len(words) for hit in hits]
    best = max(overlaps)
    if best < 0.5:
        return cleaned, "none"
    markers = "".join(f"[{n}]" for n, overlap in enumerate(overlaps, start=1) if overlap >= max(0.5, 0.9 * best))
    body = cleaned.rstrip()
    if body.endswith((".", "!", "?")):
        return f"{body[:-1]} {markers}{body[-1]}", "overlap"
    return f"{body} {markers}", "overlap"


def _last_sentence_end(text: str) -> int:
    ends = [match.end() for match in _SENTENCE_END.finditer(text)]
    return ends[-1] if ends else 0


def _citations(hits: list[SearchHit], answer: str) -> list[Citation]:
    cited = {int(n) for n in _CITATION.findall(answer)}
    return [
        Citation(
            n=n,
            source=hit.source,
            page=hit.page,
            chunk_id=hit.chunk_id,
            score=round(hit.score, 6),
            similarity=float(hit.metadata.get("similarity", 0.0)),
            text=hit.text,
            cited=n in cited,
        )
        for n, hit in enumerate(hits, start=1)
    ]
