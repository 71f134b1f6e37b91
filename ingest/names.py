"""Finding people's names that the small NER models miss, and naming them consistently.

Signals beyond spaCy's NER, which the small models need (they call "Scott" an organization and
"Rebecca" a place): a courtesy title, a form label or a phrase such as "my name is" before the name
("Ms Lindqvist", "Name: Sofia Marchetti"); capitalized words that start with a known given name or
carry a middle initial ("Tomomi Nishiyama", "Szabina J Gelencsér"); the first.last local part of an
e-mail address; NER spans widened over the name words next to them ("Ubul" before "Csonka"); and
propagation: once a name is found anywhere in a document, its other occurrences are found too.

Given names come from the person providers of Faker (MIT licence; 86 locales, about 30,000 names from
public name-frequency lists): a general list of names people have, not of the names in any data set.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

# A capitalized word, hyphenated or with an apostrophe: "Jean-Luc", "O'Neil", "Smith-Jones" (never ending in "-").
_CAP = (
    r"\p{Lu}[\p{Ll}\p{M}'’]+(?:[-'’]\p{Lu}?[\p{Ll}\p{M}'’]+"
    # A capital inside a name only after the prefixes of family names: "McAlvey", "LeBatelier", not "PayPal".
    r"|(?<=(?<!\p{L})(?:Mc|Mac|Le|La|De|Di|Da|Du|Van|Von|Fitz))\p{Lu}[\p{Ll}\p{M}'’]+)*"
)
_PARTICLES = "de|du|van|von|der|den|ten|ter|le|la|di|da|dos|del|della|bin|ibn|al"
_NAME = rf"{_CAP}(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+)?{_CAP}){{0,2}}"
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
# Courtesy titles in any case ("ms. Quinzia"), but the one-letter French "M" only as written.
_TITLED = regex.compile(rf"\b(?:(?i:{'|'.join(t for t in TITLES if len(t) > 1)})|M)\.?[ \t]+(?P<name>{_NAME})")
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
    rf"\b(?:{_LABELS})[ \t]*[:|]?[ \t]+(?P<name>{_CAP}(?:[ \t]+(?:{_INITIAL}[ \t]+)?{_CAP}){{1,2}})"
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
    rf"(?P<name>(?>{_CAP}(?:[ \t]+(?:{_INITIAL}[ \t]+)?{_CAP}){{0,2}}))"
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
_EMAIL = re.compile(r"\b([A-Za-z][A-Za-z'-]+)[._]([A-Za-z][A-Za-z'-]+)@[\w.-]+\.[A-Za-z]{2,}\b")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
# Who a letter or a ticket greets when it greets no one in particular: "Dear Customer", "Hi team".
_ADDRESSEES = (  # noqa: SIM905  (one string reads better than a column of sixty words)
    "customer customers client clients team all everyone everybody colleagues friends friend support user users "
    "sir madam there world folks guys partner partners member members service admin dear hi hello hey thanks "
    "regards équipe collègues monsieur madame messieurs mesdames tous bonjour cher chère desk helpdesk department "
    "office"
).split()
# Months and days are capitalized in English and look like given names ("January", "June", "August").
_CALENDAR = (  # noqa: SIM905
    "january february march april may june july august september october november december monday tuesday "
    "wednesday thursday friday saturday sunday janvier février mars avril mai juin juillet août septembre "
    "octobre novembre décembre lundi mardi mercredi jeudi vendredi samedi dimanche"
).split()
_DETERMINER_BEFORE = re.compile(r"\b(?:the|The|le|Le|la|La|les|Les)\s+$")
_ADDRESS_LIKE = re.compile(r"\S*(?:@|://|www\.)\S*")


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so offsets in the folded text hold."""
    return "".join(unicodedata.normalize("NFKD", ch)[:1] or ch for ch in text).lower()


@cache
def _common_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS as EN
    from spacy.lang.fr.stop_words import STOP_WORDS as FR

    return frozenset(fold(w) for w in (*EN, *FR, *TITLES, *_ADDRESSEES, *_CALENDAR))


def name_tokens(value: str) -> list[str]:
    """The words of a name that identify the person: titles, particles and common words dropped."""
    return [fold(w) for w in _WORD.findall(value) if len(w) > 1 and fold(w) not in _common_words()]


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
                    results.append(_person(match.start("name"), match.end("name"), score, self.recognizer_name, weak))
        # Lower-case names only in lower-case texts: elsewhere "name: see below" is no name.
        if not _HAS_UPPER.search(text):
            for match in _NAME_FIELD.finditer(text):
                if name_tokens(match.group("name")):
                    results.append(_person(match.start("name"), match.end("name"), 0.6, self.recognizer_name, True))
        return results


_HAS_UPPER = regex.compile(r"\p{Lu}")


def _person(start: int, end: int, score: float, recognizer: str, weak: bool) -> RecognizerResult:
    """A PERSON finding; ``weak`` ones are dropped when the document writes their words in lower case."""
    metadata = {"recognizer_name": recognizer, "weak": weak}
    return RecognizerResult("PERSON", start, end, score, recognition_metadata=metadata)


# --- Names by what is said of them ------------------------------------------------------------

# One to three title-case words ("Ogasahara", "Irena Bílá", "LeBatelier", "Willemine ten Pas").
_CUE_WORD = r"\p{Lu}\p{Ll}[\p{L}\p{M}'’-]*"
_CUE_NAME = rf"(?P<name>{_CUE_WORD}(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+)?(?:\p{{Lu}}\.[ \t]+)?{_CUE_WORD}){{0,2}})"
_KIN = (
    "kid|kids|son|daughter|child|wife|husband|partner|spouse|fianc[ée]e?|mother|mom|mum|father|dad|brother|sister|"
    "cousin|uncle|aunt|nephew|niece|grandson|granddaughter|grandmother|grandfather|grandma|grandpa|boss|"
    "colleague|coworker|co-worker|friend|neighbou?r|roommate|tenant|landlord|patient|client|lawyer|doctor"
)
_SPEECH = "said|says|shouted|shouts|yelled|asked|asks|told|tells|replied|whispered|screamed|cried|waved|smiled|nodded"
_PERSON_VERBS = (
    "lives|lived|is from|was from|comes from|came from|was born|were born|is married|got married|married|died|"
    "passed away|began writing|started writing|began his|began her|shouted|said|asked|replied|told|whispered|yelled|"
    "works at|works for|worked at|worked for|is employed|was employed|had given|has given|gave his|gave her|"
    "is very|was very|has been under"
)
# English and French turns of phrase that only a person fills: "my kid Tadzio", "Tadzio's daughter",
# "said Gladys to Logan", "Ogasahara lives on", "Warrane, can I", a speaker's label at a line's start.
_KIN_FR = (
    "fils|fille|enfant|mari|femme|épouse|époux|mère|père|frère|sœur|soeur|cousine?|oncle|tante|collègue|ami|amie|"
    "voisine?|patron|patronne"
)
_ROLES = "beneficiary|co-signer|cosigner|dependent|dependant|guarantor|emergency contact|next of kin|witness"
_CUES = {
    "en": [
        regex.compile(rf"\b(?i:my|his|her|our|their|your)[ \t]+(?i:{_KIN})[ \t]+{_CUE_NAME}"),
        regex.compile(rf"\b(?:{_SPEECH})[ \t]+(?:(?:at|to)[ \t]+)?{_CUE_NAME}"),
        # "said Gladys to Logan": the one spoken to.
        regex.compile(rf"\b(?:{_SPEECH})[ \t]+{_CUE_WORD}[ \t]+(?:at|to)[ \t]+{_CUE_NAME}"),
        regex.compile(rf"\b(?:him|her|me|them|us)[ \t]+and[ \t]+{_CUE_NAME}"),
        regex.compile(
            rf"{_CUE_NAME}['’]s[ \t]+(?i:{_KIN}|kids|children|family|parents|killers?|murderer|funeral|wedding)\b"
        ),
        regex.compile(rf"{_CUE_NAME}[ \t]+(?:{_PERSON_VERBS})\b"),
        regex.compile(rf"{_CUE_NAME}[ \t]+as[ \t]+(?:(?:a|an|my|the)[ \t]+)?(?i:{_ROLES})\b"),
        regex.compile(
            rf"(?m:^|(?<=[.!?][ \t]))[ \t]*{_CUE_NAME},[ \t]+(?:can|could|would|will|please|do|did|are|have)\b"
        ),
        # "ex-Zombie Ogasahara": a former member of a band or a team.
        regex.compile(rf"(?<![\p{{L}}\p{{M}}-])(?i:ex)-\p{{Lu}}[\p{{L}}\p{{M}}]*[ \t]+{_CUE_NAME}"),
        # "than early Vassiliev?": a period of someone's work, the name ending the clause.
        regex.compile(rf"\b(?i:early|late)[ \t]+{_CUE_NAME}(?=[ \t]*(?:[?!.,;:)]|$))"),
        # "Yuito Hirai of Reed Elsevier": two or three unknown words, then where they work. One word is
        # too little ("Acme of Boston"), and the words must be no word of the language ("Bank of Canada").
        regex.compile(rf"(?P<name>{_CUE_WORD}(?:[ \t]+(?:\p{{Lu}}\.[ \t]+)?{_CUE_WORD}){{1,2}})[ \t]+of[ \t]+\p{{Lu}}"),
    ],
    "fr": [
        regex.compile(rf"\b(?i:mon|ma|mes|son|sa|ses|notre|votre|leur)[ \t]+(?i:{_KIN_FR})[ \t]+{_CUE_NAME}"),
        regex.compile(
            rf"{_CUE_NAME}[ \t]+(?:habite|habitait|vit|vivait|est née?|travaille|travaillait|a dit|a répondu)\b"
        ),
    ],
}
# The author of a work: "the Ruoho novel" (where a determiner does not make the word a defined term).
_WORKS = "novel|novels|novella|memoir|memoirs|biography|autobiography|poem|poems|trilogy|sonnet|symphony|concerto"
_WORK_CUES = {"en": [regex.compile(rf"\b(?i:the)[ \t]+{_CUE_NAME}[ \t]+(?i:{_WORKS})\b")]}
# A display name before an address in angle brackets, as mail headers and signatures write it.
_DISPLAY_NAME = regex.compile(rf"{_CUE_NAME}[ \t]*<[^<>@\s]+@[^<>\s]+>")
# A speaker's label at a line's start ("Ubul: What a wife."): forms write "Date:" or "Bot:" there too, so
# no word of the language counts there, not even one a name list holds ("Bot" is a given name somewhere).
_SPEAKER_LABEL = regex.compile(rf"(?m:^)[ \t]*{_CUE_NAME}[ \t]*:[ \t]+(?=\S)")


class CuedNameRecognizer(LocalRecognizer):
    """Title-case words in a place of a sentence that only a person fills, when they are no common word.

    The small NER models miss single unusual names in running text ("Shovda is very reliable", "my kid
    Tadzio"). A word found this way counts only if it is not a word of the language (per ``vocabulary``
    and the stop words), unless a name list holds it ("Brown", "Misty"): "Marketing is very busy" is not a
    person. Findings are weak: dropped when the document also writes the word in lower case.
    """

    def __init__(self, supported_language: str, vocabulary: frozenset[str] = frozenset()) -> None:
        self.recognizer_name = f"CuedNameRecognizer_{supported_language}"
        super().__init__(
            supported_entities=["PERSON"], name=self.recognizer_name, supported_language=supported_language
        )
        self._vocabulary = vocabulary
        self._cues = _CUES.get(supported_language, [])
        self._works = _WORK_CUES.get(supported_language, [])

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        cues = [(cue, _known_name) for cue in self._cues] + [(_DISPLAY_NAME, _known_name), (_SPEAKER_LABEL, _never)]
        results = self._matches(text, cues)
        # No name list vouches for a word there: "the Kindle memoir".
        for result in self._matches(text, [(cue, _never) for cue in self._works]):
            # "the Ruoho novel": the determiner belongs to the work, so the name is no defined term.
            result.recognition_metadata["determined"] = True
            results.append(result)
        return results

    def _matches(
        self, text: str, cues: Sequence[tuple[regex.Pattern[str], Callable[[str], bool]]]
    ) -> list[RecognizerResult]:
        results = []
        for cue, known in cues:
            for match in cue.finditer(text):
                if self._name_like(match.group("name"), known):
                    results.append(_person(match.start("name"), match.end("name"), 0.6, self.recognizer_name, True))
        return results

    def _name_like(self, value: str, known: Callable[[str], bool]) -> bool:
        words = [fold(w) for w in _WORD.findall(value) if len(w) > 1 and fold(w) not in _PARTICLE_SET]
        if not words or any(w in _common_words() for w in words):
            return False
        return all(not self._in_vocabulary(w) or known(w) for w in words)

    def _in_vocabulary(self, word: str) -> bool:
        # The index holds lemmas: "Teams" is the word "team".
        plural = word.endswith("s") and (word[:-1] in self._vocabulary or word[:-2] in self._vocabulary)
        return word in self._vocabulary or plural


_PARTICLE_SET = frozenset(_PARTICLES.split("|"))


# --- Given names ------------------------------------------------------------------------------

_LATIN_NAME = regex.compile(r"^[\p{Script=Latin}][\p{Script=Latin}\p{M}'’-]+$")


# Providers name their lists freely: first_names_female, first_romanized_names, male_last_names...
_GIVEN_ATTRIBUTE = regex.compile(r"^(?:\w+_)?first_(?:\w+_)?names(?:_\w+)?$")
_FAMILY_ATTRIBUTE = regex.compile(r"^(?:\w+_)?last_(?:\w+_)?names(?:_\w+)?$")


def _faker_names(attribute: regex.Pattern[str]) -> frozenset[str]:
    """Names from the attributes of every locale's Faker person provider; folded, Latin script only."""
    import faker.providers.person as person_providers

    names: set[str] = set()
    for module_info in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module_info.name}").Provider
        for name in dir(provider):
            values: Any = getattr(provider, name, None) if attribute.match(name) else None
            if isinstance(values, (list, tuple, dict, set, frozenset)):
                names.update(fold(v) for v in values if isinstance(v, str) and _LATIN_NAME.match(v))
    return frozenset(names - _common_words())


@cache
def given_names() -> frozenset[str]:
    return _faker_names(_GIVEN_ATTRIBUTE)


@cache
def family_names() -> frozenset[str]:
    return _faker_names(_FAMILY_ATTRIBUTE)


# Title-case words of one name: "Tomomi", "O'Neil", "Jean-Luc"; initials: "J", "J.".
_TITLE_WORD = r"\p{Lu}[\p{Ll}\p{M}][\p{Ll}\p{M}'’]*(?:[-'’]\p{Lu}?[\p{Ll}\p{M}'’]+)*"
_NAME_RUN = regex.compile(
    rf"(?<![\p{{L}}\p{{M}}'’-])(?:{_TITLE_WORD}|\p{{Lu}}\.?)(?:[ \t]+(?:(?:{_PARTICLES})[ \t]+)?"
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
        return [_person(start, end, 0.6, self.recognizer_name, True) for start, end in self.find(text, proper, places)]

    def find(
        self, text: str, proper: set[int] | None = None, places: Sequence[tuple[int, int, str]] = ()
    ) -> list[tuple[int, int]]:
        if not _HAS_UPPER.search(text):
            return self._find_lower_case(text)
        spans = self._listed_names(text, places)
        for run in _NAME_RUN.finditer(text):
            possessives = _after_possessives(text, run.start(), run.end())
            for start, end in [(run.start(), run.end()), *possessives]:
                span = self._name_in_run(text, start, end, proper, places)
                if span is not None:
                    # Cut at the possessive here: Presidio drops a finding inside a longer one.
                    cut = _POSSESSIVE.search(text, span[0], span[1])
                    spans.append((span[0], cut.start()) if cut else span)
        return spans

    def _common(self, word: str) -> bool:
        folded = fold(word.rstrip("."))
        return folded in _common_words() or folded in self._vocabulary

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
        while words and fold(text[words[0][0] : words[0][1]].rstrip(".")) in _common_words():
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
        for match in _NAME_LIST.finditer(text):
            items = [(match.start() + m.start(), match.start() + m.end()) for m in _LIST_WORD.finditer(match.group())]
            words = [fold(text[s:e]) for s, e in items]
            if any(w in _common_words() or w in self._vocabulary for w in words):
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


def _never(token: str) -> bool:
    return False


def _known_name(token: str) -> bool:
    return token in given_names() or token in family_names()


def _proper_noun_starts(nlp_artifacts: Any) -> set[int] | None:
    """Start offsets of the tokens the tagger calls proper nouns; None without a tagger."""
    doc = getattr(nlp_artifacts, "tokens", None)
    if doc is None:
        return None
    return {token.idx for token in doc if token.pos_ == "PROPN"}


def vocabulary_of(nlp: Any, parts_of_speech: Sequence[str] = ("verb", "adj", "adv")) -> frozenset[str]:
    """Common words of a spaCy pipeline's language from its lemmatizer's word index: by default verbs,
    adjectives and adverbs (nouns are left out: the index holds proper names among them)."""
    try:
        table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    except (KeyError, AttributeError, ValueError):
        return frozenset()
    words: set[str] = set()
    for pos in parts_of_speech:
        if pos in table:
            words.update(fold(w) for w in table[pos])
    return frozenset(words)


def email_name_tokens(text: str) -> set[str]:
    """Name words from ``first.last@domain`` and ``FirstLast@domain`` addresses; role boxes (billing@,
    ServiceDesk@) give none: they have one part, or parts that are common words."""
    tokens: set[str] = set()
    for match in _EMAIL.finditer(text):
        parts = [fold(match.group(1)), fold(match.group(2))]
        if all(len(part) > 1 and part not in _common_words() for part in parts):
            tokens.update(parts)
    for match in _CAMEL_EMAIL.finditer(text):
        parts = [fold(part) for part in _CAMEL_PART.findall(match.group(1))]
        # One of the parts must be a known name: "ServiceDesk" and "AcmeCorp" are no people.
        plausible = 2 <= len(parts) <= 3 and all(len(p) > 1 and p not in _common_words() for p in parts)
        if plausible and any(p in given_names() or p in family_names() for p in parts):
            tokens.update(parts)
    return tokens


# "LaylaGairbekov@example.com": a local part made of two or three capitalized words.
_CAMEL_EMAIL = regex.compile(r"(?<![\w.+-])((?:\p{Lu}\p{Ll}+){2,3})@[\w.-]+\.\p{L}{2,}\b")
_CAMEL_PART = regex.compile(r"\p{Lu}\p{Ll}+")


def _from_ner(result: RecognizerResult) -> bool:
    return str((result.recognition_metadata or {}).get("recognizer_name", "")).startswith("Spacy")


def _guessed(result: RecognizerResult) -> bool:
    """Findings of NER or of weak patterns, which a document's own use of the words can overrule."""
    return _from_ner(result) or bool((result.recognition_metadata or {}).get("weak"))


def lowercase_words(pages: Sequence[str]) -> set[str]:
    """Words the document also writes in lower case: common words, not names ("Leave" and "leave")."""
    # Addresses and links write names in lower case ("jane.doe@..."): they say nothing about words.
    if not any(_HAS_UPPER.search(page) for page in pages):
        return set()  # a document written all in lower case says nothing about which words are names
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
            if result.entity_type == "PERSON" and _guessed(result):
                if all(token in common for token in tokens):
                    continue
                if _defined_term(page, result, tokens):
                    continue
            page_kept.append(result)
        kept.append(page_kept)
    return kept


def _defined_term(page: str, result: RecognizerResult, tokens: Sequence[str]) -> bool:
    """Whether a lone word after a determiner is a defined term ("the Provider", "le Prestataire"),
    not a name: a known name is one, and so is the author of a work ("the Jensen novel")."""
    if len(tokens) != 1 or (result.recognition_metadata or {}).get("determined"):
        return False
    return bool(_DETERMINER_BEFORE.search(page, 0, result.start)) and not _known_name(tokens[0])


def propagate_names(
    pages: Sequence[str],
    findings: Sequence[Sequence[RecognizerResult]],
    extra_tokens: Iterable[str] = (),
    common: set[str] | frozenset[str] = frozenset(),
) -> list[list[RecognizerResult]]:
    """Every capitalized occurrence of a known name word, on every page, as a PERSON finding.

    Words the document also uses in lower case are not spread. Adjacent name words ("Sofia"
    "Marchetti") are merged into one finding. A document written all in lower case writes its names
    so too ("eric g. samoylova ... early samoylova"): there every occurrence counts, but only of the
    words our own rules found, which are no words of the language, or of NER names that hold a known
    name; not of NER's other guesses ("support team").
    """
    capitalized = any(_HAS_UPPER.search(page) for page in pages)
    tokens = set(extra_tokens)
    for page, page_findings in zip(pages, findings, strict=True):
        for result in page_findings:
            if result.entity_type != "PERSON":
                continue
            words = name_tokens(page[result.start : result.end])
            if not capitalized and _from_ner(result) and not any(_known_name(word) for word in words):
                continue
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
            if capitalized and not page[match.start()].isupper():
                continue
            if spans and page[spans[-1][1] : match.start()] in (" ", "\t"):
                spans[-1] = (spans[-1][0], match.end())
            else:
                spans.append((match.start(), match.end()))
        propagated.append([RecognizerResult("PERSON", start, end, 0.8) for start, end in spans])
    return propagated


def person_key(value: str) -> str:
    return " ".join(name_tokens(value)) or fold(value).strip()


_NEIGHBOUR_BEFORE = regex.compile(r"(?:\p{Lu}[\p{Ll}\p{M}][\p{Ll}\p{M}'’-]*|\p{Lu}\.?)[ \t]+$")
_POSSESSIVE = regex.compile(r"['’]s\b")
_HYPHEN_SUFFIX = regex.compile(r"-[\p{L}\p{M}]+")
_NEIGHBOUR_AFTER = regex.compile(r"^[ \t]+(?:\p{Lu}[\p{Ll}\p{M}][\p{Ll}\p{M}'’-]*|\p{Lu}\.?(?![\p{L}]))")


def widen_names(
    page: str, findings: Sequence[RecognizerResult], common: set[str] | frozenset[str] = frozenset()
) -> list[RecognizerResult]:
    """NER person spans cut to one line and widened over the name words beside them.

    The small models clip names ("Ubul [Csonka]", "Shane M [Culp]") and run over line ends
    ("Victoria Bruun\\nPhone"). A neighbouring capitalized word joins the name unless it is a common
    word, a title, or a word the document also writes in lower case.
    """
    widened = []
    for result in findings:
        if result.entity_type != "PERSON":
            widened.append(result)
            continue
        if not _from_ner(result):
            possessive = _POSSESSIVE.search(page, result.start, result.end)
            end = possessive.start() if possessive else result.end
            metadata = result.recognition_metadata
            widened.append(RecognizerResult("PERSON", result.start, end, result.score, recognition_metadata=metadata))
            continue
        for start, end in _name_lines(page, result.start, result.end, common):
            possessive = _POSSESSIVE.search(page, start, end)  # "Yefremova's Cautionary Tales": the name ends
            end = possessive.start() if possessive else end
            for _ in range(2):
                before = _NEIGHBOUR_BEFORE.search(page, max(0, start - 40), start)
                if before is None or not _name_like(before.group(), common):
                    break
                start = before.start()
            hyphenated = _HYPHEN_SUFFIX.match(page, end)  # "Hauta-aho", of which NER took "Hauta"
            end = hyphenated.end() if hyphenated else end
            for _ in range(2):
                after = _NEIGHBOUR_AFTER.search(page[end : end + 40])
                if after is None or not _name_like(after.group(), common):
                    break
                end += after.end()
            widened.append(
                RecognizerResult("PERSON", start, end, result.score, recognition_metadata=result.recognition_metadata)
            )
    return widened


def _name_lines(
    page: str, start: int, end: int, common: set[str] | frozenset[str] = frozenset()
) -> list[tuple[int, int]]:
    """The lines of a span that hold the name, else its first line.

    A span that runs over a line break holds the name and a label beside it, on either side: "Victoria
    Bruun\\nPhone" (a label after), "Memo\\n\\nHarriet Lindqvist" (a heading before). A line holds a name
    when its words are all name-like and it has two of them or a word the name lists know: a label is
    one word, and nouns such as "Memo" or "Phone" are in none of the word lists ``_name_like`` consults.
    """
    lines = []
    offset = start
    for line in page[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            first = offset + line.index(stripped)
            lines.append((first, first + len(stripped)))
        offset += len(line) + 1
    if len(lines) <= 1:
        return lines
    named = []
    for line_start, line_end in lines:
        words = page[line_start:line_end].split()
        if not all(_name_like(word, common) for word in words):
            continue
        known = any(fold(word) in given_names() or fold(word) in family_names() for word in words)
        if len(words) >= 2 or known:
            named.append((line_start, line_end))
    return named or lines[:1]


def _name_like(word: str, common: set[str] | frozenset[str]) -> bool:
    folded = fold(word.strip(" \t.")).strip()
    if len(folded) == 1:
        return True  # a middle initial
    return folded not in _common_words() and folded not in common


_LIST_ITEM = r"\p{Lu}[\p{Ll}\p{M}'’-]+(?:-\p{Lu}?[\p{Ll}\p{M}'’-]+)?"
_NAME_LIST = regex.compile(
    rf"(?<![\p{{L}}]){_LIST_ITEM}(?:,[ \t]*{_LIST_ITEM})*,?[ \t]+(?:and|&|et|or|ou)[ \t]+{_LIST_ITEM}(?![\p{{L}}])"
)
_LIST_WORD = regex.compile(_LIST_ITEM)


def coordinated_names(
    page: str, findings: Sequence[RecognizerResult], common: set[str] | frozenset[str] = frozenset()
) -> list[RecognizerResult]:
    """The other members of a list of single names one of which is a person: "Kónya, Becker and Vasquez"."""
    # Only a confident finding vouches for its neighbours: a weak one may be "Paris" in "London, Paris and Zurich".
    people = [r for r in findings if r.entity_type == "PERSON" and not (r.recognition_metadata or {}).get("weak")]
    if not people:
        return []
    found = []
    for match in _NAME_LIST.finditer(page):
        items = [(match.start() + m.start(), match.start() + m.end()) for m in _LIST_WORD.finditer(match.group())]
        if not any(p.start <= s and e <= p.end for s, e in items for p in people):
            continue
        for start, end in items:
            word = fold(page[start:end])
            if word not in _common_words() and word not in common:
                found.append(_person(start, end, 0.6, "NameListRecognizer", True))
    return found


# A line that holds only a name: two to four capitalized words, a middle initial allowed.
_NAME_LINE = regex.compile(
    r"^(?P<prefix>[ \t>?]*)(?P<name>\p{Lu}[\p{Ll}\p{M}'’-]+(?:[ \t]+(?:\p{Lu}\.?|\p{Lu}[\p{Ll}\p{M}'’-]+)){1,3})"
    r"[ \t]*$"
)
_CONTACT_TYPES = frozenset({"STREET_ADDRESS", "PHONE_NUMBER", "EMAIL_ADDRESS"})
_SIGNATURE_LINES = 5


def signature_names(
    page: str, findings: Sequence[RecognizerResult], common: set[str] | frozenset[str] = frozenset()
) -> list[RecognizerResult]:
    """The name heading a contact block: the first line of a paragraph, made of name-shaped words,
    with an address, phone number or e-mail address in the lines below it (signatures, letterheads,
    business cards: "Dreux Joly\\nPaxata\\nPSC 3294, Box 9168...")."""
    contacts = sorted(r.start for r in findings if r.entity_type in _CONTACT_TYPES)
    if not contacts:
        return []
    found = []
    lines = page.split("\n")
    offset = 0
    previous_blank = True
    for index, line in enumerate(lines):
        match = _NAME_LINE.match(line)
        if match and previous_blank and _contact_below(lines, index, offset, contacts):
            words = [fold(w) for w in _WORD.findall(match.group("name"))]
            if not any(w in _common_words() or w in common for w in words if len(w) > 1):
                start = offset + match.start("name")
                found.append(_person(start, offset + match.end("name"), 0.6, "SignatureNameRecognizer", True))
        previous_blank = not line.strip(" \t>?")
        offset += len(line) + 1
    return found


def _contact_below(lines: Sequence[str], index: int, offset: int, contacts: Sequence[int]) -> bool:
    end = offset + sum(len(line) + 1 for line in lines[index : index + 1 + _SIGNATURE_LINES])
    line_end = offset + len(lines[index])
    return any(line_end < start < end for start in contacts)
