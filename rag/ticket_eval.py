"""``enclave eval tickets``: ticket classification measured on a labelled set, side by side with baselines.

The tickets are redacted and embedded once (as classification does), then split, stratified by label, into
a training share and a test share. On the test share, in the same run:

- ``nearest label name``: the ticket's nearest label name by cosine (the ten-line baseline);
- ``zero-shot``: the label set's zero-shot model (names and descriptions), what an untrained set does;
- ``logistic regression``: scikit-learn's logistic regression with its defaults on the training share;
- ``enclave``: the model ``enclave labels train`` fits on the training share (rag/ticket_classifier.py).

Nothing is stored: the label set (when one is named) gives the labels and descriptions only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.errors import InvalidInputError
from rag.label_sets import validate_set_labels
from rag.label_training import LabelledTicket, LabelSetService, label_texts
from rag.ticket_classifier import LinearModel, Vectors, plain_logistic_regression, train_model, zero_shot_model

METHODS = ("nearest label name", "zero-shot", "logistic regression", "enclave")
MAX_PLOT_INCHES = 24.0
MAX_NAMED_LABELS = 50


@dataclass(frozen=True)
class MethodScore:
    accuracy: float
    macro_f1: float


@dataclass
class TicketEvalReport:
    labels: list[str]
    train_size: int
    test_size: int
    methods: dict[str, MethodScore]
    per_label: dict[str, dict[str, float]]  # enclave's precision, recall, f1 and support per label
    confusion: list[list[int]]  # enclave's: rows are the true labels, columns the predicted, in label order
    tickets_per_second: float  # redaction + embedding + the model, over every ticket of the set
    train_seconds: float
    training: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {
            "labels": self.labels,
            "train_size": self.train_size,
            "test_size": self.test_size,
            "methods": {
                name: {"accuracy": round(score.accuracy, 4), "macro_f1": round(score.macro_f1, 4)}
                for name, score in self.methods.items()
            },
            "per_label": self.per_label,
            "confusion": self.confusion,
            "tickets_per_second": round(self.tickets_per_second, 1),
            "train_seconds": round(self.train_seconds, 2),
            "training": self.training,
        }


def score(truth: Sequence[int], predicted: Sequence[int]) -> MethodScore:
    # deferred: heavy (scikit-learn)
    from sklearn.metrics import accuracy_score, f1_score

    return MethodScore(float(accuracy_score(truth, predicted)), float(f1_score(truth, predicted, average="macro")))


@dataclass(frozen=True)
class EmbeddedTickets:
    """A labelled set redacted and embedded once, with its labels' vectors, for any number of splits."""

    labels: list[str]
    texts: list[str]  # redacted
    vectors: Vectors
    targets: list[int]  # each ticket's label, as an index into ``labels``
    label_vectors: Vectors  # names and descriptions, as the zero-shot model and the prior use them
    name_vectors: Vectors  # the names alone, as written: the baseline's
    label_texts: list[str]


def embed_tickets(
    service: LabelSetService,
    tickets: Sequence[LabelledTicket],
    labels: Sequence[str],
    descriptions: Mapping[str, str] | None,
) -> EmbeddedTickets:
    index = {label: i for i, label in enumerate(labels)}
    texts = [pages[0].text for pages in service.redact_all([t.text for t in tickets])]
    return EmbeddedTickets(
        labels=list(labels),
        texts=texts,
        vectors=service.embed(texts),
        targets=[index[t.label] for t in tickets],
        label_vectors=service.label_vectors(labels, descriptions),
        name_vectors=service.embed(list(labels)),
        label_texts=label_texts(labels, descriptions),
    )


def method_predictions(
    data: EmbeddedTickets, train: Sequence[int], test: Sequence[int]
) -> tuple[dict[str, list[int]], LinearModel, float]:
    """Each method's label for the ``test`` tickets, trained on the ``train`` ones where it learns; with
    Enclave's trained model and the seconds its training took."""
    train_labels = [data.labels[data.targets[i]] for i in train]
    train_texts, test_texts = [data.texts[i] for i in train], [data.texts[i] for i in test]
    started = time.perf_counter()
    trained = train_model(
        data.labels, data.vectors[train], train_labels, data.label_vectors, train_texts, data.label_texts
    )
    train_seconds = time.perf_counter() - started
    models = {
        "nearest label name": zero_shot_model(data.labels, data.name_vectors),
        "zero-shot": zero_shot_model(data.labels, data.label_vectors),
        "logistic regression": plain_logistic_regression(data.labels, data.vectors[train], train_labels),
        "enclave": trained,
    }
    vectors = data.vectors[test]
    predictions = {
        name: [int(i) for i in models[name].probabilities(vectors, test_texts).argmax(axis=1)] for name in METHODS
    }
    return predictions, trained, train_seconds


def stratified_split(targets: Sequence[int], train_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training and test shares, each label in both in proportion."""
    # deferred: heavy (scikit-learn)
    from sklearn.model_selection import train_test_split

    counts = np.bincount(np.asarray(targets))
    if counts[counts > 0].min() < 2:
        raise InvalidInputError("every label needs at least 2 tickets to be split into training and test shares")
    indices = np.arange(len(targets))
    try:
        train, test = train_test_split(indices, train_size=train_fraction, stratify=targets, random_state=seed)
    except ValueError as exc:  # too small a share for one ticket of each label
        raise InvalidInputError(f"cannot split {len(targets)} tickets at {train_fraction:.0%}: {exc}") from exc
    return np.sort(train), np.sort(test)


def evaluate_tickets(
    service: LabelSetService,
    tickets: Sequence[LabelledTicket],
    labels: Sequence[str] | None = None,
    descriptions: Mapping[str, str] | None = None,
    train_fraction: float = 0.2,
    seed: int = 0,
) -> TicketEvalReport:
    """The report of the module's docstring; ``labels`` default to those the tickets carry, sorted."""
    if not 0.0 < train_fraction < 1.0:
        raise InvalidInputError("the training fraction must be between 0 and 1 (exclusive)")
    choices = validate_set_labels(labels or sorted({t.label for t in tickets}), descriptions)
    unknown = sorted({t.label for t in tickets} - set(choices))
    if unknown:
        raise InvalidInputError(f"tickets labelled with labels not in the set: {unknown[:10]}")
    index = {label: i for i, label in enumerate(choices)}
    train, test = (
        split.tolist() for split in stratified_split([index[t.label] for t in tickets], train_fraction, seed)
    )

    started = time.perf_counter()
    data = embed_tickets(service, tickets, choices, descriptions)
    zero_shot_model(choices, data.label_vectors).probabilities(data.vectors)  # the model's share of a ticket's time
    tickets_per_second = len(tickets) / (time.perf_counter() - started)

    predicted, trained, train_seconds = method_predictions(data, train, test)
    truth = [data.targets[i] for i in test]
    return TicketEvalReport(
        labels=list(choices),
        train_size=len(train),
        test_size=len(test),
        methods={name: score(truth, predicted[name]) for name in METHODS},
        per_label=_per_label(choices, truth, predicted["enclave"]),
        confusion=_confusion(len(choices), truth, predicted["enclave"]),
        tickets_per_second=tickets_per_second,
        train_seconds=train_seconds,
        training=dict(trained.details),
    )


def _per_label(labels: Sequence[str], truth: Sequence[int], predicted: Sequence[int]) -> dict[str, dict[str, float]]:
    # deferred: heavy (scikit-learn)
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=list(range(len(labels))), zero_division=0
    )
    return {
        label: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i, label in enumerate(labels)
    }


def _confusion(size: int, truth: Sequence[int], predicted: Sequence[int]) -> list[list[int]]:
    matrix = np.zeros((size, size), dtype=int)
    for t, p in zip(truth, predicted, strict=True):
        matrix[t, p] += 1
    return matrix.tolist()


def plot_confusion(report: TicketEvalReport, path: Path) -> None:
    """The confusion matrix as a PNG: true labels down, predicted across."""
    # deferred: heavy (matplotlib), only when a plot is asked for
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = len(report.labels)
    # Bounded whatever the number of labels: past MAX_NAMED_LABELS the cells are drawn without their names.
    inches = min(2 + 0.45 * size, MAX_PLOT_INCHES)
    figure, axes = plt.subplots(figsize=(inches, inches - 0.5))
    matrix = np.array(report.confusion)
    axes.imshow(matrix, cmap="Blues")
    if size <= MAX_NAMED_LABELS:
        axes.set_xticks(range(size), report.labels, rotation=90)
        axes.set_yticks(range(size), report.labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    if size <= 40:
        for (row, column), count in np.ndenumerate(matrix):
            if count:
                colour = "white" if count > matrix.max() / 2 else "black"
                axes.text(column, row, str(count), ha="center", va="center", color=colour, fontsize=7)
    enclave = report.methods["enclave"]
    axes.set_title(f"accuracy {enclave.accuracy:.3f}, macro-F1 {enclave.macro_f1:.3f} ({report.test_size} tickets)")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
