"""Per-type score thresholds for redaction, chosen on one half of the development set, reported on the other.

Issue #31 asks whether the recognizers' own confidence, with a threshold per entity type instead of the one
``ENCLAVE_REDACT_SCORE_THRESHOLD``, would redact better. Each record is redacted once with a threshold near zero,
keeping every finding with its score; a set of thresholds is then applied to the findings (a finding of type t is
kept when its score reaches t's threshold), and the records are scored as ``enclave eval redaction`` scores them
(``ingest/redaction/evaluation.py``). Thresholds are chosen on the even records of the development set, one type at
a time, to leave the fewest tokens wrong (leaked plus over-redacted); they are reported on the odd records, which
played no part in choosing them, and on the second development set (``tests/data/pii_dev2_en.json``).

Applying a threshold after the redactor's document passes approximates running it before them (a name spread
through a document from a finding below the threshold stays); the baseline row, the settings' one threshold
applied the same way, says how close that is to the redactor run at that threshold.

Usage: python -m bench.redaction_thresholds [--first ../shared/data/pii/synth_dataset_v2.json] [--second FILE]
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.paths import REPO_ROOT
from bench.tables import console
from ingest.builders import build_redactor
from ingest.redaction.evaluation import Record, load_records, score_record
from rag.settings import load_settings
from rag.types import EntitySpan, LocationPolicy

CANDIDATES = tuple(round(0.05 * n, 2) for n in range(1, 20))
FLOOR = 0.01


@dataclass(frozen=True)
class Redacted:
    record: Record
    entities: tuple[EntitySpan, ...]


@dataclass(frozen=True)
class Figures:
    leaked: dict[str, tuple[int, int]]  # type -> (leaked, labelled) tokens
    over_redacted: int
    unlabelled: int

    @property
    def wrong(self) -> int:
        return sum(leaked for leaked, _ in self.leaked.values()) + self.over_redacted


def figures(
    redacted: Sequence[Redacted], thresholds: Mapping[str, float], default: float, places: LocationPolicy
) -> Figures:
    leaked: dict[str, list[int]] = {}
    over = unlabelled = 0
    for item in redacted:
        kept = [e for e in item.entities if e.score >= thresholds.get(e.type, default)]
        score, _ = score_record(item.record, kept, places)
        for kind, counts in score.by_type.items():
            total = leaked.setdefault(kind, [0, 0])
            total[0] += counts.leaked
            total[1] += counts.tokens
        over += score.over_redacted
        unlabelled += score.unlabelled
    return Figures({k: (v[0], v[1]) for k, v in leaked.items()}, over, unlabelled)


def choose(
    redacted: Sequence[Redacted], types: Sequence[str], default: float, places: LocationPolicy
) -> dict[str, float]:
    """One pass of coordinate descent: each type's threshold, the others held, to the fewest wrong tokens (ties: the
    threshold nearest the default)."""
    chosen: dict[str, float] = {}
    for kind in types:
        best = min(
            CANDIDATES,
            key=lambda t: (figures(redacted, {**chosen, kind: t}, default, places).wrong, abs(t - default)),
        )
        chosen[kind] = best
    return chosen


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.redaction_thresholds", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--first", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "pii" / "synth_dataset_v2.json"
    )
    parser.add_argument("--second", type=Path, default=REPO_ROOT / "tests" / "data" / "pii_dev2_en.json")
    args = parser.parse_args(argv)
    settings = load_settings()
    default = settings.redact_score_threshold
    redactor = build_redactor(settings.model_copy(update={"redact_score_threshold": FLOOR}))
    places = redactor.location_policy

    def redact(records: Sequence[Record]) -> list[Redacted]:
        return [Redacted(r, tuple(redactor.redact(r.text).entities)) for r in records]

    first = load_records(args.first)
    fit, held = redact(first[0::2]), redact(first[1::2])
    second = redact(load_records(args.second))
    types = sorted({e.type for item in fit for e in item.entities})
    chosen = choose(fit, types, default, places)
    console.print(f"thresholds chosen on the even records of {args.first.name} (default {default}): {chosen}")
    for kind in types:
        curve = {t: figures(fit, {kind: t}, default, places).wrong for t in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95)}
        console.print(f"fit half, wrong tokens by {kind}'s threshold: {curve}")
    for name, items in (("first set, even (fit)", fit), ("first set, odd (held out)", held), ("second set", second)):
        for label, thresholds in ((f"one threshold {default}", {}), ("per type", chosen)):
            result = figures(items, thresholds, default, places)
            cells = ", ".join(
                f"{kind} {leaked / total:.1%}" for kind, (leaked, total) in sorted(result.leaked.items()) if total
            )
            console.print(
                f"{name} | {label} | {cells} | over-redaction {result.over_redacted / max(1, result.unlabelled):.2%}"
                f" | wrong tokens {result.wrong}"
            )


if __name__ == "__main__":
    main()
