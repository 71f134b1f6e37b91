"""Property tests (Hypothesis) for the chunker, the redactor and the loaders.

Examples are few (the redactor runs spaCy on each) and deadlines off (the machine is shared), so
this finds the gross failures a hand-picked example would not, within seconds.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.chunker import Chunker
from ingest.loading import PdfLimits, load_bytes
from rag.errors import UnsupportedDocumentError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
FIXTURES_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")

# -- the chunker --------------------------------------------------------------------------------

WORD = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=0x24F), min_size=1, max_size=14
) | st.sampled_from(["the", "leave", "Dubreuil", "9h30", "€120", "e-mail", "(see", "§4", "naïve", "co-op"])
SENTENCE = st.builds(
    lambda words, end: " ".join(words) + end,
    st.lists(WORD, min_size=1, max_size=40),
    st.sampled_from([".", "!", "?", ":", "", ";"]),
)
SEPARATOR = st.sampled_from([" ", "  ", "\n", "\n\n", "\n- ", "\n1. ", "\t", " \n "])
PAGE_TEXT = st.builds(
    lambda parts: "".join(s + sep for s, sep in parts).strip(),
    st.lists(st.tuples(SENTENCE, SEPARATOR), min_size=1, max_size=25),
)


@pytest.fixture(scope="module")
def small_chunker(embedder: Any) -> Chunker:
    return Chunker(embedder, max_tokens=48, overlap_tokens=12)


@settings(max_examples=50, deadline=None, suppress_health_check=FIXTURES_OK)
@given(pages=st.lists(PAGE_TEXT, min_size=1, max_size=3))
def test_chunks_cover_the_text_map_back_and_respect_the_token_bound(
    small_chunker: Chunker, embedder: Any, pages: list[str]
) -> None:
    numbered = [(number, text) for number, text in enumerate(pages, start=1)]
    chunks = small_chunker.chunk_pages(numbered)
    for number, text in numbered:
        own = [c for c in chunks if c.page == number]
        covered = [False] * len(text)
        previous_start = -1
        for chunk in own:
            assert 0 <= chunk.start < chunk.end <= len(text)
            assert text[chunk.start : chunk.end] == chunk.text  # offsets map back
            assert chunk.start > previous_start  # in order, always moving forward
            previous_start = chunk.start
            # A sentence longer than the bound is cut between word pieces, so a fragment counted on its
            # own may differ from its count in context; both must respect the bound.
            assert chunk.token_count <= 48 and len(embedder.token_spans([chunk.text])[0]) <= 48
            for i in range(chunk.start, chunk.end):
                covered[i] = True
        missing = [ch for ch, seen in zip(text, covered, strict=True) if not seen and not ch.isspace()]
        assert not missing, f"characters in no chunk: {missing[:20]!r}"


# -- the redactor -------------------------------------------------------------------------------

FIRST = st.sampled_from(["Harriet", "Daniel", "Camille", "Olusegun", "Maria", "Jean-Luc", "Aiko"])
LAST = st.sampled_from(["Lindqvist", "Okafor", "Dubreuil", "Nakamura", "García", "Petrov"])
PERSON = st.builds(lambda f, last: f"{f} {last}", FIRST, LAST)
EMAIL = st.builds(lambda f, last: f"{f.lower()}.{last.lower()}@example.com", FIRST, LAST)
PHONE = st.sampled_from(["+1 (555) 014-2231", "+44 20 7946 0958", "+33 6 42 18 57 93", "555-0199"])
FILLER = st.sampled_from(
    [
        "The invoice for March is attached.",
        "Please approve the leave request.",
        "The VPN fails with error 809.",
        "Backups start at 02:00 every night.",
        "Thanks,",
        "See the policy on page 4.",
        "",
    ]
)
PIECE = st.one_of(
    FILLER,
    st.builds(lambda p: f"Contact {p} about it.", PERSON),
    st.builds(lambda p: f"Ms {p} approved.", PERSON),
    st.builds(lambda e: f"Write to {e} today.", EMAIL),
    st.builds(lambda n: f"Call {n} after lunch.", PHONE),
    st.builds(lambda p, e: f"{p} <{e}>", PERSON, EMAIL),
)
REDACTABLE = st.builds(lambda pieces: " ".join(pieces).strip(), st.lists(PIECE, min_size=1, max_size=8))


def _placeholders_in_order(text: str, result: Any) -> list[tuple[str, str]]:
    """(original value, placeholder) for each entity, by walking the output along the input."""
    pairs: list[tuple[str, str]] = []
    position_in = position_out = 0
    for entity in sorted(result.entities, key=lambda e: e.start):
        kept = text[position_in : entity.start]
        assert result.text[position_out : position_out + len(kept)] == kept, "text outside entities changed"
        position_out += len(kept)
        match = PLACEHOLDER.match(result.text, position_out)
        assert match, f"no placeholder where {entity.type} was"
        assert match.group(1) == entity.type
        pairs.append((text[entity.start : entity.end], match.group(0)))
        position_in, position_out = entity.end, match.end()
    assert result.text[position_out:] == text[position_in:]
    return pairs


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURES_OK)
@given(text=REDACTABLE)
def test_redaction_offsets_are_valid_and_placeholders_consistent(redactor: Any, text: str) -> None:
    result = redactor.redact(text)
    spans = sorted((e.start, e.end) for e in result.entities)
    assert all(0 <= start < end <= len(text) for start, end in spans)
    assert all(end <= following for (_, end), (following, _) in itertools.pairwise(spans)), "entities overlap"
    by_value: dict[str, set[str]] = {}
    for value, placeholder in _placeholders_in_order(text, result):
        by_value.setdefault(value, set()).add(placeholder)
    assert all(len(placeholders) == 1 for placeholders in by_value.values()), by_value


@settings(max_examples=30, deadline=None, suppress_health_check=FIXTURES_OK)
@given(text=REDACTABLE)
def test_redaction_is_idempotent_on_redacted_text(redactor: Any, text: str) -> None:
    once = redactor.redact(text)
    twice = redactor.redact(once.text)
    assert twice.text == once.text
    assert twice.entities == []


# -- the loaders --------------------------------------------------------------------------------

SUFFIX = st.sampled_from(["a.txt", "a.pdf", "a.md", "a.html", "a.eml", "a.bin", "noext"])
RANDOM_BYTES = st.binary(max_size=2048)
PREFIXES = st.sampled_from(
    [
        b"",
        b"%PDF-1.7\n",
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"From: a@example.com\nTo: b@example.com\nSubject: hi\nContent-Type: text/plain; charset=bogus-42\n\n",
        b"<!DOCTYPE html><html><body>",
        b"\xef\xbb\xbf",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=FIXTURES_OK)
@given(prefix=PREFIXES, body=RANDOM_BYTES, name=SUFFIX)
def test_loaders_raise_nothing_but_our_error_on_arbitrary_bytes(prefix: bytes, body: bytes, name: str) -> None:
    try:
        document = load_bytes(prefix + body, name, pdf_limits=PdfLimits(timeout_seconds=20, memory_mb=512))
    except UnsupportedDocumentError as exc:
        assert exc.detail and "\n" not in exc.detail  # a one-line reason
        return
    assert document.pages and all(page.text.strip() for page in document.pages)


@settings(max_examples=20, deadline=None)
@given(bom=st.sampled_from([b"\xff\xfe", b"\xfe\xff"]), body=st.binary(min_size=1, max_size=64))
def test_utf16_text_with_an_odd_byte_count_is_our_error(bom: bytes, body: bytes) -> None:
    data = bom + body + (b"" if len(body) % 2 else b"x")
    with contextlib.suppress(UnsupportedDocumentError):
        load_bytes(data, "note.txt")
