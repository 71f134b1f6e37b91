"""The shape of a sample document and of its checkable facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Language = Literal["en", "fr"]


@dataclass(frozen=True)
class Fact:
    question: str
    answer_contains: str
    page: int = 1


@dataclass(frozen=True)
class Document:
    """One sample document.

    ``pages`` holds one text block per PDF page; for every other format it
    holds the complete file content as a single element. In PDF page text,
    blocks are separated by blank lines and a block starting with "## " is a
    heading.

    ``names`` are full names of people; first or last names that also occur on
    their own (e.g. "Ms Lindqvist") are added to the manifest automatically.
    ``identifiers`` are the other personal values (emails, phones, ...).
    """

    file: str
    language: Language
    title: str
    pages: tuple[str, ...]
    names: tuple[str, ...]
    identifiers: tuple[str, ...]
    facts: tuple[Fact, ...]

    @property
    def is_pdf(self) -> bool:
        return self.file.endswith(".pdf")
