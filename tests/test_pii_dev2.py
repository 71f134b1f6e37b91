"""The second redaction development set, tests/data/pii_dev2_en.json (scripts/make_pii_dev2.py): its labels
say what its text holds, and the script makes the same file again.

Its figures are reported beside the first development set's (docs/benchmarks.md); no test holds it to the
targets yet.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ingest.redaction.evaluation import load_records

from .conftest import REPO

DATA = REPO / "tests" / "data" / "pii_dev2_en.json"
SCRIPT = REPO / "scripts" / "make_pii_dev2.py"
KNOWN_TYPES = {
    "PERSON",
    "TITLE",
    "STREET_ADDRESS",
    "GPE",
    "ORGANIZATION",
    "PHONE_NUMBER",
    "EMAIL_ADDRESS",
    "CREDIT_CARD",
    "IBAN_CODE",
    "US_SSN",
    "DATE_TIME",
    "ZIP_CODE",
    "IP_ADDRESS",
}


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(DATA.read_text("utf-8"))
    return loaded


def test_every_span_is_the_text_at_its_offsets(records: list[dict[str, Any]]) -> None:
    for record in records:
        assert set(record) == {"full_text", "spans", "template_id"}
        text = record["full_text"]
        previous_end = 0
        for span in record["spans"]:
            start, end = span["start_position"], span["end_position"]
            assert 0 <= start < end <= len(text), (record["template_id"], span)
            assert text[start:end] == span["entity_value"], (record["template_id"], span)
            assert span["entity_type"] in KNOWN_TYPES, span
            assert start >= previous_end, ("overlapping spans", record["template_id"], span)
            previous_end = end
            # A span starts and ends on a word character: no stray spaces or punctuation counted as a leak.
            assert span["entity_value"] == span["entity_value"].strip(), span


def test_the_set_has_the_size_and_the_types_it_is_described_with(records: list[dict[str, Any]]) -> None:
    assert 1000 <= len(records) <= 1500
    assert len({record["template_id"] for record in records}) >= 80
    counts = Counter(span["entity_type"] for record in records for span in record["spans"])
    required = KNOWN_TYPES - {"ZIP_CODE"}
    assert required <= set(counts), required - set(counts)
    # The same text twice would weigh one template's failures double.
    assert len({record["full_text"] for record in records}) == len(records)


def test_enclave_eval_reads_it_as_it_reads_the_first_development_set() -> None:
    loaded = load_records(DATA)
    assert len(loaded) == len(json.loads(DATA.read_text("utf-8")))
    assert all(record.spans for record in loaded)


def test_its_generator_is_no_dependency_of_the_product() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert not any(requirement.startswith("mimesis") for requirement in project["dependencies"])
    for package in ("rag", "ingest", "api"):
        for path in (REPO / package).rglob("*.py"):
            source = path.read_text("utf-8")
            assert "mimesis" not in source and "make_pii_dev2" not in source, path


def _script(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_pii_dev2", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_pii_dev2", module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_script_writes_the_same_file_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mimesis = pytest.importorskip(
        "mimesis", reason="mimesis (a dev extra) is not installed: the set cannot be regenerated here"
    )
    script = _script(monkeypatch)
    if mimesis.__version__ != script.MIMESIS_VERSION:
        pytest.skip(f"mimesis {mimesis.__version__} is installed; the set is pinned to {script.MIMESIS_VERSION}")
    out = tmp_path / "pii_dev2_en.json"
    assert script.main(["--out", str(out)]) == 0
    assert out.read_bytes() == DATA.read_bytes()
