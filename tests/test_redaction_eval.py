"""The redaction metrics: tokens, leaks (partial coverage included), over-redaction, types kept by design."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ingest.redaction.evaluation import (
    NOT_REDACTED,
    LabelledSpan,
    Record,
    evaluate,
    load_records,
    score_record,
    tokens,
)
from rag.types import EntitySpan, Redaction

from .conftest import REPO

DATASET = REPO.parent / "shared" / "data" / "pii" / "synth_dataset_v2.json"

TEXT = "Call Jane Doe on +1 555 0100 before 12 May, about the Lyon office."
#       0    5    10   15   20   25   30   35   40   45   50   55   60
NAME = LabelledSpan("PERSON", 5, 13)  # "Jane Doe"
PHONE = LabelledSpan("PHONE_NUMBER", 17, 28)  # "+1 555 0100"
DATE = LabelledSpan("DATE_TIME", 36, 42)  # "12 May"
PLACE = LabelledSpan("GPE", 54, 58)  # "Lyon"
RECORD = Record(TEXT, (NAME, PHONE, DATE, PLACE))


def span(type_: str, start: int, end: int) -> EntitySpan:
    return EntitySpan(type=type_, start=start, end=end)


def test_tokens_split_on_punctuation_and_at_label_edges() -> None:
    assert [TEXT[17:28][s:e] for s, e in tokens(TEXT[17:28])] == ["1", "555", "0100"]
    assert [t[s:e] for t in ["jane.doe@example.com"] for s, e in tokens(t)] == ["jane", "doe", "example", "com"]
    # A label boundary inside a word cuts it: "ABCdef" labelled "ABC" gives two tokens.
    assert tokens("ABCdef", cuts=[3]) == [(0, 3), (3, 6)]


def test_everything_redacted_exactly_leaks_nothing_and_removes_nothing_else() -> None:
    score, ignored = score_record(RECORD, [span("PERSON", 5, 13), span("PHONE_NUMBER", 17, 28)])
    assert score.by_type["PERSON"].tokens == 2 and score.by_type["PERSON"].leaked == 0
    assert score.by_type["PHONE_NUMBER"].tokens == 3 and score.by_type["PHONE_NUMBER"].leaked == 0
    assert score.over_redacted == 0
    # "Call", "on", "before", ",", "about", "the", "office": punctuation is no token.
    assert score.unlabelled == len(tokens(TEXT)) - 2 - 3 - 2 - 1
    # Dates and places are kept on purpose: counted apart, neither leak nor over-redaction.
    assert ignored == {"DATE_TIME": 2, "GPE": 1}


def test_partly_covered_token_is_leaked() -> None:
    # The redactor took "Jane D": "Doe" is only partly covered, so it leaks; "555 0100" is missed.
    score, _ = score_record(RECORD, [span("PERSON", 5, 11), span("PHONE_NUMBER", 17, 20)])
    assert score.by_type["PERSON"].leaked == 1
    assert score.by_type["PHONE_NUMBER"].leaked == 2
    assert score.by_type["PHONE_NUMBER"].leak_rate == pytest.approx(2 / 3)


def test_coverage_by_another_type_still_counts_as_redacted() -> None:
    score, _ = score_record(RECORD, [span("STREET_ADDRESS", 0, 28)])
    assert score.by_type["PERSON"].leaked == 0 and score.by_type["PHONE_NUMBER"].leaked == 0
    assert score.over_redacted == 2  # "Call" and "on"


def test_partly_covered_unlabelled_token_is_over_redacted() -> None:
    # A span ending inside "office" spoils the word; redacting the labelled place costs nothing.
    score, _ = score_record(RECORD, [span("PERSON", 54, 61)])
    assert score.over_redacted == 1


def test_evaluate_adds_up_records_and_reports_json() -> None:
    class Fixed:
        def redact(self, text: str, language: str | None = None) -> Redaction:
            found = [span("PERSON", 5, 9)] if text == TEXT else []
            return Redaction(text=text, entities=found, language="en")

    records = [RECORD, Record("No one here.", ())]
    ticks: list[int] = []
    report = evaluate(Fixed(), records, on_record=lambda: ticks.append(1), examples=3)
    assert len(ticks) == 2
    assert report.by_type["PERSON"].tokens == 2 and report.by_type["PERSON"].leaked == 1
    assert report.by_type["PHONE_NUMBER"].leaked == 3
    assert report.leaked_examples["PERSON"] == ["Jane >>Doe<<"]
    summary = report.to_dict()
    assert summary["entities"]["PERSON"]["leak_rate"] == 0.5
    assert summary["over_redaction"]["over_redacted"] == 0
    assert set(summary["not_redacted_by_design"]) == {"DATE_TIME", "GPE"}
    assert all(name in NOT_REDACTED for name in summary["not_redacted_by_design"])
    json.dumps(summary)


def test_load_records_reads_presidio_research_format(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    item = {"full_text": TEXT, "spans": [{"entity_type": "PERSON", "start_position": 5, "end_position": 13}]}
    path.write_text(json.dumps([item, {"full_text": "x", "spans": []}]), "utf-8")
    records = load_records(path)
    assert records[0].spans == (NAME,) and records[1].spans == ()


@pytest.mark.skipif(not DATASET.exists(), reason="development set not present")
def test_real_redactor_on_a_slice_of_the_development_set(redactor: Any) -> None:
    # Figures of a slice are too noisy to assert targets on (docs/benchmarks.md has the full set); this
    # checks that the real redactor and the metric fit together.
    records = load_records(DATASET)[:60]
    report = evaluate(redactor, records)
    assert report.records == 60
    assert report.by_type["PERSON"].tokens > 0
    for score in report.by_type.values():
        assert 0 <= score.leaked <= score.tokens
    assert 0 <= report.over_redacted_tokens <= report.unlabelled_tokens


def test_cli_prints_json(tmp_path: Path) -> None:
    path = tmp_path / "set.json"
    item = {
        "full_text": "Please call Harriet Lindqvist on +1 (555) 014-2231 about the audit.",
        "spans": [
            {"entity_type": "PERSON", "start_position": 12, "end_position": 29},
            {"entity_type": "PHONE_NUMBER", "start_position": 33, "end_position": 50},
        ],
    }
    path.write_text(json.dumps([item]), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "eval", "redaction", "--dataset", str(path), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "ENCLAVE_DATA_DIR": str(tmp_path / "data")},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["records"] == 1
    assert summary["entities"]["PERSON"] == {"tokens": 2, "leaked": 0, "leak_rate": 0.0}
    assert summary["entities"]["PHONE_NUMBER"]["leaked"] == 0
    assert summary["over_redaction"]["over_redacted"] == 0


# --- The recognizers the figures rest on, on English text ----------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Ship it to 221B Baker Street, London NW1 6XE today.", "221B Baker Street, London NW1 6XE"),
        ("Office: 1600 Pennsylvania Ave NW, Washington, DC 20500", "1600 Pennsylvania Ave NW, Washington, DC 20500"),
        ("Send to PO Box 4512, Springfield, IL 62704 please.", "PO Box 4512, Springfield, IL 62704"),
        ("Unit 5022 Box 1225\nDPO AE 44085", "Unit 5022 Box 1225\nDPO AE 44085"),
        ("Pohlstrasse 9\nSuite 858\nBörßum\nGermany 74285", "Pohlstrasse 9\nSuite 858\nBörßum\nGermany 74285"),
        ("We met at the corner of 5th Avenue and Main Street.", "the corner of 5th Avenue and Main Street"),
    ],
)
def test_english_and_european_addresses(text: str, address: str) -> None:
    from ingest.redaction.recognizers.street_address import find_addresses

    assert [text[s:e] for s, e in find_addresses(text)] == [address]


def test_numbers_and_names_are_no_addresses() -> None:
    from ingest.redaction.recognizers.street_address import find_addresses

    text = "Windows 10 and Python 3 run on Error 809 machines; Card 4111 1111 1111 1111, version 5.2.1."
    assert find_addresses(text) == []


@pytest.mark.parametrize(
    "number",
    ["+1 (555) 014-2231", "555-014-2231", "(555) 014-2231", "555.014.2231", "+44 20 7946 0958", "463-612-6138x036"],
)
def test_phone_layouts_that_need_no_context(number: str) -> None:
    from ingest.redaction.recognizers.phone_pattern import find_phone_numbers

    text = f"Reach the desk on {number}."
    assert [text[s:e] for s, e, _ in find_phone_numbers(text)] == [number]
    bare = f"The figure was {number} overall."
    assert [bare[s:e] for s, e, _ in find_phone_numbers(bare)] == [number]


def test_given_names_lists_and_signatures(redactor: Any) -> None:
    text = (
        "The board thanked Tomasz Wieczorek and Ingrid A. Solberg. The founders were Okafor, Brandt and Lindqvist.\n"
        "\nGrace Holloway\nAcme Widgets\n27 Kestrel Wharf Road\nLondon E14 9QT\n"
    )
    result = redactor.redact(text, "en")
    for value in ("Tomasz", "Wieczorek", "Ingrid", "Solberg", "Okafor", "Brandt", "Lindqvist", "Grace", "Kestrel"):
        assert value not in result.text, value
    assert "The board thanked" in result.text and "Acme Widgets" in result.text


def test_places_and_calendar_words_are_no_people(redactor: Any) -> None:
    text = "In London, Paris and Zurich the hotel cap is 240 EUR from 1 January to 30 June. Hello Billing team,"
    assert redactor.redact(text, "en").text == text


def test_a_label_the_metric_does_not_know_is_held_to_redaction() -> None:
    record = Record("Badge number QX-4471 was lost.", (LabelledSpan("BADGE_ID", 13, 20),))
    score, ignored = score_record(record, [])
    assert score.by_type["BADGE_ID"].tokens == 2 and score.by_type["BADGE_ID"].leaked == 2
    assert ignored == {}


# Issue #4's targets: leak rate per entity type (share of labelled tokens left), and over-redaction.
LEAK_TARGETS = {"PERSON": 0.03, "STREET_ADDRESS": 0.10, "PHONE_NUMBER": 0.02}
ZERO_LEAK = ("CREDIT_CARD", "EMAIL_ADDRESS", "IBAN_CODE", "US_SSN", "IP_ADDRESS", "FR_NIR", "FR_SIRET", "FR_SIREN")
OVER_REDACTION_TARGET = 0.05


def _assert_targets(report: Any) -> None:
    misses = {name: score.leaked for name, score in report.by_type.items() if score.leaked}
    for name, score in report.by_type.items():
        limit = LEAK_TARGETS.get(name, 0.0 if name in ZERO_LEAK else None)
        if limit is not None:
            assert score.leak_rate <= limit, (name, score, misses, report.leaked_examples)
    assert report.over_redaction_rate <= OVER_REDACTION_TARGET, report.over_redacted_examples


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_targets_hold_on_the_held_out_sets(redactor: Any, language: str) -> None:
    """Records written for Enclave apart from the development set (scripts/make_pii_heldout.py)."""
    records = load_records(REPO / "tests" / "data" / f"pii_heldout_{language}.json")
    report = evaluate(redactor, records, examples=5)
    assert report.languages.get(language, 0) >= len(records) - 1  # one short English record reads as French
    expected = {"PERSON", "STREET_ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS", "IBAN_CODE"}
    expected |= {"CREDIT_CARD", "US_SSN", "IP_ADDRESS"} if language == "en" else {"FR_NIR", "FR_SIRET", "FR_SIREN"}
    assert expected <= set(report.by_type)
    _assert_targets(report)


@pytest.mark.skipif(not DATASET.exists(), reason="development set not present")
def test_the_targets_hold_on_the_whole_development_set(redactor: Any) -> None:
    report = evaluate(redactor, load_records(DATASET), examples=5)
    assert report.records == 1500
    _assert_targets(report)
