"""The HTTP API through Litestar's test client, with the bundled models over sample_docs/."""

from __future__ import annotations

import json
from typing import Any

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    assert "Traceback" not in response.text
    return body


def test_health_and_readiness(client: Any) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_search_returns_ranked_results(client: Any) -> None:
    response = client.post("/v1/search", json={"query": "hotel cap per night for expenses", "top_k": 3})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 3
    assert results[0]["source"] == "hr-policy.pdf" and results[0]["page"] == 4
    assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)
    assert set(results[0]) == {"source", "page", "location", "ocr", "chunk_id", "score", "similarity", "text"}
    assert (results[0]["location"], results[0]["ocr"]) == (None, False)  # a PDF page with a text layer


def test_search_filters_and_redacted_query(client: Any) -> None:
    response = client.post(
        "/v1/search",
        json={"query": "What did Ms Harriet Lindqvist say about leave?", "source": "hr-policy.pdf", "page_min": 2},
    )
    body = response.json()
    assert "Lindqvist" not in body["query"] and "<PERSON_1>" in body["query"]
    assert body["results"] and all(r["source"] == "hr-policy.pdf" and r["page"] >= 2 for r in body["results"])


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"query": ""}, 400),
        ({"query": "   "}, 400),
        ({"query": "x", "top_k": 0}, 400),
        ({"query": "x", "unknown_field": 1}, 400),
        ({"query": "leave", "collection": "nope"}, 404),
        ({"query": "leave", "collection": "Bad Name!"}, 400),
        ({"query": "leave", "page_min": 3, "page_max": 1}, 400),
    ],
)
def test_search_errors_are_problem_details(client: Any, payload: dict[str, Any], status: int) -> None:
    assert_problem(client.post("/v1/search", json=payload), status)


def test_bad_json_and_oversized_bodies(client: Any, services: Any) -> None:
    assert_problem(client.post("/v1/search", content=b"{not json", headers={"content-type": "application/json"}), 400)
    huge = json.dumps({"query": "x" * (services.settings.max_request_bytes + 10)})
    assert_problem(client.post("/v1/search", content=huge, headers={"content-type": "application/json"}), 413)
    long_question = "word " * 1000
    assert_problem(client.post("/v1/ask", json={"question": long_question}), 400)
    assert_problem(client.get("/v1/nothing-here"), 404)
    assert_problem(client.get("/v1/search"), 405)


def test_ask_cites_the_right_document_and_page(client: Any) -> None:
    response = client.post("/v1/ask", json={"question": "How long did the payments API outage last?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answered"] is True
    assert "47 minutes" in body["answer"]
    cited = [c for c in body["citations"] if c["cited"]]
    assert cited and cited[0]["source"] == "incident-report-2024-03.md" and cited[0]["page"] == 1
    assert [c["n"] for c in body["citations"]] == list(range(1, len(body["citations"]) + 1))
    assert body["timings"]["first_token_seconds"] > 0 and body["timings"]["completion_tokens"] > 0


def test_ask_about_a_pdf_page(client: Any) -> None:
    question = "How many days of paid annual leave do full-time employees get?"
    body = client.post("/v1/ask", json={"question": question}).json()
    assert "25 days" in body["answer"]
    assert any(c["cited"] and c["source"] == "hr-policy.pdf" and c["page"] == 1 for c in body["citations"])
    parental = client.post("/v1/ask", json={"question": "How long is parental leave at full pay?"}).json()
    assert any(c["cited"] and c["source"] == "hr-policy.pdf" and c["page"] == 3 for c in parental["citations"])


def test_ask_when_the_documents_do_not_say(client: Any) -> None:
    body = client.post("/v1/ask", json={"question": "What is the recipe for a chocolate souffle?"}).json()
    assert body["answered"] is False
    assert body["answer"] == "The documents do not say."
    assert body["state"] == "not-in-documents" and body["evidence"] == []
    assert not any(citation["cited"] for citation in body["citations"])  # what was searched, none of it cited
    assert "completion_tokens" not in body["timings"]  # the model was not called


def test_ask_stream_yields_tokens_then_the_answer(client: Any) -> None:
    with client.stream("POST", "/v1/ask?stream=true", json={"question": "What was the root cause of the outage?"}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text()).replace("\r\n", "\n")
    events = [block for block in text.split("\n\n") if block.strip()]
    kinds = [line.split(": ", 1)[1] for block in events for line in block.splitlines() if line.startswith("event:")]
    assert kinds[-1] == "answer" and kinds.count("answer") == 1 and "token" in kinds
    final = json.loads(next(line[6:] for line in events[-1].splitlines() if line.startswith("data: ")))
    assert final["citations"] and final["answer"]


def test_classify_picks_only_given_labels(client: Any) -> None:
    billing = client.post(
        "/v1/tickets/classify",
        json={
            "text": "Hello, I was charged twice for invoice INV-2024-00817. Please refund the duplicate payment.",
            "labels": ["billing", "technical"],
        },
    ).json()
    technical = client.post(
        "/v1/tickets/classify",
        json={
            "text": "Since the update the VPN client fails with error 809 and I cannot connect to the network.",
            "labels": ["billing", "technical"],
        },
    ).json()
    assert billing["label"] == "billing"
    assert technical["label"] == "technical"
    for result in (billing, technical):
        assert set(result["scores"]) == {"billing", "technical"}
        assert abs(sum(result["scores"].values()) - 1) < 1e-3


def test_classify_errors(client: Any) -> None:
    assert_problem(client.post("/v1/tickets/classify", json={"text": "x", "labels": ["only"]}), 400)
    assert_problem(client.post("/v1/tickets/classify", json={"text": "x", "labels": ["a", "a"]}), 400)
    assert_problem(client.post("/v1/tickets/classify", json={"text": "", "labels": ["a", "b"]}), 400)


def test_batches(client: Any) -> None:
    items = [
        {"text": "My invoice shows a double charge, please refund.", "labels": ["billing", "technical", "account"]},
        {"text": "Error 500 when uploading files to the portal.", "labels": ["billing", "technical", "account"]},
    ]
    results = client.post("/v1/tickets/classify:batch", json=items).json()
    assert [r["label"] for r in results] == ["billing", "technical"]
    summaries = client.post(
        "/v1/tickets/summarize:batch",
        json=[{"text": "Please call Mr Daniel Okafor on +1 (555) 017-3388 about the refund of invoice 817."}],
    ).json()
    assert len(summaries) == 1 and summaries[0]["summary"]
    assert "Okafor" not in summaries[0]["summary"] and "017-3388" not in summaries[0]["summary"]
    assert_problem(client.post("/v1/tickets/classify:batch", json=[]), 400)


def test_summarize(client: Any) -> None:
    response = client.post(
        "/v1/tickets/summarize",
        json={
            "text": "The VPN client fails with error 809 on every laptop since the update. Reinstalling did not "
            "help. We need access to the file server for month-end closing.",
            "max_words": 20,
        },
    )
    assert response.status_code == 200, response.text
    summary = response.json()["summary"]
    assert 0 < len(summary.split()) <= 20


def test_upload_list_search_and_delete_a_document(client: Any) -> None:
    memo = b"Facilities memo. The rooftop garden opens on 3 June and is reserved for staff events on Fridays."
    response = client.post(
        "/v1/documents?collection=uploads",
        files=[("files", ("../../etc/memo.txt", memo, "text/plain")), ("files", ("junk.pdf", b"nope", "text/plain"))],
    )
    assert response.status_code == 201, response.text
    results = {d["source"]: d for d in response.json()["documents"]}
    assert results["memo.txt"]["status"] == "new" and results["memo.txt"]["chunks"] == 1
    assert results["junk.pdf"]["status"] == "failed" and "not a PDF" in results["junk.pdf"]["reason"]

    listed = client.get("/v1/documents?collection=uploads").json()["documents"]
    assert {d["source"] for d in listed} == {"memo.txt", "junk.pdf"}
    hits = client.post("/v1/search", json={"query": "rooftop garden", "collection": "uploads"}).json()["results"]
    assert hits[0]["source"] == "memo.txt"

    collections = {c["name"]: c for c in client.get("/v1/collections").json()["collections"]}
    assert collections["uploads"]["chunks"] == 1 and collections["default"]["documents"] == 10

    document_id = results["memo.txt"]["document_id"]
    assert client.delete(f"/v1/documents/{document_id}?collection=uploads").status_code == 200
    assert client.post("/v1/search", json={"query": "rooftop garden", "collection": "uploads"}).json()["results"] == []
    assert_problem(client.delete(f"/v1/documents/{document_id}?collection=uploads"), 404)


def test_unsupported_upload_is_415(client: Any) -> None:
    upload = {"file": ("x.bin", b"\x00\x01\x02", "application/x")}
    response = client.post("/v1/documents?collection=uploads", files=upload)
    body = assert_problem(response, 415)
    assert "binary" in body["detail"]


def test_error_responses_carry_no_library_message(client: Any, services: Any, monkeypatch: Any) -> None:
    """What a library says on failure can name internals: it goes to the log, never into a response."""
    import io

    from pypdf import PdfReader

    from tests.bad_files import text_pdf

    whole = text_pdf("Quarterly report. Revenue grew by four percent; the Lyon office opens in May.")
    broken = whole[: len(whole) // 3]
    try:
        PdfReader(io.BytesIO(broken), strict=False).pages[0].extract_text()
        pytest.fail("the cut PDF should not parse")
    except Exception as exc:
        pypdf_says = str(exc)
    assert pypdf_says
    uploaded = client.post("/v1/documents?collection=uploads", files={"file": ("cut.pdf", broken, "application/pdf")})
    assert uploaded.status_code == 415, uploaded.text
    assert pypdf_says not in uploaded.text
    assert assert_problem(uploaded, 415)["detail"] == "cut.pdf: unreadable PDF (damaged, truncated or not really a PDF)"

    secret = "chroma-internal-state-7f3a"

    def failing_heartbeat() -> None:
        raise RuntimeError(secret)

    monkeypatch.setattr(services.store._client, "heartbeat", failing_heartbeat)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and secret not in not_ready.text
    assert not_ready.json()["detail"] == "the vector store is not reachable"

    def failing_search(*args: Any, **kwargs: Any) -> Any:
        raise ValueError(secret)

    monkeypatch.setattr(services.answers, "search", failing_search)
    crashed = client.post("/v1/search", json={"query": "hotel cap"})
    assert_problem(crashed, 500)
    assert secret not in crashed.text


def test_uploads_beyond_the_size_limit_are_413(services: Any) -> None:
    import dataclasses

    from litestar.testing import TestClient

    from api.app import create_app

    small = dataclasses.replace(services, settings=services.settings.model_copy(update={"max_upload_bytes": 4096}))
    with TestClient(app=create_app(small)) as limited:
        fits = b"Canteen memo. Lunch is served from noon to two on weekdays."
        accepted = limited.post("/v1/documents?collection=limits", files={"file": ("fits.txt", fits, "text/plain")})
        assert accepted.status_code == 201, accepted.text
        # Beyond the form's limit, the body is refused before it is parsed.
        whole = limited.post(
            "/v1/documents?collection=limits", files={"file": ("big.txt", b"x" * 20_000, "text/plain")}
        )
        assert_problem(whole, 413)
        listed = limited.get("/v1/documents?collection=limits").json()["documents"]
        assert [d["source"] for d in listed] == ["fits.txt"]


def test_openapi_schema_is_published(client: Any) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path in (
        "/v1/search",
        "/v1/ask",
        "/v1/tickets/classify",
        "/v1/tickets/classify:batch",
        "/v1/documents",
        "/v1/collections",
        "/v1/chat/completions",
        "/healthz",
        "/readyz",
    ):
        assert path in schema["paths"], path
    assert "AskResponse" in json.dumps(schema["components"])


def test_warm_up_evaluates_every_fixed_prompt_start_and_leaves_the_answer_one_in_context(services: Any) -> None:
    generator = services.generator
    answer_prefixes = services.answers.prompt_prefixes()
    ticket_prefixes = services.tickets.prompt_prefixes()
    assert len(answer_prefixes) == 1 and len(ticket_prefixes) == 2  # the bundled model's few-shot prompts
    generator._llm.reset()
    generator._prefix_states.clear()
    services.warm_up()
    assert set(generator._prefix_states) == {*answer_prefixes, *ticket_prefixes}
    tokens = generator._llm.tokenize(answer_prefixes[0].encode("utf-8"), add_bos=True)
    assert list(generator._llm._input_ids[: len(tokens)]) == tokens
