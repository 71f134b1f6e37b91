"""People's names found from what a sentence says of them ("my kid Tadzio", "Shovda is very reliable",
"said Gladys to Logan"), where the small NER models miss single unusual names in running text."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import regex
from presidio_analyzer import LocalRecognizer, RecognizerResult

from ingest.redaction.names import (
    PARTICLE_SET,
    PARTICLES,
    WORD,
    common_words,
    fold,
    known_name,
    person_finding,
)

# --- Names by what is said of them ------------------------------------------------------------

# One to three title-case words ("Ogasahara", "Irena Bílá", "LeBatelier", "Willemine ten Pas").
_CUE_WORD = r"\p{Lu}\p{Ll}[\p{L}\p{M}'’-]*"
_CUE_NAME = rf"(?P<name>{_CUE_WORD}(?:[ \t]+(?:(?:{PARTICLES})[ \t]+)?(?:\p{{Lu}}\.[ \t]+)?{_CUE_WORD}){{0,2}})"
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
        cues = [(cue, known_name) for cue in self._cues] + [(_DISPLAY_NAME, known_name), (_SPEAKER_LABEL, _never)]
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
                    results.append(
                        person_finding(match.start("name"), match.end("name"), 0.6, self.recognizer_name, True)
                    )
        return results

    def _name_like(self, value: str, known: Callable[[str], bool]) -> bool:
        words = [fold(w) for w in WORD.findall(value) if len(w) > 1 and fold(w) not in PARTICLE_SET]
        if not words or any(w in common_words() for w in words):
            return False
        return all(not self._in_vocabulary(w) or known(w) for w in words)

    def _in_vocabulary(self, word: str) -> bool:
        # The index holds lemmas: "Teams" is the word "team".
        plural = word.endswith("s") and (word[:-1] in self._vocabulary or word[:-2] in self._vocabulary)
        return word in self._vocabulary or plural


def _never(token: str) -> bool:
    return False
