"""Checking generated text against the text it must come from: values, their context, and content words.

A small model mixes sentences: it takes the right number from the wrong clause ("10 weeks at full pay"
where the source says "16 weeks ... at full pay, followed by 10 further weeks at 50 percent"), or invents
one. Three checks catch that without a second model:

- every value it states (a number, a time, a date, an amount, a duration, a placeholder such as
  ``<PERSON_1>``) appears in the evidence;
- each stated number comes from the clause the claim describes: of the evidence's clauses that hold a
  number, those whose content words best match the claim's clause must hold that number;
- most of its content words come from the evidence (or the question it answers).

Used for answers (rag/answer.py) and ticket summaries (rag/tickets.py).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from rag.placeholders import PLACEHOLDER
from rag.stop_words import all_stop_words

# A number as written in either language: 1,500,000 / 2,50 / 07:30 / 8h30 / 2024-03-14 / 16.
_NUMBER = re.compile(r"\d+(?:[.,:h\-/]\d+)*")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Number words a model may write instead of digits ("sixteen weeks"): up to twenty, and the tens.
_NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13", "fourteen": "14",
    "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18", "nineteen": "19", "twenty": "20",
    "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
    "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "sept": "7", "huit": "8", "neuf": "9",
    "dix": "10", "onze": "11", "douze": "12", "treize": "13", "quatorze": "14", "quinze": "15", "seize": "16",
    "vingt": "20", "trente": "30", "quarante": "40", "cinquante": "50", "cent": "100",
}  # fmt: skip
# Where a clause ends: a comma, semicolon or colon before a space, brackets, or a word that joins two clauses.
_CLAUSE_BREAK = re.compile(
    r",\s|;|:\s|[()]|\s(?:and|then|followed by|whereas|while|but|et|puis|suivies? de|mais|alors que)\s",
    re.IGNORECASE,
)
# Prefix length that stands in for a stem: "weeks"/"week", "payment"/"paymen". Crude, but language-neutral.
_STEM = 5


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim: ``passed``, or the first reason it failed."""

    passed: bool
    reason: str | None = None


def fold(text: str) -> str:
    """Lower case without diacritics, so "Délai" and "delai" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _stop_words() -> frozenset[str]:
    return frozenset(fold(word) for word in all_stop_words())


def _normal_number(value: str) -> str:
    """1,500,000 and 1500000 alike, 1,249.00 and 1249; a decimal comma as a point; 8h30 as 8:30; leading zeros
    and a decimal part of zeros dropped."""
    value = value.replace("h", ":")
    value = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", value)  # thousands separators
    value = value.replace(",", ".")
    parts = re.split(r"([.:\-/])", value)
    normal = "".join(part.lstrip("0") or "0" if part.isdigit() else part for part in parts)
    return re.sub(r"^(\d+)\.0$", r"\1", normal)


def values(text: str) -> set[str]:
    """The values a text states: normalized numbers (digits or number words) and placeholders."""
    found = {_normal_number(match) for match in _NUMBER.findall(PLACEHOLDER.sub(" ", text))}
    found |= {_NUMBER_WORDS[word] for word in _words(text) if word in _NUMBER_WORDS}
    found |= {match.group(0) for match in PLACEHOLDER.finditer(text)}
    return found


def _words(text: str) -> list[str]:
    return [fold(word) for word in _WORD.findall(PLACEHOLDER.sub(" ", text))]


def content_words(text: str) -> set[str]:
    """Stems of the words that carry meaning: no stop words, no numbers."""
    return {
        word[:_STEM]
        for word in _words(text)
        if word not in _stop_words() and not word.isdigit() and word not in _NUMBER_WORDS
    }


def _clauses(text: str) -> list[tuple[set[str], set[str]]]:
    """The text cut into clauses, each as (its numbers, its content words)."""
    clauses = []
    for clause in _CLAUSE_BREAK.split(text):
        numbers = {value for value in values(clause) if not PLACEHOLDER.fullmatch(value)}
        clauses.append((numbers, content_words(clause)))
    return clauses


def _misplaced(claim: str, evidence: str) -> str | None:
    """A number of the claim that the evidence holds only in another clause than the one the claim matches:
    the value of the clause the claim's words describe, if so (see the module's docstring)."""
    evidence_clauses = [clause for clause in _clauses(evidence) if clause[0]]
    for numbers, words in _clauses(claim):
        if not numbers or not words or not evidence_clauses:
            continue
        best = max(len(words & their_words) for _, their_words in evidence_clauses)
        if best == 0:
            continue
        matching = [their for their, their_words in evidence_clauses if len(words & their_words) == best]
        allowed = set().union(*matching)
        wrong = sorted(numbers - allowed)
        if wrong:
            return f"states {', '.join(wrong)} where the evidence says {', '.join(sorted(allowed))}"
    return None


def check_claim(claim: str, evidence: Sequence[str], question: str = "", min_overlap: float = 0.5) -> ClaimCheck:
    """Whether ``claim`` states only what ``evidence`` says (see the module's docstring)."""
    source = "\n".join(evidence)
    missing = sorted(values(claim) - values(source))
    if missing:
        return ClaimCheck(False, f"states {', '.join(missing)}, which the evidence does not contain")
    misplaced = _misplaced(claim, source)
    if misplaced:
        return ClaimCheck(False, misplaced)
    words = content_words(claim)
    if words:
        known = content_words(source) | content_words(question)
        share = len(words & known) / len(words)
        if share < min_overlap:
            return ClaimCheck(False, f"only {share:.0%} of its words come from the evidence")
    if question and not values(claim) and not words - content_words(question):
        return ClaimCheck(False, "only repeats the question")
    return ClaimCheck(True)


def states_the_fact(answer: str, evidence: Sequence[str]) -> ClaimCheck:
    """An answer to quotes that hold values (numbers, dates, placeholders) must state one of them: an answer
    without any ("the hotel cap is the amount a hotel charges") says nothing the quotes can vouch for."""
    held = values("\n".join(evidence))
    if held and not values(answer) & held:
        return ClaimCheck(False, "states none of the values the evidence gives")
    return ClaimCheck(True)


def unsupported(claims: Iterable[str], evidence: Sequence[str], question: str = "") -> list[str]:
    """The reasons of every claim that fails, in order."""
    return [check.reason or "" for check in (check_claim(c, evidence, question) for c in claims) if not check.passed]
