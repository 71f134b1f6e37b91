"""Verifies a generated corpus against the manifest, from the text extracted from the files on disk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sample_corpus.manifest import manifest
from sample_corpus.text import eml_text, html_visible_text, normalize, normalize_lines

PDF_WORDS_PER_PAGE = (150, 350)


def extracted_page_texts(path: Path) -> list[str]:
    """Text of each page as extracted from the file on disk."""
    if path.suffix == ".pdf":
        from pypdf import PdfReader  # deferred: heavy (pypdf), only PDFs need it

        return [page.extract_text() or "" for page in PdfReader(path).pages]
    if path.suffix == ".eml":
        return [eml_text(path.read_bytes())]
    if path.suffix == ".html":
        return [html_visible_text(path.read_text(encoding="utf-8"))]
    return [path.read_text(encoding="utf-8")]


def check_document(entry: dict[str, Any], out: Path) -> list[str]:
    file = str(entry["file"])
    path = out / file
    if not path.is_file():
        return [f"{file}: missing"]
    errors: list[str] = []
    raw_pages = extracted_page_texts(path)
    pages = [normalize(text) for text in raw_pages]
    whole = " ".join(pages)
    # Stricter than required: values split by a line break are easy to miss
    # for line-oriented redaction or naive substring tests downstream.
    lined_pages = [normalize_lines(text) for text in raw_pages]
    lined_whole = "\n".join(lined_pages)

    if len(pages) != entry["pages"]:
        errors.append(f"{file}: {len(pages)} pages, manifest says {entry['pages']}")
    if path.suffix == ".pdf":
        low, high = PDF_WORDS_PER_PAGE
        for number, text in enumerate(pages, start=1):
            words = len(text.split())
            if not low <= words <= high:
                errors.append(f"{file}: page {number} has {words} words, expected {low}-{high}")

    values = [str(v) for v in entry["personal_values"]]
    for value in values:
        if normalize(value) not in whole:
            errors.append(f"{file}: personal value {value!r} not found in extracted text")
        elif value not in lined_whole:
            errors.append(f"{file}: personal value {value!r} is split across lines")

    for fact in entry["facts"]:
        answer, page = normalize(fact["answer_contains"]), fact["page"]
        if not 1 <= page <= len(pages):
            errors.append(f"{file}: fact {answer!r} refers to missing page {page}")
        elif answer not in pages[page - 1]:
            errors.append(f"{file}: answer {answer!r} not found on page {page}")
        elif answer not in lined_pages[page - 1]:
            errors.append(f"{file}: answer {answer!r} is split across lines on page {page}")
        leaked = [v for v in values if v.casefold() in answer.casefold()]
        if leaked:
            errors.append(f"{file}: answer {answer!r} contains personal data {leaked}")
    return errors


def check(out: Path, manifest_path: Path) -> list[str]:
    if not manifest_path.is_file():
        return [f"{manifest_path}: missing"]
    on_disk = json.loads(manifest_path.read_text(encoding="utf-8"))
    errors: list[str] = []
    if on_disk != manifest():
        errors.append(f"{manifest_path} is out of date; rerun without --check")
    for entry in on_disk["documents"]:
        errors.extend(check_document(entry, out))
    return errors
