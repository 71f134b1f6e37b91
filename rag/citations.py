"""Citations: the numbered sources of an answer, and which of them the answer cites."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.lexical import match_expression
from rag.types import SearchHit

CITATION_MARK = re.compile(r"\[(\d{1,2})\]")


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
    location: str | None = None  # where in the file, when the page number alone does not say
    ocr: bool = False  # the text was read by OCR from an image: a reader may check it against the original


def _content_words(text: str) -> set[str]:
    expression = match_expression(text) or ""
    return {word.strip('"') for word in expression.split(" OR ") if word}


def attribute(answer: str, hits: Sequence[SearchHit]) -> tuple[str, str]:
    """Keep the model's valid [n] markers; when it wrote none, cite the sources the answer's words come from.

    Small models often answer correctly without citing: a source that holds most of the answer's
    content words is cited for it, and the marker added, so every answer still points to its source.
    """
    valid = [int(n) for n in CITATION_MARK.findall(answer) if 1 <= int(n) <= len(hits)]
    cleaned = CITATION_MARK.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= len(hits) else "", answer)
    if valid:
        return cleaned, "model"
    words = _content_words(cleaned)
    if not words:
        return cleaned, "none"
    overlaps = [len(words & _content_words(hit.text)) / len(words) for hit in hits]
    best = max(overlaps)
    if best < 0.5:
        return cleaned, "none"
    numbers = [n for n, overlap in enumerate(overlaps, start=1) if overlap >= max(0.5, 0.9 * best)]
    return with_markers(cleaned, numbers), "overlap"


def with_markers(text: str, numbers: Sequence[int]) -> str:
    """``text`` with ``[n]`` markers for ``numbers`` before its final punctuation."""
    markers = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
    body = text.rstrip()
    if not markers:
        return body
    if body.endswith((".", "!", "?")):
        return f"{body[:-1]} {markers}{body[-1]}"
    return f"{body} {markers}"


def citations_of(hits: Sequence[SearchHit], answer: str) -> list[Citation]:
    """Every source of the answer, numbered from 1, marked ``cited`` when the answer carries its number."""
    cited = {int(n) for n in CITATION_MARK.findall(answer)}
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
            location=hit.location,
            ocr=hit.ocr,
        )
        for n, hit in enumerate(hits, start=1)
    ]
