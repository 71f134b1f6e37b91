"""Support tickets: classification against the caller's labels, and short summaries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rag.answer import validate_text
from rag.errors import InvalidInputError
from rag.label_descriptions import describe
from rag.prompts import classify_prompt, summary_prompt
from rag.protocols import Embedder, Generator, Redactor

MAX_LABELS = 50
MAX_LABEL_CHARS = 100
_WORDS = re.compile(r"\S+")


@dataclass(frozen=True)
class Classification:
    label: str
    labels: list[str]  # with multi_label: every label above the uniform share, best first
    scores: dict[str, float]
    model_label: str  # the language model's own preference


@dataclass(frozen=True)
class Summary:
    summary: str


def validate_labels(labels: Sequence[str]) -> list[str]:
    cleaned = [label.strip() for label in labels]
    if not 2 <= len(cleaned) <= MAX_LABELS:
        raise InvalidInputError(f"give between 2 and {MAX_LABELS} labels, not {len(cleaned)}")
    # Printable only: a control character in a label crashed llama.cpp's grammar sampler (found by fuzzing).
    if any(not label or len(label) > MAX_LABEL_CHARS or not label.isprintable() for label in cleaned):
        raise InvalidInputError(
            f"labels must be non-empty lines of printable text of at most {MAX_LABEL_CHARS} characters"
        )
    if len(set(cleaned)) != len(cleaned):
        raise InvalidInputError("labels must be distinct")
    return cleaned


class TicketService:
    """Tickets are redacted first; only the redacted text reaches the embedder and the model.

    A label's score mixes embedding similarity between the ticket and the label's description (softmax
    over the labels) with the language model's probability of answering that label, read from its
    next-token distribution (or, where labels share a first token, its choice under a grammar).
    """

    def __init__(
        self,
        *,
        redactor: Redactor,
        embedder: Embedder,
        generator: Generator,
        model_weight: float = 0.2,
        max_text_chars: int = 20_000,
    ) -> None:
        self._redactor = redactor
        self._embedder = embedder
        self._generator = generator
        self._model_weight = model_weight
        self._max_text_chars = max_text_chars

    def prompt_prefixes(self) -> list[str]:
        """The fixed starts of the classification and summary prompts."""
        prompts = (classify_prompt("", ["label"]), summary_prompt(""))
        return [prompt.prefix for prompt in prompts if prompt.prefix]

    def classify(
        self,
        text: str,
        labels: Sequence[str],
        multi_label: bool = False,
        descriptions: dict[str, str] | None = None,
    ) -> Classification:
        choices = validate_labels(labels)
        unknown = set(descriptions or {}) - set(choices)
        if unknown:
            raise InvalidInputError(f"descriptions given for labels not in the list: {sorted(unknown)}")
        redacted = self._redactor.redact(validate_text(text, "text", self._max_text_chars)).text
        vectors = self._embedder.embed([redacted, *(describe(label, descriptions) for label in choices)])
        similarities = vectors[1:] @ vectors[0]
        # MiniLM cosines sit in a narrow band; a low temperature turns them into a usable distribution.
        weights = np.exp((similarities - similarities.max()) / 0.05)
        embedding_scores = weights / weights.sum()
        prompt = classify_prompt(redacted, choices)
        model_scores = self._generator.choice_probabilities(prompt.text, choices, prefix=prompt.prefix)
        if model_scores is None:
            # Labels the model cannot tell apart by their first token: let it pick one under a grammar.
            chosen = self._generator.complete(
                prompt.text, max_tokens=32, stop=prompt.stop, prefix=prompt.prefix, choices=[f" {c}" for c in choices]
            ).text.strip()
            model_scores = {label: float(label == chosen) for label in choices}
        scores = {
            label: float((1 - self._model_weight) * embedding_scores[i] + self._model_weight * model_scores[label])
            for i, label in enumerate(choices)
        }
        ranked = sorted(choices, key=lambda label: scores[label], reverse=True)
        above = [label for label in ranked if scores[label] >= 1 / len(choices)] if multi_label else ranked[:1]
        return Classification(
            label=ranked[0],
            labels=above or ranked[:1],
            scores={label: round(scores[label], 4) for label in ranked},
            model_label=max(model_scores, key=lambda label: model_scores[label]),
        )

    def summarize(self, text: str, max_words: int = 60) -> Summary:
        if not 5 <= max_words <= 300:
            raise InvalidInputError("max_words must be between 5 and 300")
        redacted = self._redactor.redact(validate_text(text, "text", self._max_text_chars)).text
        prompt = summary_prompt(redacted)
        completion = self._generator.complete(
            prompt.text, max_tokens=max_words * 2 + 16, stop=prompt.stop, prefix=prompt.prefix
        )
        words = _WORDS.findall(completion.text)
        summary = " ".join(words[:max_words])
        # The model sees only redacted text, but may still invent a name: guard its output too.
        return Summary(summary=self._redactor.redact(summary).text if summary else "")
