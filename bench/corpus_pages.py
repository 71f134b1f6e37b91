"""Compose one planned document's pages: blocks of text from its kind's templates, up to each page's word target."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Literal

from faker import Faker

from bench.corpus_plan import DocumentPlan
from bench.corpus_templates import TEMPLATES, KindTemplates
from bench.corpus_values import document_values, sentence_values

BlockStyle = Literal["title", "fields", "heading", "paragraph", "closing"]

WORDS_PER_PAGE = (250, 350)
SENTENCES_PER_PARAGRAPH = (3, 6)
HEADING_CHANCE = 0.35
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Block:
    style: BlockStyle
    text: str


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


class PageComposer:
    """Fills one document's pages with its kind's templates until each page has its word target."""

    def __init__(self, plan: DocumentPlan, fake: Faker, rng: random.Random) -> None:
        self._plan = plan
        self._rng = rng
        self._templates: KindTemplates = TEMPLATES[(plan.kind, plan.language)]
        self._values = document_values(plan, fake, rng)
        self.title = self.fill(self._templates.title)
        self._headings: list[str] = []

    def fill(self, template: str) -> str:
        return template.format(**self._values, **sentence_values(self._plan, self._rng))

    def pages(self) -> list[list[Block]]:
        return [self._page(number) for number in range(1, self._plan.pages + 1)]

    def _page(self, number: int) -> list[Block]:
        blocks: list[Block] = []
        if number == 1:
            blocks.append(Block("title", self.title))
            blocks.append(Block("fields", "\n".join(self.fill(line) for line in self._templates.header)))
        closing = Block("closing", self.fill(self._templates.closing)) if number == self._plan.pages else None
        target = self._rng.randint(*WORDS_PER_PAGE) - (word_count(closing.text) if closing else 0)
        words = sum(word_count(block.text) for block in blocks)
        while words < target:
            if self._rng.random() < HEADING_CHANCE:
                blocks.append(Block("heading", self._next_heading()))
            paragraph = self._paragraph(target - words)
            blocks.append(Block("paragraph", paragraph))
            words = sum(word_count(block.text) for block in blocks)
        if closing:
            blocks.append(closing)
        return blocks

    def _next_heading(self) -> str:
        # Walk through the kind's sections in a shuffled order, so a page does not repeat one.
        if not self._headings:
            self._headings = self._rng.sample(self._templates.headings, len(self._templates.headings))
        return self._headings.pop()

    def _paragraph(self, budget: int) -> str:
        sentences: list[str] = []
        words = 0
        count = min(self._rng.randint(*SENTENCES_PER_PARAGRAPH), len(self._templates.body))
        for template in self._rng.sample(self._templates.body, count):
            sentence = self.fill(template)
            sentences.append(sentence)
            words += word_count(sentence)
            if words >= budget:
                break
        return " ".join(sentences)
