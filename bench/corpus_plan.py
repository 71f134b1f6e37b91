"""Plan the benchmark corpus: how many documents, of which kind, language, format and page count."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bench.corpus_templates import KINDS

Format = Literal["pdf", "txt", "md"]

FRENCH_SHARE = 0.15
PDF_PAGES = (3, 10)
ENGLISH_LOCALES = ("en_US", "en_GB")
FOLDERS = {"hr": "hr", "contract": "contracts", "ticket": "tickets", "incident": "incidents", "minutes": "minutes"}


@dataclass(frozen=True)
class DocumentPlan:
    index: int
    kind: str
    language: str
    locale: str
    fmt: Format
    pages: int

    @property
    def relative_path(self) -> Path:
        suffix = "-fr" if self.language == "fr" else ""
        return Path(FOLDERS[self.kind]) / f"{self.kind}-{self.index:05d}{suffix}.{self.fmt}"


def split_pdf_pages(budget: int, rng: random.Random) -> list[int]:
    """Page counts of PDFs, each within ``PDF_PAGES``, adding up to ``budget`` (or just under 3 less)."""
    low, high = PDF_PAGES
    sizes: list[int] = []
    while budget >= low:
        size = min(rng.randint(low, high), budget)
        left = budget - size
        if 0 < left < low:
            # Never leave a remainder too small to make a PDF of its own.
            size = size + left if size + left <= high else size - (low - left)
        sizes.append(size)
        budget -= size
    return sizes


def plan_documents(pages: int, rng: random.Random) -> list[DocumentPlan]:
    pdf_sizes = split_pdf_pages(pages // 2, rng)
    text_files = pages - sum(pdf_sizes)
    shapes: list[tuple[Format, int]] = [("pdf", size) for size in pdf_sizes]
    shapes += [(rng.choice(("txt", "md")), 1) for _ in range(text_files)]
    rng.shuffle(shapes)
    plans = []
    for index, (fmt, size) in enumerate(shapes, start=1):
        french = rng.random() < FRENCH_SHARE
        locale = "fr_FR" if french else rng.choice(ENGLISH_LOCALES)
        plans.append(DocumentPlan(index, rng.choice(KINDS), "fr" if french else "en", locale, fmt, size))
    return plans
