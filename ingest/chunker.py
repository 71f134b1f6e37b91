"""Sentence-aware, token-bounded, page-aware chunking of redacted text."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rag.protocols import TokenCounter
from rag.sentences import SentenceSplitter


@dataclass(frozen=True)
class TextChunk:
    page: int
    start: int
    end: int
    text: str
    token_count: int


class Chunker:
    """Packs whole sentences into chunks of at most ``max_tokens`` tokens, with sentence overlap.

    A sentence longer than the bound is cut at token boundaries. Chunks never cross pages, and each
    keeps its character span in the page text so it can be traced back to its source.
    """

    def __init__(self, tokens: TokenCounter, max_tokens: int, overlap_tokens: int) -> None:
        if max_tokens > tokens.max_tokens:
            raise ValueError(f"chunk size {max_tokens} exceeds the embedding model's limit of {tokens.max_tokens}")
        if not 0 <= overlap_tokens < max_tokens:
            raise ValueError("overlap must be smaller than the chunk size")
        self._tokens = tokens
        self._max = max_tokens
        self._overlap = overlap_tokens
        self._splitter = SentenceSplitter()

    def chunk_pages(self, pages: Sequence[tuple[int, str]]) -> list[TextChunk]:
        all_token_spans = self._tokens.token_spans([text for _, text in pages])
        chunks: list[TextChunk] = []
        for (number, text), token_spans in zip(pages, all_token_spans, strict=True):
            chunks.extend(self._chunk_page(number, text, token_spans))
        return chunks

    def _chunk_page(self, page: int, text: str, token_spans: list[tuple[int, int]]) -> list[TextChunk]:
        token_starts = [start for start, _ in token_spans]
        token_ends = [end for _, end in token_spans]

        def tokens_in(start: int, end: int) -> int:
            return bisect.bisect_right(token_ends, end) - bisect.bisect_left(token_starts, start)

        units: list[tuple[int, int, int]] = []  # start, end, tokens
        for start, end in self._splitter.spans(text):
            count = tokens_in(start, end)
            if count <= self._max:
                units.append((start, end, count))
            else:
                units.extend(self._split_long(text, start, end, token_spans, token_starts))

        chunks: list[TextChunk] = []
        current: list[tuple[int, int, int]] = []
        current_tokens = 0
        for unit in units:
            if current and current_tokens + unit[2] > self._max:
                chunks.append(self._make(page, text, current, tokens_in))
                current = self._overlap_tail(current, unit[2])
                current_tokens = sum(u[2] for u in current)
            current.append(unit)
            current_tokens += unit[2]
        if current:
            chunks.append(self._make(page, text, current, tokens_in))
        return chunks

    def _overlap_tail(self, units: list[tuple[int, int, int]], next_tokens: int) -> list[tuple[int, int, int]]:
        """The trailing whole sentences worth at most the overlap, leaving room for the next sentence."""
        tail: list[tuple[int, int, int]] = []
        budget = min(self._overlap, self._max - next_tokens)
        used = 0
        for unit in reversed(units):
            if used + unit[2] > budget:
                break
            tail.insert(0, unit)
            used += unit[2]
        return tail

    def _split_long(
        self, text: str, start: int, end: int, token_spans: list[tuple[int, int]], token_starts: list[int]
    ) -> list[tuple[int, int, int]]:
        """A sentence over the bound, cut into pieces of at most ``max_tokens`` tokens, where a word begins when
        one does: a piece that began inside a word ("##DF") would be tokenized differently on its own."""
        first = bisect.bisect_left(token_starts, start)
        inside = [span for span in token_spans[first:] if span[1] <= end]
        pieces = []
        begin = 0
        while begin < len(inside):
            cut = min(begin + self._max, len(inside))
            if cut < len(inside):
                at_word = cut
                while at_word > begin + 1 and not _starts_word(text, inside[at_word][0]):
                    at_word -= 1
                cut = at_word if at_word > begin + 1 else cut  # a single word longer than the bound is cut inside
            pieces.append((inside[begin][0], inside[cut - 1][1], cut - begin))
            begin = cut
        return pieces

    @staticmethod
    def _make(
        page: int, text: str, units: list[tuple[int, int, int]], tokens_in: Callable[[int, int], int]
    ) -> TextChunk:
        start, end = units[0][0], units[-1][1]
        return TextChunk(page=page, start=start, end=end, text=text[start:end], token_count=tokens_in(start, end))


def _starts_word(text: str, position: int) -> bool:
    """Whether a token starting at ``position`` starts a word (the tokenizer splits words apart first)."""
    return position == 0 or not (text[position - 1].isalnum() and text[position].isalnum())
