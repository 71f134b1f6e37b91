"""Label sets: a team's ticket labels as a named, stored object, with what it learned from their examples.

On disk, one folder per set under ``<data dir>/labelsets/<name>/``: ``labelset.json`` (labels, descriptions,
counts, what training chose), ``model.npz`` (the linear model's arrays, read with ``allow_pickle=False``)
and ``examples.jsonl`` (the training examples as redacted, so that later examples add to them). Every write
goes to a temporary file renamed over the old one, under one lock for the store.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from filelock import FileLock

from rag.errors import ConflictError, InvalidInputError, LabelSetNotFoundError
from rag.ticket_classifier import LinearModel
from rag.ticket_lexical import LexicalView

MAX_SET_LABELS = 1_000
MAX_LABEL_CHARS = 100
MAX_DESCRIPTION_CHARS = 500
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Example:
    text: str  # redacted
    label: str


@dataclass
class LabelSet:
    name: str
    labels: list[str]
    descriptions: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    trained_at: str | None = None
    examples_per_label: dict[str, int] = field(default_factory=dict)
    training: dict[str, float] = field(default_factory=dict)

    @property
    def trained(self) -> bool:
        return self.trained_at is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "labels": self.labels,
            "descriptions": self.descriptions,
            "created_at": self.created_at,
            "trained_at": self.trained_at,
            "model": "trained" if self.trained else "zero-shot",
            "examples": sum(self.examples_per_label.values()),
            "examples_per_label": self.examples_per_label,
            "training": self.training,
        }


def validate_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise InvalidInputError(
            "a label set name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def validate_set_labels(
    labels: Sequence[str], descriptions: Mapping[str, str] | None, max_labels: int = MAX_SET_LABELS
) -> list[str]:
    """The labels stripped, or InvalidInputError saying what is wrong with them."""
    cleaned = [label.strip() for label in labels]
    if len(cleaned) < 2:
        raise InvalidInputError(f"give at least 2 labels, not {len(cleaned)}")
    if len(cleaned) > max_labels:
        raise InvalidInputError(f"give at most {max_labels} labels, not {len(cleaned)}")
    # Printable only: a control character in a label crashed llama.cpp's grammar sampler (found by fuzzing).
    if any(not label or len(label) > MAX_LABEL_CHARS or not label.isprintable() for label in cleaned):
        raise InvalidInputError(
            f"labels must be non-empty lines of printable text of at most {MAX_LABEL_CHARS} characters"
        )
    duplicates = sorted(label for label, count in Counter(cleaned).items() if count > 1)
    if duplicates:
        raise InvalidInputError(f"labels must be distinct; repeated: {duplicates[:10]}")
    unknown = sorted(set(descriptions or {}) - set(cleaned))
    if unknown:
        raise InvalidInputError(f"descriptions given for labels not in the set: {unknown[:10]}")
    too_long = sorted(label for label, text in (descriptions or {}).items() if len(text) > MAX_DESCRIPTION_CHARS)
    if too_long:
        raise InvalidInputError(f"descriptions longer than {MAX_DESCRIPTION_CHARS} characters: {too_long[:10]}")
    return cleaned


def _write_atomically(path: Path, data: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _now() -> str:
    # Microseconds: the time also tells one training (or creation) of a set from the next, for the model cache.
    return datetime.now(UTC).isoformat(timespec="microseconds")


class LabelSetStore:
    """The label sets of one data dir."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = FileLock(str(root.parent / "labelsets.lock"))

    def editing(self) -> FileLock:
        """The store's lock, for a read-modify-write of a set (training reads its examples, then adds to them);
        held across processes, and again by the same thread without blocking."""
        self._root.parent.mkdir(parents=True, exist_ok=True)
        return self._lock

    def _folder(self, name: str) -> Path:
        return self._root / validate_name(name)

    def names(self) -> list[str]:
        if not self._root.is_dir():
            return []
        return sorted(p.name for p in self._root.iterdir() if (p / "labelset.json").is_file())

    def get(self, name: str) -> LabelSet:
        path = self._folder(name) / "labelset.json"
        try:
            fields = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LabelSetNotFoundError(f"no label set named {name!r}") from None
        return LabelSet(**fields)

    def all(self) -> list[LabelSet]:
        return [self.get(name) for name in self.names()]

    def create(self, name: str, labels: Sequence[str], descriptions: Mapping[str, str] | None = None) -> LabelSet:
        cleaned = validate_set_labels(labels, descriptions)
        label_set = LabelSet(validate_name(name), cleaned, dict(descriptions or {}), _now())
        self._root.mkdir(parents=True, exist_ok=True)
        with self._lock:
            folder = self._folder(name)
            if (folder / "labelset.json").exists():
                raise ConflictError(f"a label set named {name!r} exists; delete it first")
            folder.mkdir(exist_ok=True)
            self._save(label_set)
        return label_set

    def _save(self, label_set: LabelSet) -> None:
        fields = {key: value for key, value in vars(label_set).items()}
        text = json.dumps(fields, ensure_ascii=False, indent=2) + "\n"
        _write_atomically(self._folder(label_set.name) / "labelset.json", text.encode())

    def delete(self, name: str) -> None:
        with self._lock:
            folder = self._folder(name)
            if not (folder / "labelset.json").exists():
                raise LabelSetNotFoundError(f"no label set named {name!r}")
            # The description file goes first: a half-deleted folder is then no label set at all.
            (folder / "labelset.json").unlink()
            shutil.rmtree(folder, ignore_errors=True)

    def examples(self, name: str) -> list[Example]:
        path = self._folder(name) / "examples.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [Example(**json.loads(line)) for line in lines if line.strip()]

    def save_training(self, label_set: LabelSet, examples: Sequence[Example], model: LinearModel) -> LabelSet:
        """Store the examples (already redacted) and the model trained on them, then the set that names them."""
        with self._lock:
            self.get(label_set.name)  # deleted meanwhile: nothing is written
            folder = self._folder(label_set.name)
            lines = "".join(json.dumps(vars(e), ensure_ascii=False) + "\n" for e in examples)
            _write_atomically(folder / "examples.jsonl", lines.encode())
            with tempfile.SpooledTemporaryFile() as buffer:
                arrays = {"weights": model.weights, "bias": model.bias, "labels": np.array(model.labels, dtype=str)}
                arrays.update(model.lexical.arrays() if model.lexical is not None else {})
                np.savez(buffer, allow_pickle=False, **arrays)
                buffer.seek(0)
                _write_atomically(folder / "model.npz", buffer.read())
            label_set.trained_at = _now()
            label_set.examples_per_label = dict(sorted(Counter(e.label for e in examples).items()))
            label_set.training = dict(model.details)
            self._save(label_set)
        return label_set

    def model(self, label_set: LabelSet) -> LinearModel | None:
        """The trained model of ``label_set``, or None when it has not been trained."""
        if not label_set.trained:
            return None
        path = self._folder(label_set.name) / "model.npz"
        with np.load(path, allow_pickle=False) as arrays:
            labels = tuple(str(label) for label in arrays["labels"])
            if list(labels) != label_set.labels:
                raise ConflictError(
                    f"label set {label_set.name!r}: its model does not match its labels; train it again"
                )
            lexical = LexicalView.from_arrays(arrays)
            return LinearModel(labels, arrays["weights"], arrays["bias"], "trained", dict(label_set.training), lexical)
