"""Ticket classification: accuracy with k labelled examples per label against baselines, batch speed, training
time on 2,000 examples, and (with ``--llm N``) what the language model's vote adds and costs.

Each round draws k training tickets per label at random (seeded) and tests on every other ticket; the four
methods of ``enclave eval tickets`` (rag/ticket_eval.py) are scored on the same draw. Figures are printed and,
unless ``--no-append``, appended to docs/benchmarks/history.md.

Usage: python -m bench.tickets_bench [--dataset F --descriptions F.toml] [--per-label 5 10 20] [--rounds 5]
       [--llm 48] [--no-append]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.history import append_section, section_opening
from bench.log_setup import quiet_logging
from bench.machine import machine_info
from bench.paths import BENCHMARKS_FILE, REPO_ROOT
from bench.tables import console, markdown_table, print_table
from rag.label_sets import LabelSetStore
from rag.label_training import LabelledTicket, LabelSetService, read_labelled
from rag.settings import Settings, load_settings
from rag.ticket_eval import METHODS, MethodScore, embed_tickets, method_predictions, score
from rag.tickets import ClassifyOptions, TicketService

TICKETS = REPO_ROOT / "tests" / "data" / "tickets"
TRAINING_SIZE = 2_000


def draw(targets: Sequence[int], per_label: int, seed: int) -> tuple[list[int], list[int]]:
    """``per_label`` training tickets of each label, drawn at random; every other ticket is for testing."""
    rng = random.Random(seed)
    train: list[int] = []
    for label in sorted(set(targets)):
        members = [i for i, target in enumerate(targets) if target == label]
        if len(members) <= per_label:
            raise SystemExit(f"label {label} has {len(members)} tickets: too few for {per_label} per label and a test")
        train += rng.sample(members, per_label)
    chosen = set(train)
    return sorted(train), [i for i in range(len(targets)) if i not in chosen]


def accuracy_rows(
    service: LabelSetService,
    tickets: Sequence[LabelledTicket],
    labels: list[str],
    descriptions: dict[str, str],
    per_label: Sequence[int],
    rounds: int,
) -> list[list[str]]:
    data = embed_tickets(service, tickets, labels, descriptions)
    rows = []
    for k in per_label:
        scores: dict[str, list[MethodScore]] = {name: [] for name in METHODS}
        for seed in range(rounds):
            train, test = draw(data.targets, k, seed)
            predicted, _, _ = method_predictions(data, train, test)
            truth = [data.targets[i] for i in test]
            for name in METHODS:
                scores[name].append(score(truth, predicted[name]))
        for name in METHODS:
            accuracies = [s.accuracy for s in scores[name]]
            f1 = np.mean([s.macro_f1 for s in scores[name]])
            rows.append([str(k), name, f"{np.mean(accuracies):.3f} ± {np.std(accuracies):.3f}", f"{f1:.3f}"])
    return rows


def speed_rows(service: LabelSetService, tickets: Sequence[LabelledTicket], labels: list[str]) -> list[list[str]]:
    """Training on 2,000 examples (redaction included), and batch classification of every ticket with a set
    trained on them and with the same labels untrained (zero-shot)."""
    # As many examples as a team would label: the set's tickets again, each copy told apart by a number.
    examples = [
        LabelledTicket(f"{tickets[n % len(tickets)].text} ({n // len(tickets) + 1})", tickets[n % len(tickets)].label)
        for n in range(TRAINING_SIZE)
    ]
    for name in ("bench-2000", "bench-trained", "bench-untrained"):
        service.store.create(name, labels)
    try:
        started = time.perf_counter()
        service.train("bench-2000", examples)
        train_seconds = time.perf_counter() - started
        # Classified with a set trained on the distinct tickets (copies would make the n-gram view look useless).
        trained = service.train("bench-trained", tickets)
        classifier = TicketService(generator=None, label_sets=service)
        rates = {}
        for name in ("bench-trained", "bench-untrained"):
            options = ClassifyOptions(labelset=name)
            classifier.classify_many([t.text for t in tickets[:8]], options)  # warm-up
            started = time.perf_counter()
            for start in range(0, len(tickets), 64):
                classifier.classify_many([t.text for t in tickets[start : start + 64]], options)
            rates[name] = len(tickets) / (time.perf_counter() - started)
    finally:
        for name in ("bench-2000", "bench-trained", "bench-untrained"):
            service.store.delete(name)
    weight = trained.training["lexical_weight"]
    return [
        [f"train on {TRAINING_SIZE} examples (redact, embed, fit)", f"{train_seconds:.1f} s", "< 30 s"],
        [
            f"classify with a set trained on {len(tickets)} (n-gram weight {weight:g}; 64 a batch)",
            f"{rates['bench-trained']:.0f} tickets/s",
            ">= 50",
        ],
        ["classify zero-shot (64 a batch)", f"{rates['bench-untrained']:.0f} tickets/s", ">= 50"],
    ]


def llm_rows(
    service: LabelSetService,
    settings: Settings,
    tickets: Sequence[LabelledTicket],
    descriptions: dict[str, str],
    count: int,
) -> list[list[str]]:
    """Zero-shot with and without the language model's vote, on ``count`` tickets."""
    # deferred: heavy (llama.cpp)
    from rag.components import load_generator

    sample = random.Random(0).sample(list(tickets), count)
    service.store.create("bench-llm", sorted(descriptions), descriptions)
    rows = []
    try:
        generator = load_generator(settings)
        classifier = TicketService(generator=generator, label_sets=service)
        for rerank in (False, True):
            options = ClassifyOptions(labelset="bench-llm", rerank_with_llm=rerank)
            started = time.perf_counter()
            results = [classifier.classify(t.text, options) for t in sample]
            seconds = (time.perf_counter() - started) / count
            accuracy = np.mean([r.label == t.label for r, t in zip(results, sample, strict=True)])
            name = "zero-shot + language model vote" if rerank else "zero-shot"
            rows.append([name, f"{accuracy:.3f}", f"{seconds * 1000:.0f} ms"])
    finally:
        service.store.delete("bench-llm")
    return rows


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tickets_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=TICKETS / "support_tickets.jsonl", help="labelled JSONL")
    parser.add_argument("--descriptions", type=Path, default=TICKETS / "labels.toml", help="label = description")
    parser.add_argument("--per-label", type=int, nargs="+", default=[5, 10, 20], help="training examples per label")
    parser.add_argument("--rounds", type=int, default=5, help="random draws per size (default: 5)")
    parser.add_argument("--llm", type=int, default=0, help="also measure the language model's vote on N tickets")
    parser.add_argument("--no-append", action="store_true", help="do not append to docs/benchmarks/history.md")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    quiet_logging()
    machine = machine_info()
    # deferred: heavy (torch, spaCy, Presidio)
    from ingest.components import build_redactor
    from rag.components import load_embedder

    data_dir = Path(tempfile.mkdtemp(prefix="enclave-bench-tickets-"))
    settings = load_settings(data_dir=data_dir)
    service = LabelSetService(
        LabelSetStore(settings.labelsets_dir), build_redactor(settings), load_embedder(settings), 20_000
    )
    tickets = read_labelled(args.dataset)
    descriptions = tomllib.loads(args.descriptions.read_text(encoding="utf-8"))
    labels = sorted(descriptions)
    accuracy = accuracy_rows(service, tickets, labels, descriptions, args.per_label, args.rounds)
    print_table("Accuracy on the tickets not trained on", ("k per label", "method", "accuracy", "macro-F1"), accuracy)
    speed = speed_rows(service, tickets, labels)
    print_table("Speed", ("what", "measured", "target"), speed)
    llm = llm_rows(service, settings, tickets, descriptions, args.llm) if args.llm else []
    if llm:
        print_table("The language model's vote", ("method", "accuracy", "per ticket"), llm)
    if not args.no_append:
        command = shlex.join(["python", "-m", "bench.tickets_bench", *arguments])
        lines = section_opening("ticket classification", machine, command, os.getloadavg())
        lines += ["", f"{len(tickets)} tickets, {len(labels)} labels ({args.dataset.name}), {args.rounds} draws", ""]
        lines += [markdown_table(("k per label", "method", "accuracy", "macro-F1"), accuracy, left=("method",)), ""]
        lines += [markdown_table(("what", "measured", "target"), speed, left=("what",)), ""]
        if llm:
            lines += [markdown_table(("method", "accuracy", "per ticket"), llm, left=("method",)), ""]
        append_section(BENCHMARKS_FILE, "\n".join(lines))
        console.print(f"appended to {BENCHMARKS_FILE.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
