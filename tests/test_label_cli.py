"""``enclave labels``, ``enclave classify --labelset`` and ``enclave eval tickets`` in real subprocesses (#30)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_cli import enclave

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TICKETS = Path(__file__).parent / "data" / "tickets"


def test_create_train_classify_evaluate_and_delete(tmp_path: Path) -> None:
    data = tmp_path / "data"
    created = enclave("labels", "create", "desk", "--descriptions", str(TICKETS / "labels.toml"), data_dir=data)
    assert created.returncode == 0, created.stderr
    assert "16 labels" in created.stderr
    shown = json.loads(enclave("labels", "show", "desk", "--json", data_dir=data).stdout)
    assert shown["model"] == "zero-shot" and len(shown["labels"]) == 16

    examples = tmp_path / "examples.jsonl"
    lines = (TICKETS / "support_tickets.jsonl").read_text(encoding="utf-8").splitlines()
    examples.write_text("\n".join(lines[:200]) + "\n", encoding="utf-8")
    trained = enclave("labels", "train", "desk", "--examples", str(examples), "--json", data_dir=data)
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["examples"] == 200

    tickets = [json.loads(line)["text"] for line in lines[200:203]]
    stdin = "\n".join(json.dumps({"text": text}) for text in [tickets[0], "   ", *tickets[1:]]) + "\n"
    classified = enclave("classify", "--labelset", "desk", "--min-confidence", "0.2", data_dir=data, stdin=stdin)
    assert classified.returncode == 0, classified.stderr
    results = [json.loads(line) for line in classified.stdout.splitlines()]
    # One line per ticket, in order: the empty one gets its error and the others go on.
    assert len(results) == 4 and results[1] == {"error": "text is empty"}
    assert all(r["label"] in shown["labels"] or r["label"] is None for r in results if "error" not in r)

    plot = tmp_path / "confusion.png"
    evaluated = enclave(
        "eval", "tickets", "--dataset", str(TICKETS / "support_tickets.jsonl"), "--labelset", "desk",
        "--plot", str(plot), "--json", data_dir=data,
    )  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    assert set(report["methods"]) == {"nearest label name", "zero-shot", "logistic regression", "enclave"}
    assert plot.read_bytes().startswith(b"\x89PNG")

    listed = json.loads(enclave("labels", "list", "--json", data_dir=data).stdout)
    assert [item["name"] for item in listed] == ["desk"] and listed[0]["model"] == "trained"
    assert enclave("labels", "delete", "desk", data_dir=data).returncode == 0
    missing = enclave("labels", "show", "desk", data_dir=data)
    assert missing.returncode == 2 and "no label set named 'desk'" in missing.stderr


def test_bad_input_exits_2_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    one = enclave("labels", "create", "x", "--labels", "only", data_dir=data)
    assert one.returncode == 2 and "at least 2 labels" in one.stderr
    neither = enclave("classify", data_dir=data, stdin="")
    assert neither.returncode == 2 and "either --labels or --labelset" in neither.stderr
    examples = tmp_path / "bad.jsonl"
    examples.write_text('{"text": "hello"}\n', encoding="utf-8")
    assert enclave("labels", "create", "x", "--labels", "a,b", data_dir=data).returncode == 0
    bad = enclave("labels", "train", "x", "--examples", str(examples), data_dir=data)
    assert bad.returncode == 2 and "bad.jsonl:1 is not" in bad.stderr
