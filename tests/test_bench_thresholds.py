"""bench/redaction_thresholds.py: thresholds applied to scored findings, and chosen on one half only."""

from __future__ import annotations

from bench.redaction_thresholds import Redacted, choose, figures
from ingest.redaction.evaluation import LabelledSpan, Record
from rag.types import EntitySpan, LocationPolicy


def _item(text: str, label: tuple[int, int] | None, found: list[tuple[str, int, int, float]]) -> Redacted:
    record = Record(text, (LabelledSpan("PERSON", *label),) if label else ())
    return Redacted(record, tuple(EntitySpan(kind, start, end, score) for kind, start, end, score in found))


def test_a_threshold_keeps_findings_at_or_above_it_and_the_choice_minimizes_wrong_tokens() -> None:
    # A weak finding that is right (the name) and a weak one that is wrong (a common word): 0.3 each.
    items = [
        _item("Ask Maria about it", (4, 9), [("PERSON", 4, 9, 0.3)]),
        _item("Ask Maria about it", (4, 9), [("PERSON", 4, 9, 0.9)]),
        _item("Read the Summary now", None, [("PERSON", 9, 16, 0.3)]),
    ]
    strict = figures(items, {}, 0.35, LocationPolicy.OFF)
    assert strict.leaked["PERSON"] == (1, 2) and strict.over_redacted == 0 and strict.wrong == 1
    loose = figures(items, {"PERSON": 0.25}, 0.35, LocationPolicy.OFF)
    assert loose.leaked["PERSON"] == (0, 2) and loose.over_redacted == 1 and loose.wrong == 1
    # A tie: the default stays. Two right weak names against one wrong: lower it.
    assert choose(items, ["PERSON"], 0.35, LocationPolicy.OFF) == {"PERSON": 0.35}
    more = [*items, _item("Ask Maria about it", (4, 9), [("PERSON", 4, 9, 0.3)])]
    assert choose(more, ["PERSON"], 0.35, LocationPolicy.OFF)["PERSON"] <= 0.3
