"""A redactor that redacts nothing: the baseline against which `enclave eval retrieval --no-redaction` weighs
what redaction costs retrieval. It is never used to store a user's documents."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.redaction.language import detect_language, languages_per_document
from rag.types import Redaction


class UnredactedText:
    """Returns every text as it is, with the language the real redactor would have detected."""

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages

    def redact(self, text: str, language: str | None = None) -> Redaction:
        return self.redact_pages([text], language)[0]

    def redact_pages(self, pages: Sequence[str], language: str | None = None) -> list[Redaction]:
        resolved = language or detect_language("\n".join(pages), self.languages)
        return [Redaction(text=page, entities=[], language=resolved) for page in pages]

    def redact_documents(
        self, documents: Sequence[Sequence[str]], languages: Sequence[str | None] | None = None
    ) -> list[list[Redaction]]:
        wanted = languages_per_document(documents, languages)
        return [self.redact_pages(pages, language) for pages, language in zip(documents, wanted, strict=True)]
