"""Generate a deterministic corpus of business documents full of invented personal data.

HR memos, contracts, support tickets, incident reports and meeting minutes, about 15% of them in
French. About half of the pages are in multi-page PDFs, the rest are one-page .txt and .md files.
Every name, e-mail address, phone number, IBAN and address comes from Faker and is fictitious.

Usage: python -m bench.corpus --pages N --out DIR [--seed S]
"""

from __future__ import annotations

import argparse
import random
import re
import textwrap
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

from faker import Faker

from bench.corpus_templates import KINDS, POOLS, SUBJECTS, TEMPLATES, KindTemplates

Format = Literal["pdf", "txt", "md"]
BlockStyle = Literal["title", "fields", "heading", "paragraph", "closing"]

FRENCH_SHARE = 0.15
PDF_PAGES = (3, 10)
WORDS_PER_PAGE = (250, 350)
SENTENCES_PER_PARAGRAPH = (3, 6)
HEADING_CHANCE = 0.35
TEXT_WRAP_COLUMNS = 78
ENGLISH_LOCALES = ("en_US", "en_GB")
FOLDERS = {"hr": "hr", "contract": "contracts", "ticket": "tickets", "incident": "incidents", "minutes": "minutes"}
# Fixed so that the same seed gives byte-identical PDFs.
PDF_DATE = datetime(2024, 1, 15, 9, 0, 0, tzinfo=UTC)
FIRST_DATE = date(2023, 1, 1)
DATE_SPAN_DAYS = 900
FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
TITLES = {"en": ("Mr", "Ms"), "fr": ("M.", "Mme")}
TLDS = {"en_US": "com", "en_GB": "co.uk", "fr_FR": "fr"}
# Core PDF fonts only cover latin-1: typographic characters outside it get their plain equivalents.
LATIN1_FALLBACKS = str.maketrans(
    {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "œ": "oe", "Œ": "OE", "€": "EUR"}
)
_WORD = re.compile(r"\S+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


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


@dataclass(frozen=True)
class Block:
    style: BlockStyle
    text: str


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    title: str
    email: str
    phone: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


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

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def summary(self) -> str:
        return (
            f"{self.files} files, {self.pages} pages ({self.pdf_files} PDFs with {self.pdf_pages} pages, "
            f"{self.text_files} .txt/.md files; {self.french_pages} pages in French), {self.words} words"
        )


# -- planning -------------------------------------------------------------------------------------


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


# -- values ---------------------------------------------------------------------------------------


def make_fakers(seed: int) -> dict[str, Faker]:
    fakers = {}
    for offset, locale in enumerate(("en_US", "en_GB", "fr_FR")):
        fake = Faker(locale)
        fake.seed_instance(seed * 10 + offset)
        fakers[locale] = fake
    return fakers


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("", ascii_text.lower())


def format_date(day: date, locale: str) -> str:
    if locale == "fr_FR":
        return f"{day.day} {FRENCH_MONTHS[day.month - 1]} {day.year}"
    if locale == "en_US":
        return day.strftime("%B ") + f"{day.day}, {day.year}"
    return f"{day.day} " + day.strftime("%B %Y")


def format_amount(value: float, locale: str) -> str:
    grouped = f"{value:,.2f}"
    if locale == "fr_FR":
        return grouped.replace(",", " ").replace(".", ",") + " €"
    return ("$" if locale == "en_US" else "£") + grouped


def english_ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def random_date(rng: random.Random) -> date:
    return FIRST_DATE + timedelta(days=rng.randrange(DATE_SPAN_DAYS))


def make_person(fake: Faker, rng: random.Random, language: str, domain: str) -> Person:
    female = rng.random() < 0.5
    first = fake.first_name_female() if female else fake.first_name_male()
    last = fake.last_name()
    return Person(first, last, TITLES[language][female], f"{slug(first)}.{slug(last)}@{domain}", fake.phone_number())


def format_iban(fake: Faker, rng: random.Random) -> str:
    iban = fake.iban()
    # Printed IBANs come both grouped by four and in one piece.
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if rng.random() < 0.5 else iban


def document_values(plan: DocumentPlan, fake: Faker, rng: random.Random) -> dict[str, str]:
    company = fake.company()
    domain = f"{slug(company)[:20] or 'example'}.{TLDS[plan.locale]}"
    person, person2, person3 = (make_person(fake, rng, plan.language, domain) for _ in range(3))
    pools = POOLS[plan.language]
    return {
        "person": person.full,
        "first": person.first,
        "last": person.last,
        "title": person.title,
        "email": person.email,
        "phone": person.phone,
        "person2": person2.full,
        "email2": person2.email,
        "phone2": person2.phone,
        "person3": person3.full,
        "iban": format_iban(fake, rng),
        "address": ", ".join(fake.address().splitlines()),
        "company": company,
        "company2": fake.company(),
        "city": fake.city(),
        "date": format_date(random_date(rng), plan.locale),
        "ref": f"{slug(company)[:3].upper()}-{rng.randint(2023, 2025)}-{rng.randint(1, 999):03d}",
        "ticket": str(rng.randint(10_000, 99_999)),
        "subject": rng.choice(SUBJECTS.get((plan.kind, plan.language), ("",))),
        **{name: rng.choice(choices) for name, choices in pools.items()},
    }


def sentence_values(plan: DocumentPlan, rng: random.Random) -> dict[str, str]:
    """Values that change from one sentence to the next within a document."""
    day = rng.randint(1, 28)
    return {
        "date2": format_date(random_date(rng), plan.locale),
        "amount": format_amount(rng.randint(200, 250_000) + rng.choice((0, 0.5, 0.99)), plan.locale),
        "number": str(rng.randint(2, 30)),
        "pct": str(rng.randint(1, 20)),
        "hour": f"{rng.randint(7, 18):02d}",
        "minute": f"{rng.randint(0, 59):02d}",
        "day": str(day) if plan.language == "fr" else english_ordinal(day),
    }


# -- composition ----------------------------------------------------------------------------------


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


# -- rendering ------------------------------------------------------------------------------------


def to_latin1(text: str) -> str:
    return text.translate(LATIN1_FALLBACKS).encode("latin-1", "replace").decode("latin-1")


def render_markdown(blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        if block.style == "title":
            parts.append(f"# {block.text}")
        elif block.style == "heading":
            parts.append(f"## {block.text}")
        elif block.style == "fields":
            parts.append("\n".join(f"- {line}" for line in block.text.splitlines()))
        else:
            parts.append(block.text.replace("\n", "  \n"))
    return "\n\n".join(parts) + "\n"


def render_plain_text(blocks: Sequence[Block]) -> str:
    parts = []
    for block in blocks:
        if block.style == "title":
            parts.append(f"{block.text}\n{'=' * len(block.text)}")
        elif block.style == "heading":
            parts.append(block.text.upper())
        elif block.style == "paragraph":
            parts.append(textwrap.fill(block.text, TEXT_WRAP_COLUMNS))
        else:
            parts.append(block.text)
    return "\n\n".join(parts) + "\n"


_PDF_STYLES: dict[BlockStyle, tuple[str, float, float]] = {  # font style, size, line height
    "title": ("B", 14, 7),
    "fields": ("", 9.5, 4.8),
    "heading": ("B", 11.5, 6),
    "paragraph": ("", 10, 4.9),
    "closing": ("I", 10, 4.9),
}


def write_pdf(title: str, pages: Sequence[Sequence[Block]], language: str, path: Path) -> int:
    """Write one PDF page per page of blocks; returns the number of pages actually written."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 18, 20)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_creation_date(PDF_DATE)
    pdf.set_title(to_latin1(title))
    pdf.set_lang(language)
    for blocks in pages:
        pdf.add_page()
        for block in blocks:
            style, size, height = _PDF_STYLES[block.style]
            pdf.set_font("Helvetica", style, size)
            pdf.multi_cell(0, height, to_latin1(block.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.ln(2.5)
    pdf.output(str(path))
    return pdf.pages_count


# -- corpus ---------------------------------------------------------------------------------------


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
