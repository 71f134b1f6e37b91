"""Label sets at work: created, trained on a team's labelled tickets (redacted first), turned into a model.

The examples' texts are redacted before anything is stored or embedded, as documents are. Training adds the
new examples to those the set already holds (``replace`` starts again from the new ones only) and refits
the model on all of them: a few thousand examples take seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.answer import validate_text
from rag.errors import InvalidInputError
from rag.jsonl import read_jsonl
from rag.label_descriptions import describe, label_name
from rag.label_sets import Example, LabelSet, LabelSetStore
from rag.protocols import Embedder, Redactor
from rag.ticket_classifier import LinearModel, Vectors, train_model, zero_shot_model
from rag.types import Redaction

MAX_EXAMPLES = 20_000
EMBED_BATCH = 256


@dataclass(frozen=True)
class LabelledTicket:
    text: str
    label: str


def read_labelled(path: Path) -> list[LabelledTicket]:
    """``{"text": ..., "label": ...}`` lines; InvalidInputError naming the first bad line."""
    tickets = []
    for number, row in read_jsonl(path):
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not isinstance(row.get("label"), str):
            raise InvalidInputError(f'{path}:{number} is not {{"text": "...", "label": "..."}}')
        if not row["text"].strip():
            raise InvalidInputError(f"{path}:{number} has an empty text")
        tickets.append(LabelledTicket(row["text"], row["label"].strip()))
    return tickets


def check_examples(label_set: LabelSet, examples: Sequence[LabelledTicket], max_text_chars: int) -> None:
    if not examples:
        raise InvalidInputError("no examples given")
    if len(examples) > MAX_EXAMPLES:
        raise InvalidInputError(f"at most {MAX_EXAMPLES} examples per training, not {len(examples)}")
    unknown = sorted({e.label for e in examples} - set(label_set.labels))
    if unknown:
        raise InvalidInputError(f"examples for labels not in label set {label_set.name!r}: {unknown[:10]}")
    for index, example in enumerate(examples, start=1):
        validate_text(example.text, f"example {index}", max_text_chars)


def label_texts(labels: Sequence[str], descriptions: Mapping[str, str] | None) -> list[str]:
    """Each label as text: its description (its own, or a known one for a common label), or its name."""
    return [describe(label, descriptions) or label_name(label) for label in labels]


class LabelSetService:
    """Label sets of one data dir, with the redactor and embedder their examples go through."""

    def __init__(self, store: LabelSetStore, redactor: Redactor, embedder: Embedder, max_text_chars: int) -> None:
        self.store = store
        self.redactor = redactor
        self.embedder = embedder
        self._max_text_chars = max_text_chars
        self._models: dict[tuple[object, ...], LinearModel] = {}
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return self.embedder.embed([])
        return np.vstack([self.embedder.embed(texts[i : i + EMBED_BATCH]) for i in range(0, len(texts), EMBED_BATCH)])

    def redact_all(self, texts: Sequence[str]) -> list[list[Redaction]]:
        """Each text redacted on its own (placeholders numbered per text), in one batch through the models."""
        return self.redactor.redact_documents([[text.strip()] for text in texts])

    def label_vectors(self, labels: Sequence[str], descriptions: Mapping[str, str] | None) -> Vectors:
        """Each label's vector: its name's embedding, averaged with its description's where it has one (its
        own, or a known one for a common label), made unit length again."""
        vectors = np.array(self.embed([label_name(label) for label in labels]), dtype=np.float32)
        described = {i: text for i, label in enumerate(labels) if (text := describe(label, descriptions))}
        if described:
            rows = list(described)
            vectors[rows] += self.embed(list(described.values()))
            vectors[rows] /= np.linalg.norm(vectors[rows], axis=1, keepdims=True)
        return vectors

    def create(self, name: str, labels: Sequence[str], descriptions: Mapping[str, str] | None = None) -> LabelSet:
        return self.store.create(name, labels, descriptions)

    def train(self, name: str, examples: Sequence[LabelledTicket], replace: bool = False) -> LabelSet:
        label_set = self.store.get(name)
        check_examples(label_set, examples, self._max_text_chars)
        redacted = [
            Example(pages[0].text, example.label)
            for pages, example in zip(self.redact_all([e.text for e in examples]), examples, strict=True)
        ]
        # Under the store's lock from reading the kept examples to saving: two trainings of one set at once
        # would otherwise each keep only their own new examples.
        with self.store.editing():
            label_set = self.store.get(name)
            kept = [] if replace else self.store.examples(name)
            everything = [*kept, *redacted]
            if len(everything) > MAX_EXAMPLES:
                raise InvalidInputError(
                    f"label set {name!r} would hold {len(everything)} examples, more than {MAX_EXAMPLES}: "
                    "train with --replace to start again from the new ones"
                )
            texts = [e.text for e in everything]
            model = train_model(
                label_set.labels,
                self.embed(texts),
                [e.label for e in everything],
                self.label_vectors(label_set.labels, label_set.descriptions),
                texts,
                label_texts(label_set.labels, label_set.descriptions),
            )
            return self.store.save_training(label_set, everything, model)

    def model(self, name: str) -> tuple[LabelSet, LinearModel]:
        """The set and its model: trained if it was, zero-shot from its labels' descriptions otherwise."""
        label_set = self.store.get(name)
        # What the model depends on: a set deleted and created again, or trained again, is another key.
        described = tuple(sorted(label_set.descriptions.items()))
        key = (label_set.name, tuple(label_set.labels), described, label_set.created_at, label_set.trained_at)
        with self._lock:
            cached = self._models.get(key)
        if cached is not None:
            return label_set, cached
        model = self.store.model(label_set) or zero_shot_model(
            label_set.labels, self.label_vectors(label_set.labels, label_set.descriptions)
        )
        with self._lock:
            self._models = {k: v for k, v in self._models.items() if k[0] != label_set.name}
            self._models[key] = model
        return label_set, model
