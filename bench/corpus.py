"""Generate a deterministic corpus of business documents full of invented personal data.

HR memos, contracts, support tickets, incident reports and meeting minutes, about 15% of them in
French. About half of the pages are in multi-page PDFs, the rest are one-page .txt and .md files.
Every name, e-mail address, phone number, IBAN and address comes from Faker and is fictitious.

Usage: python -m bench.corpus --pages N --out DIR [--seed S]
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faker import Faker

from bench.corpus_pages import PageComposer, word_count
from bench.corpus_plan import DocumentPlan, plan_documents
from bench.corpus_render import render_markdown, render_plain_text, write_pdf
from bench.corpus_values import make_fakers


@dataclass
class CorpusStats:
    files: int = 0
    pages: int = 0
    pdf_files: int = 0
    pdf_pages: int = 0
    text_files: int = 0
    french_files: int = 0
    french_pages: int = 0
    words: int = 0
    bytes: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, plan: DocumentPlan, pages: int, words: int, size: int) -> None:
        self.files += 1
        self.pages += pages
        self.words += words
        self.bytes += size
        self.by_kind[plan.kind] = self.by_kind.get(plan.kind, 0) + 1
        if plan.fmt == "pdf":
            self.pdf_files += 1
            self.pdf_pages += pages
        else:
            self.text_files += 1
        if plan.language == "fr":
            self.french_files += 1
            self.french_pages += pages

    def summary(self) -> str:
        return (
            f"{self.files} files, {self.pages} pages ({self.pdf_files} PDFs with {self.pdf_pages} pages, "
            f"{self.text_files} .txt/.md files; {self.french_pages} pages in French), {self.words} words"
        )


def write_document(plan: DocumentPlan, out: Path, fake: Faker, rng: random.Random) -> tuple[int, int]:
    """Write one planned document; returns its page count and word count."""
    composer = PageComposer(plan, fake, rng)
    pages = composer.pages()
    words = sum(word_count(block.text) for blocks in pages for block in blocks)
    path = out / plan.relative_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if plan.fmt == "pdf":
        return write_pdf(composer.title, pages, plan.language, path), words
    render = render_markdown if plan.fmt == "md" else render_plain_text
    path.write_text(render(pages[0]), encoding="utf-8", newline="\n")
    return 1, words


def generate_corpus(out: Path, pages: int, seed: int = 0) -> CorpusStats:
    """Write a corpus of ``pages`` pages under ``out``; the same seed always gives the same files."""
    if pages < 1:
        raise ValueError("a corpus needs at least one page")
    rng = random.Random(seed)
    fakers = make_fakers(seed)
    out.mkdir(parents=True, exist_ok=True)
    stats = CorpusStats()
    for plan in plan_documents(pages, rng):
        written, words = write_document(plan, out, fakers[plan.locale], rng)
        stats.add(plan, written, words, (out / plan.relative_path).stat().st_size)
    return stats


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, required=True, help="number of pages to write")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the corpus into")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> CorpusStats:
    args = parse_args(argv)
    stats = generate_corpus(args.out, args.pages, args.seed)
    print(f"wrote {stats.summary()} to {args.out}")
    return stats


if __name__ == "__main__":
    main()
