"""A second view of a ticket for a trained label set: its character n-grams, weighted by TF-IDF, under a
logistic regression of their own.

MiniLM's embedding blurs the words that decide many tickets ("VPN", "toner", "phishing", a product code);
character n-grams keep them, typos and French included. On their own they classify worse than the embedding,
but their vote added to the embedding model's corrects some of its errors (rag/ticket_classifier.py weighs the
two, choosing the weight by cross-validation on the training examples). Stored as arrays: the n-grams, their
inverse document frequencies and the regression's weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

NGRAMS = (2, 5)
MAX_FEATURES = 20_000
C = 10.0
MAX_ITERATIONS = 3_000


def _vectorizer(vocabulary: Sequence[str] | None = None) -> Any:
    # deferred: heavy (scikit-learn), only for trained label sets
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        sublinear_tf=True,
        max_features=None if vocabulary is not None else MAX_FEATURES,
        vocabulary=list(vocabulary) if vocabulary is not None else None,
        dtype=np.float32,
    )


@dataclass(frozen=True)
class LexicalView:
    vocabulary: tuple[str, ...]
    idf: npt.NDArray[np.float32]
    weights: npt.NDArray[np.float32]  # one row per label
    bias: npt.NDArray[np.float32]

    @cached_property
    def _fitted(self) -> Any:
        # Built once per view, not per batch: a vocabulary of 20,000 n-grams is a dictionary to build.
        vectorizer = _vectorizer(self.vocabulary)
        vectorizer.idf_ = self.idf
        return vectorizer

    def logits(self, texts: Sequence[str]) -> npt.NDArray[np.float64]:
        features = self._fitted.transform(list(texts))
        return np.asarray(features @ self.weights.T.astype(np.float64)) + self.bias

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {
            "lexical_vocabulary": np.array(self.vocabulary, dtype=str),
            "lexical_idf": self.idf,
            "lexical_weights": self.weights,
            "lexical_bias": self.bias,
        }

    @classmethod
    def from_arrays(cls, arrays: Any) -> LexicalView | None:
        if "lexical_vocabulary" not in arrays:
            return None
        return cls(
            tuple(str(term) for term in arrays["lexical_vocabulary"]),
            arrays["lexical_idf"],
            arrays["lexical_weights"],
            arrays["lexical_bias"],
        )


def fit_lexical(texts: Sequence[str], targets: npt.NDArray[np.int64], labels_count: int) -> LexicalView:
    """The view fitted on ``texts`` (every label must occur in ``targets``)."""
    # deferred: heavy (scikit-learn)
    from sklearn.linear_model import LogisticRegression

    vectorizer = _vectorizer()
    features = vectorizer.fit_transform(list(texts))
    model = LogisticRegression(C=C, max_iter=MAX_ITERATIONS).fit(features, targets)
    weights = np.zeros((labels_count, features.shape[1]), dtype=np.float32)
    bias = np.zeros(labels_count, dtype=np.float32)
    coef, intercept = model.coef_, model.intercept_
    if coef.shape[0] == 1:  # two labels: scikit-learn keeps one row
        coef, intercept = np.vstack([-coef[0] / 2, coef[0] / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    weights[model.classes_] = coef
    bias[model.classes_] = intercept
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    return LexicalView(tuple(vocabulary), vectorizer.idf_.astype(np.float32), weights, bias)
