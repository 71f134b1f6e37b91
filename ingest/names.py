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
# Form labels and table headers after which capitalized words are a person's name.
_LABELS = (
    "Name|Full name|Contact|Attention of|attention of|Signed by|Signatory|Customer|Employee|Requester|"
    "Reported by|Assignee|On-call|Responders?|Owner|Author|Reviewer|Approver|Approved by|Prepared by|"
    "Written by|Manager|Incident commander|Nom|Prénom|Interlocuteur|Responsable|Demandeur|Signataire|"
    "Salariée?|Cliente?|Rédigé par|Approuvé par|Gestionnaire"
)
_LABELLED = re.compile(rf"\b(?:{_LABELS})[ \t]*[:|]?[ \t]+(?P<name>{_CAP}(?:[ \t]+{_CAP}){{1,2}})")
_EMAIL = re.compile(r"\b([A-Za-z][A-Za-z'-]+)[._]([A-Za-z][A-Za-z'-]+)@[\w.-]+\.[A-Za-z]{2,}\b")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_DETERMINER_BEFORE = re.compile(r"\b(?:the|The|le|Le|la|La|les|Les)\s+$")
_ADDRESS_LIKE = re.compile(r"\S*(?:@|://|www\.)\S*")


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


def _from_ner(result: RecognizerResult) -> bool:
    return str((result.recognition_metadata or {}).get("recognizer_name", "")).startswith("Spacy")


def lowercase_words(pages: Sequence[str]) -> set[str]:
    """Words the document also writes in lower case: common words, not names ("Leave" and "leave")."""
    # Addresses and links write names in lower case ("jane.doe@..."): they say nothing about words.
    prose = (_ADDRESS_LIKE.sub(" ", page) for page in pages)
    return {fold(word) for page in prose for word in _WORD.findall(page) if word.islower()}


def drop_common_word_names(
    pages: Sequence[str], findings: Sequence[list[RecognizerResult]], common: set[str]
) -> list[list[RecognizerResult]]:
    """Drop NER PERSON findings made only of words the document uses in lower case ("Annual Leave")."""
    kept: list[list[RecognizerResult]] = []
    for page, page_findings in zip(pages, findings, strict=True):
        page_kept = []
        for result in page_findings:
            tokens = name_tokens(page[result.start : result.end])
            if result.entity_type == "PERSON" and _from_ner(result):
                if all(token in common for token in tokens):
                    continue
                if len(tokens) == 1 and _DETERMINER_BEFORE.search(page, 0, result.start):
                    continue  # "the Provider", "le Prestataire": a defined term, not a person
            page_kept.append(result)
        kept.append(page_kept)
    return kept


def propagate_names(
    pages: Sequence[str],
    findings: Sequence[Sequence[RecognizerResult]],
    extra_tokens: Iterable[str] = (),
    common: set[str] | frozenset[str] = frozenset(),
) -> list[list[RecognizerResult]]:
    """Every capitalized occurrence of a known name word, on every page, as a PERSON finding.

    Words the document also uses in lower case are not spread. Adjacent name words ("Sofia"
    "Marchetti") are merged into one finding.
    """
    tokens = set(extra_tokens)
    for page, page_findings in zip(pages, findings, strict=True):
        for result in page_findings:
            if result.entity_type != "PERSON":
                continue
            words = name_tokens(page[result.start : result.end])
            # A lone capitalized word tagged by NER is too weak a signal to spread ("the Provider").
            if len(words) >= 2 or not _from_ner(result):
                tokens.update(words)
    tokens -= common
    if not tokens:
        return [[] for _ in pages]
    alternatives = "|".join(re.escape(t) for t in sorted(tokens, key=len, reverse=True))
    pattern = re.compile(rf"\b(?:{alternatives})\b")
    propagated: list[list[RecognizerResult]] = []
    for page in pages:
        spans: list[tuple[int, int]] = []
        for match in pattern.finditer(fold(page)):
            if not page[match.start()].isupper():
                continue
            if spans and page[spans[-1][1] : match.start()] in (" ", "\t"):
                spans[-1] = (spans[-1][0], match.end())
            else:
                spans.append((match.start(), match.end()))
        propagated.append([RecognizerResult("PERSON", start, end, 0.8) for start, end in spans])
    return propagated


def person_key(value: str) -> str:
    return " ".join(name_tokens(value)) or fold(value).strip()
