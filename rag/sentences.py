"""Sentence spans of a text: what the chunker packs into chunks and what an answer quotes as evidence."""

from __future__ import annotations

import re

# A blank line, or a line break before a list item, heading or table row, ends a unit. Other single
# line breaks are how PDFs and hard-wrapped text break lines inside sentences.
_LINE_BREAK = re.compile(r"\n\s*\n\s*|\n(?=[ \t]*(?:[-*•|#]|\d{1,3}(?:\.\d{1,3})*[.)]?\s))")


class SentenceSplitter:
    """Sentence spans from spaCy's rule-based sentencizer, also cut at paragraphs, list items and headings."""

    def __init__(self) -> None:
        import spacy  # deferred: importing spaCy takes a second, and not every caller splits sentences

        self._nlp = spacy.blank("xx")
        self._nlp.add_pipe("sentencizer")
        self._nlp.max_length = 10_000_000

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The ``(start, end)`` character span of each sentence, surrounding white space left out."""
        spans: list[tuple[int, int]] = []
        for sentence in self._nlp(text).sents:
            start = sentence.start_char
            for piece in _LINE_BREAK.split(text[start : sentence.end_char]):
                piece_start = text.index(piece, start) if piece else start
                start = piece_start + len(piece)
                stripped = piece.strip()
                if stripped:
                    lead = piece_start + (len(piece) - len(piece.lstrip()))
                    spans.append((lead, lead + len(stripped)))
        return spans
