"""The manifest: per document, its personal values and checkable facts."""

from __future__ import annotations

import re

from sample_corpus.catalogue import DOCUMENTS
from sample_corpus.model import Document
from sample_corpus.text import normalize, source_page_texts


def standalone_name_parts(text: str, doc: Document) -> list[str]:
    """First/last names that occur outside the full names and identifiers."""
    masked = text
    for value in sorted(doc.names + doc.identifiers, key=len, reverse=True):
        masked = masked.replace(value, " ")
    parts: list[str] = []
    for name in doc.names:
        for part in name.split():
            if part in parts:
                continue
            if re.search(rf"(?<![\w@.-]){re.escape(part)}(?![\w@-])", masked):
                parts.append(part)
    return parts


def personal_values(doc: Document) -> list[str]:
    text = normalize(" ".join(source_page_texts(doc)))
    return [*doc.names, *standalone_name_parts(text, doc), *doc.identifiers]


def manifest() -> dict[str, object]:
    return {
        "documents": [
            {
                "file": doc.file,
                "language": doc.language,
                "pages": len(doc.pages) if doc.is_pdf else 1,
                "personal_values": personal_values(doc),
                "facts": [
                    {"question": f.question, "answer_contains": f.answer_contains, "page": f.page} for f in doc.facts
                ],
            }
            for doc in DOCUMENTS
        ]
    }
