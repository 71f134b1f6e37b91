"""The passes over a whole document's findings that a recognizer, which sees one page, cannot make.

NER person spans widened over the name words next to them ("Ubul" before "Csonka") and cut at line ends;
the other members of a list of names; the name heading a signature block; NER's guesses dropped when
the document writes their words in lower case; the first.last local part of an e-mail address; and
propagation: once a name is found anywhere in a document, its other occurrences are found too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import regex
from presidio_analyzer import RecognizerResult

from ingest.redaction.names import (
    HAS_UPPER,
    LIST_WORD,
    NAME_LIST,
    POSSESSIVE,
    WORD,
    common_words,
    family_names,
    fold,
    from_ner,
    given_names,
    guessed,
    known_name,
    name_tokens,
    person_finding,
)

_EMAIL = re.compile(r"\b([A-Za-z][A-Za-z'-]+)[._]([A-Za-z][A-Za-z'-]+)@[\w.-]+\.[A-Za-z]{2,}\b")

_DETERMINER_BEFORE = re.compile(r"\b(?:the|The|le|Le|la|La|les|Les)\s+$")
_ADDRESS_LIKE = re.compile(r"\S*(?:@|://|www\.)\S*")


def email_name_tokens(text: str) -> set[str]:
    """Name words from ``first.last@domain`` and ``FirstLast@domain`` addresses; role boxes (billing@,
    ServiceDesk@) give none: they have one part, or parts that are common words."""
    tokens: set[str] = set()
    for match in _EMAIL.finditer(text):
        parts = [fold(match.group(1)), fold(match.group(2))]
        if all(len(part) > 1 and part not in common_words() for part in parts):
            tokens.update(parts)
    for match in _CAMEL_EMAIL.finditer(text):
        parts = [fold(part) for part in _CAMEL_PART.findall(match.group(1))]
        # One of the parts must be a known name: "ServiceDesk" and "AcmeCorp" are no people.
        plausible = 2 <= len(parts) <= 3 and all(len(p) > 1 and p not in common_words() for p in parts)
        if plausible and any(p in given_names() or p in family_names() for p in parts):
            tokens.update(parts)
    return tokens


# "LaylaGairbekov@example.com": a local part made of two or three capitalized words.
_CAMEL_EMAIL = regex.compile(r"(?<![\w.+-])((?:\p{Lu}\p{Ll}+){2,3})@[\w.-]+\.\p{L}{2,}\b")
_CAMEL_PART = regex.compile(r"\p{Lu}\p{Ll}+")


def lowercase_words(pages: Sequence[str]) -> set[str]:
    """Words the document also writes in lower case: common words, not names ("Leave" and "leave")."""
    # Addresses and links write names in lower case ("jane.doe@..."): they say nothing about words.
    if not any(HAS_UPPER.search(page) for page in pages):
        return set()  # a document written all in lower case says nothing about which words are names
    prose = (_ADDRESS_LIKE.sub(" ", page) for page in pages)
    return {fold(word) for page in prose for word in WORD.findall(page) if word.islower()}


def drop_common_word_names(
    pages: Sequence[str], findings: Sequence[list[RecognizerResult]], common: set[str]
) -> list[list[RecognizerResult]]:
    """Drop NER PERSON findings made only of words the document uses in lower case ("Annual Leave")."""
    kept: list[list[RecognizerResult]] = []
    for page, page_findings in zip(pages, findings, strict=True):
        page_kept = []
        for result in page_findings:
            tokens = name_tokens(page[result.start : result.end])
            if result.entity_type == "PERSON" and guessed(result):
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
    return bool(_DETERMINER_BEFORE.search(page, 0, result.start)) and not known_name(tokens[0])


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
    capitalized = any(HAS_UPPER.search(page) for page in pages)
    tokens = set(extra_tokens)
    for page, page_findings in zip(pages, findings, strict=True):
        for result in page_findings:
            if result.entity_type != "PERSON":
                continue
            words = name_tokens(page[result.start : result.end])
            if not capitalized and from_ner(result) and not any(known_name(word) for word in words):
                continue
            # A lone capitalized word tagged by NER is too weak a signal to spread ("the Provider").
            if len(words) >= 2 or not from_ner(result):
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
        if not from_ner(result):
            possessive = POSSESSIVE.search(page, result.start, result.end)
            end = possessive.start() if possessive else result.end
            metadata = result.recognition_metadata
            widened.append(RecognizerResult("PERSON", result.start, end, result.score, recognition_metadata=metadata))
            continue
        for start, end in _name_lines(page, result.start, result.end, common):
            possessive = POSSESSIVE.search(page, start, end)  # "Yefremova's Cautionary Tales": the name ends
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
    return folded not in common_words() and folded not in common


def coordinated_names(
    page: str, findings: Sequence[RecognizerResult], common: set[str] | frozenset[str] = frozenset()
) -> list[RecognizerResult]:
    """The other members of a list of single names one of which is a person: "Kónya, Becker and Vasquez"."""
    # Only a confident finding vouches for its neighbours: a weak one may be "Paris" in "London, Paris and Zurich".
    people = [r for r in findings if r.entity_type == "PERSON" and not (r.recognition_metadata or {}).get("weak")]
    if not people:
        return []
    found = []
    for match in NAME_LIST.finditer(page):
        items = [(match.start() + m.start(), match.start() + m.end()) for m in LIST_WORD.finditer(match.group())]
        if not any(p.start <= s and e <= p.end for s, e in items for p in people):
            continue
        for start, end in items:
            word = fold(page[start:end])
            if word not in common_words() and word not in common:
                found.append(person_finding(start, end, 0.6, "NameListRecognizer", True))
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
            words = [fold(w) for w in WORD.findall(match.group("name"))]
            if not any(w in common_words() or w in common for w in words if len(w) > 1):
                start = offset + match.start("name")
                found.append(person_finding(start, offset + match.end("name"), 0.6, "SignatureNameRecognizer", True))
        previous_blank = not line.strip(" \t>?")
        offset += len(line) + 1
    return found


def _contact_below(lines: Sequence[str], index: int, offset: int, contacts: Sequence[int]) -> bool:
    end = offset + sum(len(line) + 1 for line in lines[index : index + 1 + _SIGNATURE_LINES])
    line_end = offset + len(lines[index])
    return any(line_end < start < end for start in contacts)
