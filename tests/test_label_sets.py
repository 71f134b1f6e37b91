"""Ticket label sets (issue #30): stored, trained on redacted examples, classifying with a confidence and an
abstain option, evaluated against baselines; bad input gets a clear error."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rag.errors import ConfigurationError, ConflictError, InvalidInputError, LabelSetNotFoundError
from rag.label_sets import MAX_SET_LABELS, LabelSetStore
from rag.label_training import LabelledTicket, LabelSetService, read_labelled
from rag.ticket_eval import evaluate_tickets, plot_confusion, stratified_split
from rag.tickets import ClassifyOptions, TicketService
from rag.types import Completion

TICKETS = Path(__file__).parent / "data" / "tickets"


@pytest.fixture(scope="module")
def labelled() -> list[LabelledTicket]:
    return read_labelled(TICKETS / "support_tickets.jsonl")


@pytest.fixture(scope="module")
def descriptions() -> dict[str, str]:
    return tomllib.loads((TICKETS / "labels.toml").read_text(encoding="utf-8"))


@pytest.fixture
def service(tmp_path: Path, redactor: Any, embedder: Any) -> LabelSetService:
    return LabelSetService(LabelSetStore(tmp_path / "labelsets"), redactor, embedder, max_text_chars=20_000)


def halves(labelled: list[LabelledTicket], labels: list[str]) -> tuple[list[LabelledTicket], list[LabelledTicket]]:
    train, test = stratified_split([labels.index(t.label) for t in labelled], 0.5, seed=1)
    return [labelled[i] for i in train], [labelled[i] for i in test]


def test_the_store_creates_lists_and_deletes(tmp_path: Path) -> None:
    store = LabelSetStore(tmp_path / "labelsets")
    assert store.all() == []
    created = store.create("support-v1", ["billing", "technical"], {"billing": "invoices and charges"})
    assert created.to_dict()["model"] == "zero-shot"
    assert [s.name for s in store.all()] == ["support-v1"]
    assert store.get("support-v1").descriptions == {"billing": "invoices and charges"}
    with pytest.raises(ConflictError):
        store.create("support-v1", ["a", "b"])
    store.delete("support-v1")
    assert store.all() == [] and not (tmp_path / "labelsets" / "support-v1").exists()
    with pytest.raises(LabelSetNotFoundError):
        store.get("support-v1")
    with pytest.raises(LabelSetNotFoundError):
        store.delete("support-v1")


@pytest.mark.parametrize(
    ("name", "labels", "descriptions", "message"),
    [
        ("s", [], None, "at least 2 labels"),
        ("s", ["only"], None, "at least 2 labels"),
        ("s", [f"label {i}" for i in range(10_000)], None, f"at most {MAX_SET_LABELS} labels"),
        ("s", ["a", "a"], None, "repeated: ['a']"),
        ("s", ["a", "b\x00"], None, "printable"),
        ("s", ["a", "b"], {"c": "not in the set"}, "not in the set: ['c']"),
        ("../escape", ["a", "b"], None, "a label set name is"),
        ("", ["a", "b"], None, "a label set name is"),
    ],
)
def test_bad_label_sets_are_refused_with_a_reason(
    tmp_path: Path, name: str, labels: list[str], descriptions: dict[str, str] | None, message: str
) -> None:
    store = LabelSetStore(tmp_path / "labelsets")
    with pytest.raises(InvalidInputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.create(name, labels, descriptions)
    assert store.all() == []


def test_training_redacts_stores_arrays_and_beats_the_baselines_on_held_out_tickets(
    service: LabelSetService, tmp_path: Path, labelled: list[LabelledTicket], descriptions: dict[str, str]
) -> None:
    labels = sorted(descriptions)
    train, test = halves(labelled, labels)
    service.create("support", labels, descriptions)
    trained = service.train("support", train)
    assert trained.trained and sum(trained.examples_per_label.values()) == len(train)
    folder = tmp_path / "labelsets" / "support"
    # Examples are stored redacted: the training tickets' e-mail addresses and international phone numbers
    # are on no byte of the set's folder. (Seven-digit local numbers such as 555-0139 with no area code are
    # not all recognized: a known redaction gap, issue #31.)
    stored = b"".join(path.read_bytes() for path in folder.iterdir()).decode("utf-8", "replace")
    personal = {m for t in train for m in re.findall(r"[\w.]+@example\.(?:com|net|org)|\+44 ?7700 ?900 ?\d{3}", t.text)}
    assert len(personal) >= 3
    assert not [value for value in personal if value in stored]
    with np.load(folder / "model.npz", allow_pickle=False) as arrays:
        assert arrays["weights"].shape[0] == len(labels)

    tickets = TicketService(generator=None, label_sets=service)
    results = tickets.classify_many([t.text for t in test], ClassifyOptions(labelset="support"))
    accuracy = np.mean([r.label == t.label for r, t in zip(results, test, strict=True)])
    zero_shot = service.store.create("untrained", labels, descriptions)
    untrained = tickets.classify_many([t.text for t in test], ClassifyOptions(labelset=zero_shot.name))
    zero_shot_accuracy = np.mean([r.label == t.label for r, t in zip(untrained, test, strict=True)])
    # Learning from 15 tickets a label must help over the labels' names and descriptions alone (0.842 against
    # 0.817 on an AMD Zen 4 host: 6 tickets of 240).
    assert accuracy > zero_shot_accuracy, (accuracy, zero_shot_accuracy)
    assert accuracy >= 0.8
    for result in results:
        assert 0.0 < result.confidence <= 1.0 and abs(sum(result.scores.values()) - 1) < 1e-3
        assert result.confidence == max(result.scores.values())
    # The stored arrays alone give the same probabilities (the n-gram view included, when chosen).
    reloaded = service.store.model(service.store.get("support"))
    assert reloaded is not None and reloaded.details == trained.training
    assert (reloaded.lexical is not None) == (trained.training["lexical_weight"] > 0)
    redacted = [pages[0].text for pages in service.redact_all([t.text for t in test[:5]])]
    again = reloaded.probabilities(service.embed(redacted), redacted)
    for row, result in zip(again, results[:5], strict=True):
        assert {label: round(float(p), 4) for label, p in zip(labels, row, strict=True)} == result.scores


def test_an_untrained_set_is_at_least_as_good_as_the_nearest_label_name(
    service: LabelSetService, labelled: list[LabelledTicket], descriptions: dict[str, str]
) -> None:
    report = evaluate_tickets(service, labelled, sorted(descriptions), descriptions, train_fraction=0.2)
    methods = report.methods
    assert methods["zero-shot"].accuracy >= methods["nearest label name"].accuracy
    assert methods["enclave"].accuracy >= methods["logistic regression"].accuracy
    assert report.test_size + report.train_size == len(labelled)
    assert sum(map(sum, report.confusion)) == report.test_size
    assert set(report.per_label) == set(descriptions)
    assert report.tickets_per_second > 0 and report.training["examples"] == report.train_size


def test_the_confusion_matrix_is_drawn(service: LabelSetService, tmp_path: Path) -> None:
    tickets = [LabelledTicket(f"my invoice number {i} is wrong", "invoice") for i in range(4)]
    tickets += [LabelledTicket(f"printer {i} on floor two is jammed", "printer") for i in range(4)]
    report = evaluate_tickets(service, tickets, train_fraction=0.5)
    plot_confusion(report, tmp_path / "confusion.png")
    assert (tmp_path / "confusion.png").read_bytes().startswith(b"\x89PNG")


def test_abstain_below_the_minimum_confidence_and_multi_label(service: LabelSetService) -> None:
    tickets = TicketService(generator=None, label_sets=service)
    text = "Hello, I was charged twice for invoice 817, please refund the duplicate payment."
    labels = ["billing", "technical", "hr"]
    sure = tickets.classify(text, ClassifyOptions(labels=labels))
    assert sure.label == "billing"
    unsure = tickets.classify(text, ClassifyOptions(labels=labels, min_confidence=min(1.0, sure.confidence + 0.01)))
    assert unsure.label is None and unsure.labels == [] and unsure.confidence == sure.confidence
    several = tickets.classify(text, ClassifyOptions(labels=labels, multi_label=True))
    assert several.labels[0] == "billing" and all(several.scores[label] >= 1 / 3 for label in several.labels)


def test_training_adds_examples_and_replace_starts_again(service: LabelSetService) -> None:
    service.create("small", ["invoice", "printer"])
    first = [LabelledTicket("the invoice total is wrong", "invoice"), LabelledTicket("printer jammed", "printer")]
    assert sum(service.train("small", first).examples_per_label.values()) == 2
    more = [LabelledTicket("please resend invoice 12", "invoice")]
    assert service.train("small", more).examples_per_label == {"invoice": 2, "printer": 1}
    # A label without examples keeps its description's prior; the set still classifies.
    assert service.train("small", more, replace=True).examples_per_label == {"invoice": 1}
    tickets = TicketService(generator=None, label_sets=service)
    assert tickets.classify("the printer prints blank pages", ClassifyOptions(labelset="small")).label == "printer"


@pytest.mark.parametrize(
    ("examples", "message"),
    [
        ([], "no examples"),
        ([LabelledTicket("text", "unknown")], r"not in label set 'small': \['unknown'\]"),
        ([LabelledTicket("x" * 1_000_000, "invoice")], "more than the limit"),
        ([LabelledTicket("  ", "invoice")], "is empty"),
    ],
)
def test_bad_examples_change_nothing(service: LabelSetService, examples: list[LabelledTicket], message: str) -> None:
    service.create("small", ["invoice", "printer"])
    with pytest.raises(InvalidInputError, match=message):
        service.train("small", examples)
    assert not service.store.get("small").trained and service.store.examples("small") == []


def test_bad_example_files_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "examples.jsonl"
    path.write_text('{"text": "fine", "label": "a"}\n{"text": "no label"}\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"examples.jsonl:2 is not"):
        read_labelled(path)
    path.write_text('{"text": "fine", "label": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InvalidInputError, match=r"examples.jsonl:2 is not JSON"):
        read_labelled(path)


def test_classify_refuses_a_one_megabyte_ticket_and_ambiguous_options(service: LabelSetService) -> None:
    tickets = TicketService(generator=None, label_sets=service)
    with pytest.raises(InvalidInputError, match="more than the limit"):
        tickets.classify("x" * 1_000_000, ClassifyOptions(labels=["a", "b"]))
    with pytest.raises(InvalidInputError, match="either labels or a label set"):
        tickets.classify("text", ClassifyOptions(labels=["a", "b"], labelset="s"))
    with pytest.raises(InvalidInputError, match="either labels or a label set"):
        tickets.classify("text", ClassifyOptions())
    with pytest.raises(LabelSetNotFoundError):
        tickets.classify("text", ClassifyOptions(labelset="missing"))
    with pytest.raises(ConfigurationError, match="without the language model"):
        tickets.classify("text", ClassifyOptions(labels=["a", "b"], rerank_with_llm=True))


def test_a_label_set_of_a_thousand_labels_classifies_in_bounded_time(service: LabelSetService) -> None:
    labels = [f"category {i}" for i in range(MAX_SET_LABELS)]
    service.create("wide", labels)
    tickets = TicketService(generator=None, label_sets=service)
    result = tickets.classify("category 17 please", ClassifyOptions(labelset="wide"))
    assert result.label in labels and len(result.scores) == 50
    assert json.dumps(result.to_dict())


class WritingGenerator:
    """A language model that writes a fixed summary, to test the summary check in isolation."""

    def __init__(self, text: str) -> None:
        self.text = text

    def complete(self, prompt: str, **_: Any) -> Completion:
        return Completion(self.text, 10, len(self.text.split()), 0.01, 0.02)


def test_a_summary_keeps_only_sentences_whose_numbers_the_ticket_holds(service: LabelSetService) -> None:
    ticket = "Order 4471 arrived damaged on 12 March. The customer wants a replacement, not a refund."
    written = "Order 4471 arrived damaged. A refund of 250 euros was promised on 14 March. A replacement is asked."
    tickets = TicketService(generator=WritingGenerator(written), label_sets=service)  # type: ignore[arg-type]
    summary = tickets.summarize(ticket)
    assert summary.summary == "Order 4471 arrived damaged. A replacement is asked."
    assert summary.removed == ["A refund of 250 euros was promised on 14 March."]


def test_two_trainings_of_one_set_at_once_keep_both_sets_of_examples(
    tmp_path: Path, redactor: Any, embedder: Any
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from api.services import SerializedRedactor

    service = LabelSetService(LabelSetStore(tmp_path / "labelsets"), SerializedRedactor(redactor), embedder, 20_000)
    service.create("shared", ["invoice", "printer"])
    batches = [
        [LabelledTicket(f"invoice {i} has the wrong total", "invoice") for i in range(3)],
        [LabelledTicket(f"printer {i} jams", "printer") for i in range(4)],
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda batch: service.train("shared", batch), batches))
    assert service.store.get("shared").examples_per_label == {"invoice": 3, "printer": 4}
    assert len(service.store.examples("shared")) == 7


def test_a_set_deleted_and_created_again_at_once_classifies_with_its_new_labels(service: LabelSetService) -> None:
    tickets = TicketService(generator=None, label_sets=service)
    service.create("again", ["invoice", "printer"])
    assert tickets.classify("my invoice is wrong", ClassifyOptions(labelset="again")).label == "invoice"
    service.store.delete("again")
    service.create("again", ["vpn", "password"])
    assert tickets.classify("my invoice is wrong", ClassifyOptions(labelset="again")).label in {"vpn", "password"}


def test_the_confusion_matrix_of_a_thousand_labels_stays_a_bounded_image(tmp_path: Path) -> None:
    import struct

    from rag.ticket_eval import MethodScore, TicketEvalReport

    labels = [f"label {i}" for i in range(MAX_SET_LABELS)]
    confusion = np.eye(len(labels), dtype=int).tolist()
    report = TicketEvalReport(labels, 1000, 1000, {"enclave": MethodScore(1.0, 1.0)}, {}, confusion, 1.0, 1.0)
    plot_confusion(report, tmp_path / "wide.png")
    width, height = struct.unpack(">II", (tmp_path / "wide.png").read_bytes()[16:24])
    assert width <= 24 * 120 and height <= 24 * 120
