"""Support tickets: classification against the caller's labels, and short summaries."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.answer import validate_text
from rag.claims import values
from rag.errors import ConfigurationError, InvalidInputError
from rag.label_sets import validate_set_labels
from rag.label_training import LabelSetService
from rag.prompts import classify_prompt, summary_prompt
from rag.protocols import Generator
from rag.sentences import SentenceSplitter
from rag.ticket_classifier import LinearModel, zero_shot_model

MAX_LABELS = 50  # ad-hoc labels, and labels the language model chooses among
MAX_SCORES = 50  # scores returned per ticket, best first (a label set may hold 1,000 labels)
_WORDS = re.compile(r"\S+")


@dataclass(frozen=True)
class Classification:
    label: str | None  # None: below the caller's minimum confidence, for a human to decide
    labels: list[str]  # with multi_label: every label above the uniform share (and the minimum), best first
    scores: dict[str, float]  # calibrated probabilities, best first
    confidence: float  # the best label's score
    model_label: str | None = None  # with rerank_with_llm: the language model's own preference

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "labels": self.labels, "confidence": self.confidence, "scores": self.scores}


@dataclass(frozen=True)
class Summary:
    summary: str
    # Sentences of the model's summary dropped because they state a number or placeholder the ticket does not.
    removed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClassifyOptions:
    """How to classify: against ad-hoc ``labels`` or a stored ``labelset`` (exactly one of them)."""

    labels: Sequence[str] | None = None
    labelset: str | None = None
    descriptions: dict[str, str] | None = None
    multi_label: bool = False
    min_confidence: float = 0.0
    rerank_with_llm: bool = False


def validate_labels(labels: Sequence[str]) -> list[str]:
    """Ad-hoc labels: as a label set's, but at most ``MAX_LABELS`` (the language model may be asked to choose)."""
    return validate_set_labels(labels, None, MAX_LABELS)


class TicketService:
    """Tickets are redacted first (by the label sets' redactor); only the redacted text reaches the embedder
    and the model.

    A label's score is a calibrated probability from a linear model over the ticket's embedding
    (rag/ticket_classifier.py): a label set's trained model, or zero-shot from the labels' names and
    descriptions. Only with ``rerank_with_llm`` does the language model add its own probability of each
    label (read from its next-token distribution, or its choice under a grammar where labels share a first
    token), weighted by ``model_weight``: a hundred times slower, and not measured to help.
    """

    def __init__(
        self,
        *,
        generator: Generator | None,
        label_sets: LabelSetService,
        model_weight: float = 0.2,
        max_text_chars: int = 20_000,
    ) -> None:
        self._redactor = label_sets.redactor
        self._generator = generator
        self.label_sets = label_sets
        self._model_weight = model_weight
        self._max_text_chars = max_text_chars
        self._splitter = SentenceSplitter()

    def prompt_prefixes(self) -> list[str]:
        """The fixed starts of the classification and summary prompts."""
        prompts = (classify_prompt("", ["label"]), summary_prompt(""))
        return [prompt.prefix for prompt in prompts if prompt.prefix]

    def classify(self, text: str, options: ClassifyOptions) -> Classification:
        return self.classify_many([text], options)[0]

    def classify_many(self, texts: Sequence[str], options: ClassifyOptions) -> list[Classification]:
        """Classify tickets in one batch: redacted together, embedded together, scored by one model."""
        if not 0.0 <= options.min_confidence <= 1.0:
            raise InvalidInputError("min_confidence must be between 0 and 1")
        choices, model = self._model(options)
        cleaned = [validate_text(text, "text", self._max_text_chars) for text in texts]
        if not cleaned:
            return []
        redacted = [pages[0].text for pages in self.label_sets.redact_all(cleaned)]
        probabilities = model.probabilities(self.label_sets.embed(redacted), redacted)
        results = []
        for text, row in zip(redacted, probabilities, strict=True):
            scores = {label: float(row[i]) for i, label in enumerate(choices)}
            model_label = None
            if options.rerank_with_llm:
                model_scores = self._model_scores(text, choices)
                model_label = max(model_scores, key=lambda label: model_scores[label])
                weight = self._model_weight
                scores = {label: (1 - weight) * scores[label] + weight * model_scores[label] for label in choices}
            results.append(_decide(choices, scores, options, model_label))
        return results

    def _model(self, options: ClassifyOptions) -> tuple[list[str], LinearModel]:
        if (options.labels is None) == (options.labelset is None):
            raise InvalidInputError("give either labels or a label set")
        if options.labelset is not None:
            if options.descriptions:
                raise InvalidInputError("descriptions belong to the label set; do not send them with it")
            label_set, model = self.label_sets.model(options.labelset)
            if options.rerank_with_llm and len(label_set.labels) > MAX_LABELS:
                raise InvalidInputError(f"the language model can choose among at most {MAX_LABELS} labels")
            return label_set.labels, model
        choices = validate_labels(options.labels or [])
        unknown = set(options.descriptions or {}) - set(choices)
        if unknown:
            raise InvalidInputError(f"descriptions given for labels not in the list: {sorted(unknown)}")
        return choices, zero_shot_model(choices, self.label_sets.label_vectors(choices, options.descriptions))

    def _language_model(self) -> Generator:
        if self._generator is None:
            raise ConfigurationError("this ticket service was built without the language model")
        return self._generator

    def _model_scores(self, redacted: str, choices: list[str]) -> dict[str, float]:
        prompt = classify_prompt(redacted, choices)
        model_scores = self._language_model().choice_probabilities(prompt.text, choices, prefix=prompt.prefix)
        if model_scores is None:
            # Labels the model cannot tell apart by their first token: let it pick one under a grammar.
            chosen = (
                self._language_model()
                .complete(
                    prompt.text,
                    max_tokens=32,
                    stop=prompt.stop,
                    prefix=prompt.prefix,
                    choices=[f" {c}" for c in choices],
                )
                .text.strip()
            )
            model_scores = {label: float(label == chosen) for label in choices}
        return model_scores

    def summarize(self, text: str, max_words: int = 60) -> Summary:
        if not 5 <= max_words <= 300:
            raise InvalidInputError("max_words must be between 5 and 300")
        redacted = self._redactor.redact(validate_text(text, "text", self._max_text_chars)).text
        prompt = summary_prompt(redacted)
        completion = self._language_model().complete(
            prompt.text, max_tokens=max_words * 2 + 16, stop=prompt.stop, prefix=prompt.prefix
        )
        words = _WORDS.findall(completion.text)
        summary = " ".join(words[:max_words])
        # Checked like answers: a sentence stating a number or placeholder the ticket does not hold is dropped.
        held = values(redacted)
        kept: list[str] = []
        removed: list[str] = []
        for sentence in (summary[start:end] for start, end in self._splitter.spans(summary)):
            (removed if values(sentence) - held else kept).append(sentence)
        # The model sees only redacted text, but may still invent a name: guard its output too.
        checked = " ".join(kept)
        return Summary(summary=self._redactor.redact(checked).text if checked else "", removed=removed)


def _decide(
    choices: list[str], scores: dict[str, float], options: ClassifyOptions, model_label: str | None
) -> Classification:
    ranked = sorted(choices, key=lambda label: scores[label], reverse=True)
    confidence = scores[ranked[0]]
    if options.multi_label:
        floor = max(1 / len(choices), options.min_confidence)
        above = [label for label in ranked if scores[label] >= floor] or ranked[:1]
    else:
        above = ranked[:1]
    accepted = confidence >= options.min_confidence
    return Classification(
        label=ranked[0] if accepted else None,
        labels=[label for label in above if scores[label] >= options.min_confidence] if accepted else [],
        scores={label: round(scores[label], 4) for label in ranked[:MAX_SCORES]},
        confidence=round(confidence, 4),
        model_label=model_label,
    )
