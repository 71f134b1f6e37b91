"""Rich Text Format (.rtf): the document's text as one page.

Library: striprtf, a small pure-Python converter that drops control words, pictures and embedded objects
(their hex data is never decoded) and decodes ``\\'xx`` escapes in the code page the file declares. RTF
records no page layout that survives conversion, so the file is one page without a location.
"""

from __future__ import annotations

import re

from striprtf.striprtf import rtf_to_text

from ingest.loading.loader import LoadOptions, single_page
from ingest.loading.office import library_errors
from rag.types import LoadedDocument

WHAT = "RTF document"
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def load_rtf(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An RTF file as one page of text."""
    with library_errors(WHAT):
        # RTF is 7-bit text; bytes beyond ASCII (rare, non-conforming) are kept as Latin-1 characters.
        # striprtf reads the file's code page (\ansicpg) itself; cp1252 is its default for files without.
        text = rtf_to_text(data.decode("latin-1"), encoding="cp1252", errors="replace")
    return single_page("rtf", _BLANK_LINES.sub("\n\n", text))
