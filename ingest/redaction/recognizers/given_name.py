"""People's names found from the name lists: capitalized words that start with a known given name
("Tomomi Nishiyama"), end with a known family name, hold a middle initial ("Szabina J Gelencsér"), or
form a list of names ("Kónya, Becker and Vasquez"); a given name alone where the tagger says proper noun."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from ingest.redaction.names import (
    HAS_UPPER,
    LIST_WORD,
    NAME_LIST,
    PARTICLES,
    POSSESSIVE,
    common_words,
    family_names,
    fold,
    given_names,
    person_finding,
)

# Title-case words of one name: "Tomomi", "O'Neil", "Jean-Luc"; initials: "J", "J.".
_TITLE_WORD = r"\p{Lu}[\p{Ll}\p{M}][\p{Ll}\p{M}'’]*(?:[-'’]\p{Lu}?[\p{Ll}\p{M}'’]+)*"
_NAME_RUN = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}'’-])(?:{_TITLE_WORD}|\p{{Lu}}\.?)(?:[ \t]+(?:(?:{PARTICLES})[ \t]+)?"
    rf"(?:{_TITLE_WORD}|\p{{Lu}}\.?(?=[ \t])))*(?![\p{{L}}\p{{M}}])"
)
# "Ella: What a wife." A given name as a speaker's label at the start of a line.
_SPEAKER = regex.compile(r"[ \t]*:")
_LOWER_WORD = regex.compile(r"(?<![\p{L}\p{M}'’-])\p{Ll}[\p{Ll}\p{M}'’-]+|(?<![\p{L}])\p{Ll}\.?(?=[ \t])")
# A word of a name, without a possessive "'s": "O'Neil", "Jean-Luc", "J.".
_RUN_WORD = regex.compile(r"[\p{L}\p{M}][\p{L}\p{M}-]*(?:['’](?!s\b)[\p{L}\p{M}]+)*\.?")


def _after_possessives(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The parts of a run of capitalized words after each possessive: "Bridgewater's Parker Suknović"
    holds the name "Parker Suknović", which the whole run, cut at the possessive later, would lose."""
    possessives = list(_RUN_POSSESSIVE.finditer(text, start, end))
    ends = [p.start() for p in possessives[1:]] + [end] if possessives else []
    return [(p.end(), e) for p, e in zip(possessives, ends, strict=True) if p.end() < e]


_RUN_POSSESSIVE = regex.compile(r"['’]s[ \t]+")
_INITIAL_WORD = regex.compile(r"\p{Lu}\.?")


class GivenNameRecognizer(LocalRecognizer):
    """Capitalized words that start with a given name ("Tomomi Nishiyama") or hold a middle initial
    ("Szabina J Gelencsér"); a given name alone when the tagger calls it a proper noun ("Why is Rebecca").

    ``vocabulary`` holds common words of the language (verbs, adjectives, adverbs): a given name that
    is also one of them ("Will", "Grace", "Hope") counts only inside a longer name.
    """

    def __init__(self, supported_language: str, vocabulary: frozenset[str] = frozenset()) -> None:
        self.recognizer_name = f"GivenNameRecognizer_{supported_language}"
        super().__init__(
            supported_entities=["PERSON"], name=self.recognizer_name, supported_language=supported_language
        )
        self._vocabulary = vocabulary

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        proper = _proper_noun_starts(nlp_artifacts)
        places = _place_spans(nlp_artifacts)
        return [
            person_finding(start, end, 0.6, self.recognizer_name, True)
            for start, end in self.find(text, proper, places)
        ]

    def find(
        self, text: str, proper: set[int] | None = None, places: Sequence[tuple[int, int, str]] = ()
    ) -> list[tuple[int, int]]:
        if not HAS_UPPER.search(text):
            return self._find_lower_case(text)
        spans = self._listed_names(text, places)
        for run in _NAME_RUN.finditer(text):
            possessives = _after_possessives(text, run.start(), run.end())
            for start, end in [(run.start(), run.end()), *possessives]:
                span = self._name_in_run(text, start, end, proper, places)
                if span is not None:
                    # Cut at the possessive here: Presidio drops a finding inside a longer one.
                    cut = POSSESSIVE.search(text, span[0], span[1])
                    spans.append((span[0], cut.start()) if cut else span)
        return spans

    def _common(self, word: str) -> bool:
        folded = fold(word.rstrip("."))
        return folded in common_words() or folded in self._vocabulary

    def _name_in_run(
        self,
        text: str,
        start: int,
        end: int,
        proper: set[int] | None,
        places: Sequence[tuple[int, int, str]],
    ) -> tuple[int, int] | None:
        words = [(m.start() + start, m.end() + start) for m in _RUN_WORD.finditer(text[start:end])]
        # Leading greeting or common words are not part of the name: "Dear Maria Lopez".
        while words and fold(text[words[0][0] : words[0][1]].rstrip(".")) in common_words():
            words.pop(0)
        if not words:
            return None
        first = fold(text[words[0][0] : words[0][1]])
        last = fold(text[words[-1][0] : words[-1][1]])
        given = first in given_names() and first not in self._vocabulary
        # A given name that NER calls a place is one: "Paris", "Florence", "San Francisco".
        given = given and not _inside(words[0][0], words[-1][1], places, {"GPE", "LOC"})
        if len(words) >= 2:
            initial = any(w[1] - w[0] <= 2 for w in words[1:-1])
            # "Esat Joly": a family name after a capitalized word, unless NER calls it a place ("New York").
            family = last in family_names() and not self._common(text[words[0][0] : words[0][1]])
            family = family and not _inside(words[0][0], words[-1][1], places, _PLACE_LABELS)
            if given or family or (initial and not self._common(text[words[0][0] : words[0][1]])):
                return words[0][0], words[-1][1]
            # "Vide A. Persson": a given name that is also a word of the language, then a middle initial.
            middle = text[words[1][0] : words[1][1]] if len(words) == 3 else ""
            if _INITIAL_WORD.fullmatch(middle) and first in given_names() and not self._common(last):
                return words[0][0], words[-1][1]
            return None
        line_start = words[0][0] == 0 or text[words[0][0] - 1] == "\n"
        speaker = line_start and _SPEAKER.match(text, words[0][1]) is not None
        tagged_proper = proper is None or words[0][0] in proper
        # "in Paris", "the courts of London": one word after such a preposition is a place.
        window = (max(0, words[0][0] - 80), words[0][0])
        if given and len(first) > 2 and (tagged_proper or speaker) and not _PLACES_BEFORE.search(text, *window):
            return words[0]
        # A family name alone ("ex-Zombie Kastner"), when the tagger says proper noun and NER no place.
        family = last in family_names() and not self._common(text[words[0][0] : words[0][1]])
        family = family and not _OF_PLACE_BEFORE.search(text, *window) and not _PLACES_BEFORE.search(text, *window)
        if family and tagged_proper and not _inside(words[0][0], words[0][1], places, _PLACE_LABELS):
            return words[0]
        return None

    def _listed_names(self, text: str, places: Sequence[tuple[int, int, str]]) -> list[tuple[int, int]]:
        """Every member of a list of single names at least half of which are known names:
        "Kónya, Becker and Vasquez"; none where NER sees a place ("Paris and London")."""
        spans: list[tuple[int, int]] = []
        for match in NAME_LIST.finditer(text):
            items = [(match.start() + m.start(), match.start() + m.end()) for m in LIST_WORD.finditer(match.group())]
            words = [fold(text[s:e]) for s, e in items]
            if any(w in common_words() or w in self._vocabulary for w in words):
                continue
            known = sum(w in given_names() or w in family_names() for w in words)
            if known * 2 < len(words) or any(_inside(s, e, places, _PLACE_LABELS) for s, e in items):
                continue
            if _LOCATIVE_BEFORE.search(text, max(0, match.start() - 12), match.start()):
                continue  # "In London, Paris and Zurich": places
            spans.extend(items)
        return spans

    def _find_lower_case(self, text: str) -> list[tuple[int, int]]:
        """In a text without capitals: the words after "my name is" or "call me" up to a common word,
        and a given name with the family name and initial after it."""
        words = list(_LOWER_WORD.finditer(text))
        spans = self._after_phrases(text)
        index = 0
        while index < len(words):
            word = words[index].group()
            if fold(word) not in given_names() or self._common(word) or len(word) < 3:
                index += 1
                continue
            end = index
            # Followed on the same line by an initial and a word that is no common word: its family name.
            for follower in words[index + 1 : index + 3]:
                gap = text[words[end].end() : follower.start()]
                if gap.strip(" \t") or (self._common(follower.group()) and len(follower.group().rstrip(".")) > 1):
                    break
                end += 1
                if len(follower.group().rstrip(".")) > 1:
                    break
            if len(words[end].group().rstrip(".")) == 1:
                end -= 1  # a trailing lone letter is no initial: "eva a"
            spans.append((words[index].start(), words[end].end()))
            index = end + 1
        return spans

    def _after_phrases(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for phrase in _LOWER_PHRASE.finditer(text):
            taken: list[regex.Match[str]] = []
            for word in _LOWER_WORD.finditer(text, phrase.end()):
                gap = text[(taken[-1].end() if taken else phrase.end()) : word.start()]
                if gap.strip(" \t") or len(taken) == 3:
                    break
                if len(word.group().rstrip(".")) > 1 and self._common(word.group()):
                    break
                taken.append(word)
            if taken:
                spans.append((taken[0].start(), taken[-1].end()))
        return spans


# Lower-case phrases that announce a name: "my name is borna", "everyone calls me borna".
_LOWER_PHRASE = regex.compile(
    r"\b(?:(?:my|his|her|maiden|last|first|full)\s+name(?:\s+is|\s*:)|call(?:s|ed)?\s+me|named|i\s+am|i'm)\s+"
)


def _place_spans(nlp_artifacts: Any) -> list[tuple[int, int, str]]:
    """Character spans and labels of what NER calls places or organizations.

    Presidio renames GPE, LOC and ORG (LOCATION, ORGANIZATION) before recognizers see its artifacts, so of
    these labels only FAC (buildings, roads: "Lovers Lane") arrives. Admitting the renamed ones too let 9 more
    name tokens leak on the development set and kept no word from being redacted, so they stay out.
    """
    entities = getattr(nlp_artifacts, "entities", None) or []
    return [(e.start_char, e.end_char, e.label_) for e in entities if e.label_ in {"GPE", "LOC", "ORG", "FAC"}]


_LOCATIVE_BEFORE = regex.compile(r"\b(?i:in|at|near|across|via|à|en|dans|vers|depuis)[ \t]+$")
# "in London, Paris and Zurich": a preposition of place, then maybe other members of the same list.
_PLACES_BEFORE = regex.compile(
    r"\b(?i:in|at|near|across|via|of|à|en|dans|vers|de)[ \t]+"
    r"(?:\p{Lu}[\p{L}\p{M}'’-]*,?[ \t]+(?:(?i:and|et|or|ou)[ \t]+)?){0,4}$"
)
_OF_PLACE_BEFORE = regex.compile(r"\b(?i:in|at|near|across|via|of|from|to|à|en|dans|vers|depuis|de)[ \t]+$")
_PLACE_LABELS = frozenset({"GPE", "LOC", "ORG", "FAC"})


def _inside(start: int, end: int, spans: Sequence[tuple[int, int, str]], labels: Iterable[str]) -> bool:
    wanted = set(labels)
    return any(s <= start and end <= e and label in wanted for s, e, label in spans)


def _proper_noun_starts(nlp_artifacts: Any) -> set[int] | None:
    """Start offsets of the tokens the tagger calls proper nouns; None without a tagger."""
    doc = getattr(nlp_artifacts, "tokens", None)
    if doc is None:
        return None
    return {token.idx for token in doc if token.pos_ == "PROPN"}
