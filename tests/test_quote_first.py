"""Quote-first answers (issue 28): evidence first, a written answer only once checked, honest refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from rag.answer import Answer, AnswerState, Quotes
from rag.types import Completion
from tests.conftest import make_pipeline

PARENTAL = "How long is parental leave at full pay?"


def test_the_parental_leave_question_quotes_the_16_weeks_sentence_and_never_answers_10_weeks(services: Any) -> None:
    answer = services.answers.ask(PARENTAL, "default")
    assert answer.evidence, answer
    best = answer.evidence[0]
    assert "16 weeks of parental leave at full pay" in best.text
    assert best.source.endswith("hr-policy.pdf") and best.page == 3
    citation = next(c for c in answer.citations if c.chunk_id == best.chunk_id)
    assert citation.text[best.start : best.end] == best.text  # the span highlights the quote in its card
    assert "10 weeks" not in answer.answer and "10 additional weeks" not in answer.answer
    if answer.verified:
        assert "16" in answer.answer


class ScriptedGenerator:
    """A generator that writes a fixed text: what a small model may write, to test the check in isolation."""

    chat_template = None

    def __init__(self, text: str) -> None:
        self.text = text
        self.prompts: list[str] = []

    def stream(self, prompt: str, **_: Any) -> Iterator[str | Completion]:
        self.prompts.append(prompt)
        for word in self.text.split(" "):
            yield word + " "
        yield Completion(self.text, 10, len(self.text.split()), 0.01, 0.02)

    def complete(self, prompt: str, **_: Any) -> Completion:
        raise AssertionError("not used")

    def choice_probabilities(self, prompt: str, choices: Sequence[str], prefix: str | None = None) -> None:
        return None

    def prepare(self, prefixes: Sequence[str]) -> None:
        pass


def _answers_with(services: Any, generator: Any) -> Any:
    from rag.components import build_answers

    return build_answers(
        services.settings,
        redactor=services.redactor,
        retriever=services.answers._retriever,
        embedder=services.embedder,
        generator=generator,
    )


def test_a_written_answer_whose_number_is_absent_from_the_evidence_is_dropped(services: Any) -> None:
    scripted = ScriptedGenerator("Parental leave at full pay lasts 18 weeks.")
    answer = _answers_with(services, scripted).ask(PARENTAL, "default")
    assert scripted.prompts, "the model was asked to write an answer"
    assert answer.verified is False and answer.state is AnswerState.QUOTES_ONLY
    assert answer.reason is not None and "18" in answer.reason
    assert "18" not in answer.answer
    assert "16 weeks of parental leave at full pay" in answer.answer  # the quote stands alone


def test_a_written_answer_that_the_evidence_supports_is_verified(services: Any) -> None:
    scripted = ScriptedGenerator("Parental leave at full pay lasts 16 weeks.")
    answer = _answers_with(services, scripted).ask(PARENTAL, "default")
    assert answer.verified is True and answer.state is AnswerState.VERIFIED
    assert answer.answer.startswith("Parental leave at full pay lasts 16 weeks")
    prompt = scripted.prompts[0]
    assert "16 weeks of parental leave at full pay" in prompt  # written from the quotes alone
    assert "Priya" not in prompt and "expense" not in prompt.split("### Task")[-1].lower()


def test_a_question_the_documents_do_not_answer_gets_do_not_say(services: Any) -> None:
    answer = services.answers.ask("What is the recipe for a chocolate souffle?", "default")
    assert answer.state is AnswerState.NOT_IN_DOCUMENTS and answer.answered is False
    assert answer.evidence == []


def test_two_sources_that_disagree_give_the_disagree_state(tmp_path: Path, redactor: Any, embedder: Any) -> None:
    from api.services import Services
    from rag.settings import load_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy-2023.txt").write_text("Expense claims must be submitted within 30 days of the purchase.\n")
    (docs / "policy-2024.txt").write_text("Expense claims must be submitted within 45 days of the purchase.\n")
    data_dir = tmp_path / "data"
    make_pipeline(data_dir, redactor, embedder).ingest_paths([docs], "default")
    scripted = ScriptedGenerator("Expense claims must be submitted within 30 days.")
    services = Services.load(load_settings(data_dir=data_dir), redactor=redactor, embedder=embedder, generator=scripted)
    try:
        answer = services.answers.ask("Within how many days must expense claims be submitted?", "default")
    finally:
        close = getattr(services, "close", None)
        if close is not None:
            close()
    assert answer.state is AnswerState.SOURCES_DISAGREE, answer
    assert {e.source for e in answer.evidence} == {"policy-2023.txt", "policy-2024.txt"}
    assert answer.reason is not None and "30" in answer.reason and "45" in answer.reason
    assert not scripted.prompts, "no answer is written when the sources disagree"


def test_the_stream_carries_the_evidence_before_any_generated_text(services: Any) -> None:
    items = list(services.answers.ask_stream(PARENTAL, "default"))
    assert isinstance(items[0], Quotes) and items[0].evidence
    assert isinstance(items[-1], Answer)
    assert all(isinstance(item, str) for item in items[1:-1])


def test_the_sse_stream_sends_the_evidence_event_first(client: Any) -> None:
    with client.stream("POST", "/v1/ask?stream=true", json={"question": PARENTAL}) as response:
        events = [line.split(":", 1)[1].strip() for line in response.iter_lines() if line.startswith("event:")]
    assert events[0] == "evidence"
    assert events[-1] == "answer" and events.count("evidence") == 1


def test_the_ask_response_holds_the_evidence_and_the_check(client: Any) -> None:
    body = client.post("/v1/ask", json={"question": PARENTAL}).json()
    assert body["state"] in {"verified", "quotes-only"}
    assert body["verified"] is (body["state"] == "verified")
    quote = body["evidence"][0]
    assert {"text", "source", "page", "location", "chunk_id", "start", "end"} <= quote.keys()
    assert "16 weeks" in quote["text"]


def test_the_cli_prints_the_evidence_as_json(ingested_sample: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("ENCLAVE_DATA_DIR", str(ingested_sample["data_dir"]))
    result = CliRunner().invoke(app, ["ask", PARENTAL, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert "16 weeks" in body["evidence"][0]["text"]
    assert body["state"] in {"verified", "quotes-only"}
