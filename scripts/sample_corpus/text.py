"""Text helpers shared by generation and checking: what a reader sees in each document."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

from sample_corpus.model import Document


def normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def normalize_lines(text: str) -> str:
    """Collapse whitespace but keep line breaks."""
    return re.sub(r"[^\S\n]+", " ", text)


class _VisibleTextParser(HTMLParser):
    """Collects the text a browser would render (plus <title>)."""

    _HIDDEN = frozenset({"script", "style", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._hidden_depth = 0
        self.chunks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:
            self.chunks.append(data)


def html_visible_text(html: str) -> str:
    parser = _VisibleTextParser()
    parser.feed(html)
    parser.close()
    return " ".join(parser.chunks)


def eml_text(raw: bytes) -> str:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    headers = [f"{name}: {message[name]}" for name in ("Subject", "From", "To", "Date") if message[name]]
    body = message.get_body(preferencelist=("plain",))
    content = body.get_content() if body is not None else ""
    return "\n".join(headers) + "\n\n" + content


def source_page_texts(doc: Document) -> list[str]:
    """Text of each page as a reader would see it, derived from the source."""
    if doc.file.endswith(".html"):
        return [html_visible_text(doc.pages[0])]
    if doc.file.endswith(".eml"):
        return [eml_text(doc.pages[0].encode("utf-8"))]
    if doc.is_pdf:
        return [page.replace("## ", "") for page in doc.pages]
    return [doc.pages[0]]
