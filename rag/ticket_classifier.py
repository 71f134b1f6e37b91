"""Ticket classification on the bundled embeddings: a linear model over a ticket's vector, zero-shot or learned.

Both kinds are the same object, a softmax over ``vector @ weights.T + bias``, so a label set stores plain
arrays (never a pickle):

- zero-shot: each label's row is the embedding of its name and description, divided by a temperature (MiniLM
  cosines sit in a narrow band). 0.05 is calibrated: on tests/data/tickets, the temperature of least log loss
  on one half was 0.050, and on the other half the mean confidence was 0.79 where 0.82 were right;
- learned: scikit-learn's logistic regression on the examples' vectors, the label descriptions added as one
  example each, plus a share ``alpha`` of the zero-shot rows (the descriptions' prior, which matters most when
  a label has few examples); and a second model's vote, a logistic regression on the texts' character n-grams
  (rag/ticket_lexical.py), added to its log-probabilities at a weight. The regularization ``C``, ``alpha`` and
  the second model's weight (0 when it does not help) are chosen by stratified cross-validation on the training
  examples alone, and a temperature fitted on the same out-of-fold predictions calibrates the probabilities
  (the one that minimizes their log loss).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from rag.errors import InvalidInputError
from rag.ticket_lexical import LexicalView, fit_lexical

ZERO_SHOT_TEMPERATURE = 0.05
C_GRID = (1.0, 10.0, 100.0)
ALPHA_GRID = (0.0, 0.5, 1.0)
LEXICAL_WEIGHTS = (0.5, 1.0)
TEMPERATURE_GRID = tuple(float(t) for t in np.geomspace(0.25, 4.0, 25))
MAX_FOLDS = 3
# Below this many examples of some label, folds would train on one or two examples a label: what they chose
# (a temperature of 0.25 on two examples a label, near-certain probabilities) would not be worth trusting.
MIN_EXAMPLES_TO_VALIDATE = 4
MAX_ITERATIONS = 2_000

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinearModel:
    """A softmax over ``vectors @ weights.T + bias`` (one row of ``weights`` per label, in ``labels`` order),
    with a trained set's second view of the texts added to it (``lexical``, at ``details["lexical_weight"]``)
    and the sum divided by ``details["temperature"]``."""

    labels: tuple[str, ...]
    weights: Vectors
    bias: Vectors
    kind: str  # "zero-shot" or "trained"
    details: dict[str, float] = field(default_factory=dict)  # what training chose: c, alpha, weights, temperature
    lexical: LexicalView | None = None

    @property
    def reads_texts(self) -> bool:
        return self.lexical is not None and self.details.get("lexical_weight", 0.0) > 0

    def probabilities(self, vectors: Vectors, texts: Sequence[str] | None = None) -> Vectors:
        """Each ticket's probability of each label; ``texts`` (the redacted tickets) when ``reads_texts``."""
        scores = _log_softmax(vectors.astype(np.float64) @ self.weights.T + self.bias)
        if self.lexical is not None and self.reads_texts:
            if texts is None:
                raise ValueError("this model reads the tickets' texts as well as their vectors")
            scores += self.details["lexical_weight"] * _log_softmax(self.lexical.logits(texts))
        return np.exp(_log_softmax(scores / self.details.get("temperature", 1.0))).astype(np.float32)


def _log_softmax(logits: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def zero_shot_model(labels: Sequence[str], label_vectors: Vectors) -> LinearModel:
    """Each label scored by its description's cosine with the ticket, at the zero-shot temperature."""
    weights = (label_vectors / ZERO_SHOT_TEMPERATURE).astype(np.float32)
    return LinearModel(tuple(labels), weights, np.zeros(len(labels), dtype=np.float32), "zero-shot")


def _logistic(c: float) -> Any:
    # deferred: heavy (scikit-learn), only when a label set is trained or evaluated
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, max_iter=MAX_ITERATIONS)


def plain_logistic_regression(labels: Sequence[str], vectors: Vectors, targets: Sequence[str]) -> LinearModel:
    """scikit-learn's logistic regression with its defaults on the examples alone: the floor to beat."""
    index = {label: i for i, label in enumerate(labels)}
    y = np.array([index[t] for t in targets])
    model = _logistic(1.0).fit(vectors, y)
    return _as_linear(labels, model, np.zeros((len(labels), vectors.shape[1])), "trained", {"c": 1.0})


def _as_linear(
    labels: Sequence[str], model: Any, prior: npt.NDArray[np.float64], kind: str, details: dict[str, float]
) -> LinearModel:
    """The fitted model's rows in ``labels`` order (a label with no example keeps its prior alone)."""
    weights = np.array(prior, dtype=np.float64)
    bias = np.zeros(len(labels))
    classes = list(model.classes_)
    coef, intercept = model.coef_, model.intercept_
    if len(classes) == 2 and coef.shape[0] == 1:  # scikit-learn keeps one row for two classes
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    for row, label_index in enumerate(classes):
        weights[label_index] += coef[row]
        bias[label_index] = intercept[row]
    if len(classes) < len(labels):
        # Labels without examples: give them the mean bias, so that their prior alone decides.
        missing = [i for i in range(len(labels)) if i not in set(classes)]
        bias[missing] = bias[classes].mean()
    return LinearModel(tuple(labels), weights.astype(np.float32), bias.astype(np.float32), kind, details)


def _fit(
    vectors: Vectors, y: npt.NDArray[np.int64], label_vectors: Vectors, c: float, alpha: float
) -> tuple[Any, npt.NDArray[np.float64]]:
    """Logistic regression on the examples and one example per label description; its prior rows."""
    x = np.vstack([vectors, label_vectors])
    targets = np.concatenate([y, np.arange(len(label_vectors))])
    model = _logistic(c).fit(x, targets)
    return model, alpha * label_vectors.astype(np.float64) / ZERO_SHOT_TEMPERATURE


def _log_probabilities(model: Any, prior: npt.NDArray[np.float64], labels_count: int, vectors: Vectors) -> npt.NDArray:
    linear = _as_linear([str(i) for i in range(labels_count)], model, prior, "trained", {})
    return _log_softmax(vectors @ linear.weights.T.astype(np.float64) + linear.bias)


def _log_loss(scores: npt.NDArray, y: npt.NDArray[np.int64], temperature: float) -> float:
    return float(-_log_softmax(scores / temperature)[np.arange(len(y)), y].mean())


def _choice(scores: npt.NDArray, y: npt.NDArray[np.int64]) -> tuple[float, float, float]:
    """(errors, log loss, temperature) of out-of-fold scores at their best temperature: what the grids
    minimize, fewer errors first, then the better-calibrated setting."""
    errors = float((scores.argmax(axis=1) != y).mean())
    temperature = min(TEMPERATURE_GRID, key=lambda t: _log_loss(scores, y, t))
    return errors, _log_loss(scores, y, temperature), temperature


def _folds(y: npt.NDArray[np.int64]) -> list[tuple[npt.NDArray, npt.NDArray]]:
    # deferred: heavy (scikit-learn)
    from sklearn.model_selection import StratifiedKFold

    counts = np.bincount(y)
    fewest = int(counts[counts > 0].min())
    if fewest < MIN_EXAMPLES_TO_VALIDATE:
        return []
    splits = min(MAX_FOLDS, fewest)
    return list(StratifiedKFold(n_splits=splits, shuffle=True, random_state=0).split(np.zeros(len(y)), y))


def train_model(
    labels: Sequence[str],
    vectors: Vectors,
    targets: Sequence[str],
    label_vectors: Vectors,
    texts: Sequence[str] | None = None,
    label_texts: Sequence[str] | None = None,
) -> LinearModel:
    """The learned model of the module's docstring, from the examples' vectors and their labels; with their
    ``texts`` (redacted) and the labels' own (``label_texts``), the character n-gram view too."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted(set(targets) - set(index))
    if unknown:
        raise InvalidInputError(f"examples for labels not in the set: {unknown[:10]}")
    if len(targets) == 0:
        raise InvalidInputError("no examples to learn from")
    y = np.array([index[t] for t in targets], dtype=np.int64)
    folds = _folds(y)
    if not folds:
        # Too few examples per label to cross-validate: the strongest regularization and the full prior of the
        # descriptions, so that two examples a label do not give near-certain probabilities.
        model, prior = _fit(vectors, y, label_vectors, C_GRID[0], ALPHA_GRID[-1])
        details = {"c": C_GRID[0], "alpha": ALPHA_GRID[-1], "temperature": 1.0, "examples": float(len(y))}
        return _as_linear(labels, model, prior, "trained", details)
    best: tuple[float, float, float, float, float] | None = None  # (errors, loss, temperature, c, alpha)
    best_scores: npt.NDArray[np.float64] = np.zeros((0, 0))
    for c, alpha in itertools.product(C_GRID, ALPHA_GRID):
        scores = np.zeros((len(y), len(labels)))
        for train, test in folds:
            model, prior = _fit(vectors[train], y[train], label_vectors, c, alpha)
            scores[test] = _log_probabilities(model, prior, len(labels), vectors[test])
        candidate = (*_choice(scores, y), c, alpha)
        if best is None or candidate < best:
            best, best_scores = candidate, scores
    assert best is not None
    _, _, temperature, c, alpha = best
    lexical_weight, lexical = 0.0, None
    if texts is not None and label_texts is not None:
        lexical_weight, temperature = _lexical_weight(best_scores, y, folds, texts, label_texts, best[:3])
        if lexical_weight:
            lexical = fit_lexical([*texts, *label_texts], np.concatenate([y, np.arange(len(labels))]), len(labels))
    model, prior = _fit(vectors, y, label_vectors, c, alpha)
    details = {"c": c, "alpha": alpha, "lexical_weight": lexical_weight, "temperature": temperature}
    linear = _as_linear(labels, model, prior, "trained", {**details, "examples": float(len(y))})
    return replace(linear, lexical=lexical)


def _lexical_weight(
    scores: npt.NDArray,
    y: npt.NDArray[np.int64],
    folds: Sequence[tuple[npt.NDArray, npt.NDArray]],
    texts: Sequence[str],
    label_texts: Sequence[str],
    without: tuple[float, float, float],
) -> tuple[float, float]:
    """The weight of the character n-gram view (0 when it does not help out of fold) and the temperature."""
    lexical_scores = np.zeros_like(scores)
    label_targets = np.arange(len(label_texts))
    for train, test in folds:
        view = fit_lexical(
            [*(texts[i] for i in train), *label_texts], np.concatenate([y[train], label_targets]), len(label_texts)
        )
        lexical_scores[test] = _log_softmax(view.logits([texts[i] for i in test]))
    best = (*without, 0.0)
    for weight in LEXICAL_WEIGHTS:
        candidate = (*_choice(scores + weight * lexical_scores, y), weight)
        best = min(best, candidate)
    return best[3], best[2]
