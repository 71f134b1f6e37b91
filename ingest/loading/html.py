"""HTML: the visible text of a page, without the scripts, styles and markup a reader never sees.

Script and style text would otherwise be indexed and retrieved as if it were content; the page title is
kept as the document's title.
"""

from __future__ import annotations

import re

from ingest.loading.loader import LoadOptions, single_page
from ingest.loading.text import decode_text
from rag.types import LoadedDocument

_BLANK_RUNS = re.compile(r"\n\s*\n\s*(\n\s*)+")


def html_to_text(markup: str) -> tuple[str, str | None]:
    """Visible text of an HTML page (scripts, styles and templates dropped) and its title."""
    from bs4 import BeautifulSoup  # deferred: heavy (BeautifulSoup), only for HTML pages and bodies

    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else None
    for tag in soup(["script", "style", "noscript", "template", "head", "iframe", "object"]):
        tag.decompose()
    text = soup.get_text("\n")
    lines = (line.strip() for line in text.splitlines())
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip(), title


def load_html(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An HTML page as one page of its visible text, titled with its ``<title>``."""
    text, title = html_to_text(decode_text(data))
    return single_page("html", text, title)
