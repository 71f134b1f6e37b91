"""People's names the small NER models miss, found after a courtesy title ("Ms Lindqvist"), a form label
("Name: Sofia Marchetti") or a phrase such as "my name is"; in a text without capitals, after "name:"."""

from __future__ import annotations

import re

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from ingest.redaction.names import (
    CAP,
    HAS_UPPER,
    NAME,
    TITLES,
    name_tokens,
    person_finding,
)

# Courtesy titles in any case ("ms. Quinzia"), but the one-letter French "M" only as written.
_TITLED = regex.compile(rf"\b(?:(?i:{'|'.join(t for t in TITLES if len(t) > 1)})|M)\.?[ \t]+(?P<name>{NAME})")
# Form labels and table headers after which capitalized words are a person's name.
_LABELS = (
    "Name|Full name|Contact|Attention of|attention of|Signed by|Signatory|Customer|Employee|Requester|"
    "Reported by|Assignee|On-call|Responders?|Owner|Author|Reviewer|Approver|Approved by|Prepared by|"
    "Written by|Manager|Incident commander|Nom|Prénom|Interlocuteur|Responsable|Demandeur|Signataire|"
    "Salariée?|Cliente?|Rédigé par|Approuvé par|Gestionnaire|(?i:directed by)|Produced by|Sent by|"
    "Beneficiary|Account holder|Cardholder|Patient|Tenant|Landlord|Witness|Bénéficiaire|Titulaire"
)
_INITIAL = r"\p{Lu}\.?"
_LABELLED = regex.compile(
    rf"\b(?:{_LABELS})[ \t]*[:|]?[ \t]+(?P<name>{CAP}(?:[ \t]+(?:{_INITIAL}[ \t]+)?{CAP}){{1,2}})"
)
# Phrases after which one or more capitalized words are a name: "My name is Rubija", "Dear Ms Lang".
_NAME_PHRASES = (
    "[Mm]y name is|[Nn]ame is|[Nn]ame's|[Mm]aiden name is|[Ll]ast name is|[Ff]irst name is|[Ii] am|[Ii]'m|"
    "[Nn]ame\\?|[Cc]all me|[Cc]alls me|[Cc]alled|[Nn]amed|[Dd]ear|[Hh]i|[Hh]ello|[Hh]ey|[Tt]hanks|[Rr]egards|"
    "[Ss]incerely|[Cc]heers|"
    "[Bb]onjour|[Cc]her|[Cc]hère|[Jj]e m'appelle|[Jj]e suis|[Cc]ordialement|[Ss]igned|[Ss]igné"
)
_PHRASED = regex.compile(
    rf"\b(?:{_NAME_PHRASES})[ \t]*[,:]?[ \t]+(?:(?:{'|'.join(TITLES)})\.?[ \t]+)?"
    rf"(?P<name>(?>{CAP}(?:[ \t]+(?:{_INITIAL}[ \t]+)?{CAP}){{0,2}}))"
    # "Hello Billing team": a name ends where the greeting does, not before a common noun; and a word
    # before a placeholder is what stood before a name ("Thanks, Contact <PERSON_1>"), not one.
    r"(?![ \t]+\p{Ll})(?![ \t]*<\p{Lu})"
)
# After "name:" or "name is" a form often holds the name in lower case: "name: hyuuma t. maida".
_LOWER_NAME = r"[a-zß-öø-ÿ][a-zß-öø-ÿ'’-]+"
_NAME_FIELD = re.compile(
    rf"\b(?i:name|full name|maiden name|last name|first name|nom|prénom)(?:[ \t]*:|[ \t]+is|\?)[ \t]*"
    rf"(?P<name>{_LOWER_NAME}(?:[ \t]+(?:[a-z]\.?[ \t]+)?{_LOWER_NAME}){{0,2}})[ \t]*(?:$|[\n.,;!?])",
    re.MULTILINE,
)


class ContextualNameRecognizer(LocalRecognizer):
    """Capitalized words after a courtesy title or a form label such as ``Name:`` or ``Contact:``."""

    def __init__(self, supported_language: str) -> None:
        self.recognizer_name = f"ContextualNameRecognizer_{supported_language}"
        super().__init__(
            supported_entities=["PERSON"], name=self.recognizer_name, supported_language=supported_language
        )

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: object = None) -> list[RecognizerResult]:
        results = []
        for pattern, score, weak in ((_TITLED, 0.7, False), (_LABELLED, 0.6, False), (_PHRASED, 0.6, True)):
            for match in pattern.finditer(text):
                if name_tokens(match.group("name")):
                    results.append(
                        person_finding(match.start("name"), match.end("name"), score, self.recognizer_name, weak)
                    )
        # Lower-case names only in lower-case texts: elsewhere "name: see below" is no name.
        if not HAS_UPPER.search(text):
            for match in _NAME_FIELD.finditer(text):
                if name_tokens(match.group("name")):
                    results.append(
                        person_finding(match.start("name"), match.end("name"), 0.6, self.recognizer_name, True)
                    )
        return results
