"""Finding people's names that the small NER models miss, and naming them consistently.

Three generalizing signals beyond spaCy's NER: a courtesy title or a form label before capitalized
words ("Ms Lindqvist", "Name: Sofia Marchetti"), the first.last local part of an e-mail address,
and propagation: once a name is found anywhere in a document, its other occurrences are found too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache

from presidio_analyzer import LocalRecognizer, RecognizerResult

_CAP = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ'’-]+"
_NAME = rf"{_CAP}(?:[ \t]+(?:(?:de|du|van|von|der|le|la|di|da)[ \t]+)?{_CAP}){{0,2}}"
TITLES = (
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Dr",
    "Prof",
    "Sir",
    "Dame",
    "Madam",
    "M",
    "Mme",
    "Mmes",
    "Mlle",
    "Me",
    "Maître",
    "Docteur",
    "Monsieur",
    "Madame",
    "Mademoiselle",
    "Pr",
)
_TITLED = re.compile(rf"\b(?:{'|'.join(TITLES)})\.?[ \t]+(?P<name>{_NAME})")
_LABELS = (
    "Name",
    "Full name",
    "Contact",
    "Attention of",
    "attention of",
    "Signed by",
    "Signatory",
    "Customer",
    "Employee",
    "Requester",
    "Reported by",
    "Assignee",
    "On-call",
    "Nom",
    "Prénom",
    "Interlocuteur",
    "Responsable",
    "Demandeur",
    "Signataire",
    "Salarié",
    "Salariée",
    "Client",
    "Cliente",
)
_LABELLED = re.compile(rf"\b(?:{'|'.join(_LABELS)})\s*:?[ \t]+(?P<name>{_CAP}(?:[ \t]+{_CAP}){{1,2}})")
_EMAIL = re.compile(r"\b([A-Za-z][A-Za-z'-]+)[._]([A-Za-z][A-Za-z'-]+)@[\w.-]+\.[A-Za-z]{2,}\b")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so offsets in the folded text hold."""
    return "".join(unicodedata.normalize("NFKD", ch)[:1] or ch for ch in text).lower()


@cache
def _common_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    return frozenset(fold(w) for w in (*EN, *FR, *TITLES))


def name_tokens(value: str) -> list[str]:
    """The words of a name that identify the person: titles, particles and common words dropped."""
    return [fold(w) for w in _WORD.findall(value) if len(w) > 1 and fold(w) not in _common_words()]


class ContextualNameRecognizer(LocalRecognizer):
    """Capitalized words after a courtesy title or a form label such as ``Name:`` or ``Contact:``."""

    def __init__(self, supported_language: str) -> None:
        super().__init__(
            supported_entities=["PERSON"],
            name=f"ContextualNameRecognizer_{supported_language}",
            supported_language=supported_language,
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        results = []
        for pattern, score in ((_TITLED, 0.7), (_LABELLED, 0.6)):
            for match in pattern.finditer(text):
                if name_tokens(match.group("name")):
                    results.append(RecognizerResult("PERSON", match.start("name"), match.end("name"), score))
        return results


def email_name_tokens(text: str) -> set[str]:
    """Name words from ``first.last@domain`` addresses; role boxes (billing@) have one part and give none."""
    tokens: set[str] = set()
    for match in _EMAIL.finditer(text):
        parts = [fold(match.group(1)), fold(match.group(2))]
        if all(len(part) > 1 and part not in _common_words() for part in parts):
            tokens.update(parts)
    return tokens


def propagate_names(
    pages: Sequence[str], findings: Sequence[Sequence[RecognizerResult]], extra_tokens: Iterable[str] = ()
) -> list[list[RecognizerResult]]:
    """Every capitalized occurrence of a known name word, on every page, as a PERSON finding.

    Adjacent name words ("Sofia" "Marchetti") are merged into one finding.
    """
    tokens = set(extra_tokens)
    for page, page_findings in zip(pages, findings, strict=True):
        for result in page_findings:
            if result.entity_type == "PERSON":
                tokens.update(name_tokens(page[result.start : result.end]))
    if not tokens:
        return [[] for _ in pages]
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True)) + r")\b")
    propagated: list[list[RecognizerResult]] = []
    for page in pages:
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(fold(page)):
            if not page[match.start()].isupper():
                continue  # "mark" the verb is not "Mark" the person
            if spans and not page[spans[-1][1] : match.start()].strip():
                spans[-1] = (spans[-1][0], match.end())
            else:
                spans.append((match.start(), match.end()))
        propagated.append([RecognizerResult("PERSON", start, end, 0.8) for start, end in spans])
    return propagated


def person_key(value: str) -> str:
    return " ".join(name_tokens(value)) or fold(value).strip()
