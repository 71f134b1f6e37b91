"""Where a passage is: a page's ``location`` and ``ocr`` mark travel from the loaded page to the chunk's metadata,
the store, search hits, citations and evidence, the API's JSON and the OpenAI-compatible citations.

Chunks are prepared as ingestion prepares them (redacted, chunked, embedded with the session's models) from
pages that carry a location, and written to the stores of a data dir of this module's own; a page without one
keeps ``location`` null and ``ocr`` false, as before.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from ingest.builders import build_chunker
from ingest.preparation import DocumentWork, build_chunks, redact_group
from rag.settings import load_settings
from rag.types import Page, SearchHit

SCAN = "The archive room on level minus two is flooded every spring; the boxes of invoices were moved in March."
SHEET = "The cafeteria contract with Dupont Catering costs 1,450 euros per month and ends on 31 December."
PLAIN = "The visitor badge must be returned to the reception desk before leaving the building each evening."


@pytest.fixture(scope="module")
def located(tmp_path_factory: pytest.TempPathFactory, redactor: Any, embedder: Any, generator: Any) -> Iterator[Any]:
    """The API over three documents: a scanned page (OCR), a sheet with a location, and a plain text page."""
    from litestar.testing import TestClient

    from api.app import create_app
    from api.services import Services

    settings = load_settings(data_dir=tmp_path_factory.mktemp("locations"))
    services = Services.load(settings, redactor=redactor, embedder=embedder, generator=generator)
    works = [
        DocumentWork("d-scan", "h1", "scans/archive.pdf", "pdf", [Page(3, SCAN, location="page 3 (OCR)", ocr=True)]),
        DocumentWork("d-sheet", "h2", "contracts.xlsx", "xlsx", [Page(2, SHEET, location="sheet Suppliers, rows 2-9")]),
        DocumentWork("d-plain", "h3", "rules.txt", "text", [Page(1, PLAIN)]),
    ]
    chunker = build_chunker(settings, embedder)
    for work in works:
        chunks, _ = build_chunks(work, redact_group(redactor, [work]).documents[0], chunker)
        services.store.upsert("default", chunks, embedder.embed([chunk.text for chunk in chunks]))
        services.lexical.upsert("default", chunks)
    with TestClient(app=create_app(services)) as client:
        yield client
    services.close()


def test_chunks_keep_their_page_location_and_ocr_mark(redactor: Any, embedder: Any, tmp_path: Path) -> None:
    work = DocumentWork(
        "doc", "hash", "mixed.pdf", "pdf", [Page(1, PLAIN), Page(2, SCAN, location="page 2 (OCR)", ocr=True)]
    )
    chunker = build_chunker(load_settings(data_dir=tmp_path), embedder)
    chunks, _ = build_chunks(work, redact_group(redactor, [work]).documents[0], chunker)
    marks = [(chunk.page, chunk.metadata.get("location"), chunk.metadata.get("ocr")) for chunk in chunks]
    assert marks == [(1, None, None), (2, "page 2 (OCR)", True)]


def test_a_hit_says_where_it_is_and_keeps_null_where_nothing_says() -> None:
    hit = SearchHit("c", "d", "a.pdf", 3, "text", 0.5, {"location": "page 3 (OCR)", "ocr": True, "similarity": 0.7})
    assert (hit.location, hit.ocr) == ("page 3 (OCR)", True)
    assert hit.to_dict() == {
        "source": "a.pdf",
        "page": 3,
        "location": "page 3 (OCR)",
        "ocr": True,
        "chunk_id": "c",
        "score": 0.5,
        "similarity": 0.7,
        "text": "text",
    }
    plain = SearchHit("c", "d", "a.txt", 1, "text", 0.5)
    assert (plain.location, plain.ocr) == (None, False)


def by_source(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["source"]: item for item in items}


def test_search_results_carry_location_and_ocr(located: Any) -> None:
    response = located.post("/v1/search", json={"query": "archive room flooded invoices cafeteria badge", "top_k": 3})
    assert response.status_code == 200, response.text
    results = by_source(response.json()["results"])
    assert set(results) == {"scans/archive.pdf", "contracts.xlsx", "rules.txt"}
    assert (results["scans/archive.pdf"]["location"], results["scans/archive.pdf"]["ocr"]) == ("page 3 (OCR)", True)
    assert results["scans/archive.pdf"]["page"] == 3  # the page stays an integer
    sheet = results["contracts.xlsx"]
    assert (sheet["location"], sheet["ocr"]) == ("sheet Suppliers, rows 2-9", False)
    assert (results["rules.txt"]["location"], results["rules.txt"]["ocr"]) == (None, False)


def test_ask_citations_and_evidence_carry_location_and_ocr(located: Any) -> None:
    response = located.post("/v1/ask", json={"question": "Where were the boxes of invoices moved from, and when?"})
    assert response.status_code == 200, response.text
    body = response.json()
    citations = by_source(body["citations"])
    scan = citations["scans/archive.pdf"]
    assert (scan["page"], scan["location"], scan["ocr"]) == (3, "page 3 (OCR)", True)
    for citation in body["citations"]:
        assert {"location", "ocr"} <= citation.keys()
    if "rules.txt" in citations:
        assert (citations["rules.txt"]["location"], citations["rules.txt"]["ocr"]) == (None, False)
    quotes = by_source(body["evidence"])
    assert (quotes["scans/archive.pdf"]["location"], quotes["scans/archive.pdf"]["ocr"]) == ("page 3 (OCR)", True)
    assert not any(quote["ocr"] for quote in body["evidence"] if quote["source"] != "scans/archive.pdf")


def test_openai_compatible_citations_carry_location_and_ocr(located: Any) -> None:
    question = "Where were the boxes of invoices moved from, and when?"
    response = located.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": question}]})
    assert response.status_code == 200, response.text
    extension = response.json()["enclave"]
    scan = by_source(extension["citations"])["scans/archive.pdf"]
    assert (scan["page"], scan["location"], scan["ocr"]) == (3, "page 3 (OCR)", True)
    # The quoted evidence says where, in the message text too.
    assert "(scans/archive.pdf, page 3 (OCR))" in response.json()["choices"][0]["message"]["content"]
    streamed = located.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": question}], "stream": True}
    )
    events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: {")]
    final = next(event["enclave"] for event in events if "enclave" in event)
    assert by_source(final["citations"])["scans/archive.pdf"]["ocr"] is True


def test_the_cli_json_of_an_answer_carries_location_and_ocr() -> None:
    """`enclave ask --json` prints ``asdict(answer)``: its citations and evidence are the dataclasses below."""
    from rag.citations import citations_of

    hit = SearchHit("c", "d", "a.pdf", 3, "Text.", 0.5, {"location": "page 3 (OCR)", "ocr": True})
    citation = asdict(citations_of([hit], "Text [1].")[0])
    assert (citation["page"], citation["location"], citation["ocr"]) == (3, "page 3 (OCR)", True)


def test_a_location_is_redacted_with_its_document(redactor: Any, embedder: Any, tmp_path: Path) -> None:
    """Sheet names and section titles come from the file: a person's name in one never reaches a chunk."""
    text = "Annual review of Ms Harriet Lindqvist. Harriet Lindqvist met every objective this year."
    work = DocumentWork(
        "doc", "hash", "reviews.docx", "docx", [Page(2, text, location="section 2: Review of Harriet Lindqvist")]
    )
    chunker = build_chunker(load_settings(data_dir=tmp_path), embedder)
    redacted = redact_group(redactor, [work]).documents[0]
    chunks, _ = build_chunks(work, redacted, chunker)
    locations = {chunk.metadata.get("location") for chunk in chunks}
    assert len(locations) == 1
    location = str(locations.pop())
    assert location.startswith("section 2: Review of <PERSON_")
    assert "Lindqvist" not in location and "Harriet" not in location
    # The same placeholder as in the page's text: the location was redacted as part of its document.
    placeholder = location.removeprefix("section 2: Review of ")
    assert placeholder in chunks[0].text
