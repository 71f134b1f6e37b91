"""What the name recognizers and the document passes share: how a name is written, the words that are
no names, and the name lists.

Given names and family names come from the person providers of Faker (MIT licence; 86 locales, about
30,000 names from public name-frequency lists): a general list of names people have, not of the names in
any data set. Words are compared folded (lower case, no accents), so "Zoë" and "zoe" are one.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Sequence
from functools import cache
from typing import Any

import regex
from presidio_analyzer import RecognizerResult

from rag.stop_words import all_stop_words

# A capitalized word, hyphenated or with an apostrophe: "Jean-Luc", "O'Neil", "Smith-Jones" (never ending in "-").
CAP = (
    r"\p{Lu}[\p{Ll}\p{M}'’]+(?:[-'’]\p{Lu}?[\p{Ll}\p{M}'’]+"
    # A capital inside a name only after the prefixes of family names: "McAlvey", "LeBatelier", not "PayPal".
    r"|(?<=(?<!\p{L})(?:Mc|Mac|Le|La|De|Di|Da|Du|Van|Von|Fitz))\p{Lu}[\p{Ll}\p{M}'’]+)*"
)
PARTICLES = "de|du|van|von|der|den|ten|ter|le|la|di|da|dos|del|della|bin|ibn|al"
NAME = rf"{CAP}(?:[ \t]+(?:(?:{PARTICLES})[ \t]+)?{CAP}){{0,2}}"
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

WORD = re.compile(r"[^\W\d_][\w'’-]*")
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


def fold(text: str) -> str:
    """Lower case without accents, one character for one, so offsets in the folded text hold."""
    return "".join(unicodedata.normalize("NFKD", ch)[:1] or ch for ch in text).lower()


@cache
def common_words() -> frozenset[str]:
    return frozenset(fold(w) for w in (*all_stop_words(), *TITLES, *_ADDRESSEES, *_CALENDAR))


def name_tokens(value: str) -> list[str]:
    """The words of a name that identify the person: titles, particles and common words dropped."""
    return [fold(w) for w in WORD.findall(value) if len(w) > 1 and fold(w) not in common_words()]


HAS_UPPER = regex.compile(r"\p{Lu}")


def person_finding(start: int, end: int, score: float, recognizer: str, weak: bool) -> RecognizerResult:
    """A PERSON finding; ``weak`` ones are dropped when the document writes their words in lower case."""
    metadata = {"recognizer_name": recognizer, "weak": weak}
    return RecognizerResult("PERSON", start, end, score, recognition_metadata=metadata)


PARTICLE_SET = frozenset(PARTICLES.split("|"))

_LATIN_NAME = regex.compile(r"^[\p{Script=Latin}][\p{Script=Latin}\p{M}'’-]+$")


# Providers name their lists freely: first_names_female, first_romanized_names, male_last_names...
_GIVEN_ATTRIBUTE = regex.compile(r"^(?:\w+_)?first_(?:\w+_)?names(?:_\w+)?$")
_FAMILY_ATTRIBUTE = regex.compile(r"^(?:\w+_)?last_(?:\w+_)?names(?:_\w+)?$")


def _faker_names(attribute: regex.Pattern[str]) -> frozenset[str]:
    """Names from the attributes of every locale's Faker person provider; folded, Latin script only."""
    # Deferred: Faker's providers load only when the name lists are first needed.
    import faker.providers.person as person_providers

    names: set[str] = set()
    for module_info in pkgutil.iter_modules(person_providers.__path__):
        provider = importlib.import_module(f"{person_providers.__name__}.{module_info.name}").Provider
        for name in dir(provider):
            values: Any = getattr(provider, name, None) if attribute.match(name) else None
            if isinstance(values, (list, tuple, dict, set, frozenset)):
                names.update(fold(v) for v in values if isinstance(v, str) and _LATIN_NAME.match(v))
    return frozenset(names - common_words())


@cache
def given_names() -> frozenset[str]:
    return _faker_names(_GIVEN_ATTRIBUTE)


@cache
def family_names() -> frozenset[str]:
    return _faker_names(_FAMILY_ATTRIBUTE)


def known_name(token: str) -> bool:
    return token in given_names() or token in family_names()


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


def from_ner(result: RecognizerResult) -> bool:
    return str((result.recognition_metadata or {}).get("recognizer_name", "")).startswith("Spacy")


def guessed(result: RecognizerResult) -> bool:
    """Findings of NER or of weak patterns, which a document's own use of the words can overrule."""
    return from_ner(result) or bool((result.recognition_metadata or {}).get("weak"))


POSSESSIVE = regex.compile(r"['’]s\b")

LIST_ITEM = r"\p{Lu}[\p{Ll}\p{M}'’-]+(?:-\p{Lu}?[\p{Ll}\p{M}'’-]+)?"
NAME_LIST = regex.compile(
    rf"(?<![\p{{L}}]){LIST_ITEM}(?:,[ \t]*{LIST_ITEM})*,?[ \t]+(?:and|&|et|or|ou)[ \t]+{LIST_ITEM}(?![\p{{L}}])"
)
LIST_WORD = regex.compile(LIST_ITEM)
