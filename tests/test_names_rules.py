"""Name rules of ingest/redaction/ on invented names: what a rule finds, and what it must leave alone."""

from __future__ import annotations

from typing import Any

import pytest
from presidio_analyzer import RecognizerResult

from ingest.redaction.document_passes import drop_common_word_names, propagate_names
from ingest.redaction.names import family_names, given_names
from ingest.redaction.recognizers import ContextualNameRecognizer, CuedNameRecognizer, GivenNameRecognizer

# Stands for the common words of the language that the redactor reads from spaCy's lemmatizer.
VOCABULARY = frozenset(
    {"gothic", "ranger", "union", "team", "royal", "bank", "quarterly", "report", "brad", "carry", "back", "kindle"}
)


def found(recognizer: Any, text: str) -> list[str]:
    return [text[r.start : r.end] for r in recognizer.analyze(text, ["PERSON"], None)]


@pytest.fixture(scope="module")
def cued() -> CuedNameRecognizer:
    return CuedNameRecognizer("en", VOCABULARY)


@pytest.fixture(scope="module")
def given() -> GivenNameRecognizer:
    return GivenNameRecognizer("en", VOCABULARY)


def spans(recognizer: GivenNameRecognizer, text: str) -> list[str]:
    return [text[start:end] for start, end in recognizer.find(text)]


# --- the author of a work ------------------------------------------------------------------


def test_the_author_of_a_novel_is_a_person(cued: CuedNameRecognizer) -> None:
    assert found(cued, "Unlike the Quorvath novel, it is short.") == ["Quorvath"]
    assert found(cued, "I read the Zelbring biography twice.") == ["Zelbring"]


def test_a_word_of_the_language_before_a_work_is_no_author(cued: CuedNameRecognizer) -> None:
    assert found(cued, "Unlike the Gothic novel, it is short.") == []
    # A name list holding the word is not enough there: "Kindle" is also a family name.
    assert "kindle" in family_names()
    assert found(cued, "We preferred the Kindle memoir.") == []
    # Not a work: "the Quorvath account" is an account.
    assert found(cued, "Close the Quorvath account.") == []


def test_the_author_survives_the_determiner_rule(cued: CuedNameRecognizer) -> None:
    page = "Unlike the Quorvath novel, it is short. See the Provider."
    author = cued.analyze(page, ["PERSON"], None)
    assert [page[r.start : r.end] for r in author] == ["Quorvath"]
    defined = GivenNameRecognizer("en").analyze(page, ["PERSON"], None)  # none: both are unknown words
    assert defined == []
    # A weak finding of the same shape without the cue is a defined term and goes.
    from ingest.redaction.names import person_finding as _person

    provider = page.index("Provider")
    term = _person(provider, provider + len("Provider"), 0.6, "test", True)
    kept = drop_common_word_names([page], [[*author, term]], set())[0]
    assert [page[r.start : r.end] for r in kept] == ["Quorvath"]


# --- a former member, a period of someone's work ------------------------------------------


def test_a_former_member_is_a_person(cued: CuedNameRecognizer) -> None:
    assert found(cued, "This song by ex-Wombat Drelling is a classic.") == ["Drelling"]


def test_former_institutions_and_ranks_are_not_people(cued: CuedNameRecognizer) -> None:
    assert found(cued, "He is an ex-Army Ranger from the ex-Soviet Union.") == []
    assert found(cued, "Our ex-Google engineer joined.") == []


def test_early_work_of_a_person(cued: CuedNameRecognizer) -> None:
    assert found(cued, "Is there anything better than early Zubrevka?") == ["Zubrevka"]


def test_early_dates_and_products_are_not_people(cued: CuedNameRecognizer) -> None:
    assert found(cued, "It shipped in early March.") == []
    assert found(cued, "Compared with early Kubernetes releases, it is fast.") == []


# --- "Firstname Lastname of Company" -------------------------------------------------------


def test_two_unknown_words_before_of_company_are_a_person(cued: CuedNameRecognizer) -> None:
    text = "The honorees include Talvik Osmundo of Brightwater Labs and others."
    assert found(cued, text) == ["Talvik Osmundo"]


def test_institutions_before_of_are_not_people(cued: CuedNameRecognizer) -> None:
    assert found(cued, "The Royal Bank of Canada and Zorvex of Oslo signed.") == []
    # The vocabulary holds lemmas: "Teams" is the common word "team".
    assert found(cued, "Meetings run on Microsoft Teams of Redmond.") == []
    assert found(cued, "The payment was made by Talvik Osmundo of course.") == []


# --- a name after an owner's possessive -------------------------------------------------------


def test_a_name_after_a_company_possessive(given: GivenNameRecognizer) -> None:
    assert "marta" in given_names()
    assert "Marta Quellin" in spans(given, "The winners were Ondrel's Marta Quellin and a team.")
    assert "Irena Paszkiel" in spans(given, "Thanks to Vexico's Irena Paszkiel.")


def test_a_possessive_never_ends_inside_a_name(given: GivenNameRecognizer) -> None:
    found_spans = spans(given, "Acme's Quarterly Report and Marta Quellin's notes.")
    assert all("'s" not in span for span in found_spans)
    assert "Marta Quellin" in found_spans
    assert not any("Quarterly" in span or "Report" in span for span in found_spans)


# --- a given name that is a common word, with a middle initial ---------------------------------


def test_common_given_name_with_middle_initial(given: GivenNameRecognizer) -> None:
    assert "brad" in given_names()
    assert spans(given, "The Brad J. Tarrow version came first.") == ["Brad J. Tarrow"]


def test_title_words_around_a_short_word_are_no_name(given: GivenNameRecognizer) -> None:
    # "Carry" is a given name, "Me" is no initial, and a song title has more than three words.
    assert spans(given, 'An earlier song, "Carry Me Back To Canada," was arranged.') == []
    # A middle initial makes a common given name a name only with a family name after it, not a common word.
    assert spans(given, "Brad J. Report") == []


# --- contextual patterns --------------------------------------------------------------------


def test_family_name_prefixes_keep_their_capital() -> None:
    recognizer = ContextualNameRecognizer("en")
    assert found(recognizer, "Her maiden name is McAlvey") == ["McAlvey"]
    assert found(recognizer, "Her maiden name is LeGrandier") == ["LeGrandier"]


def test_brand_names_are_not_taken_whole_as_names() -> None:
    recognizer = ContextualNameRecognizer("en")
    assert not any("PayPal" in value for value in found(recognizer, "Thanks, PayPal"))


def test_directed_by_in_running_text() -> None:
    recognizer = ContextualNameRecognizer("en")
    assert found(recognizer, "A comedy directed by Brad Q Tolvern and starring Tolvern.") == ["Brad Q Tolvern"]
    assert found(recognizer, "The project was directed by the board.") == []


# --- the whole redactor ---------------------------------------------------------------------


def test_redactor_removes_cued_names_and_keeps_companies(redactor: Any) -> None:
    text = (
        "The honorees include Talvik Osmundo of Brightwater Labs, Vexico's Irena Paszkiel and, "
        "unlike the Quorvath novel, a song by ex-Wombat Drelling."
    )
    result = redactor.redact(text, "en")
    for name in ("Talvik", "Osmundo", "Irena", "Paszkiel", "Quorvath", "Drelling"):
        assert name not in result.text
    assert "Brightwater Labs" in result.text
    assert "novel" in result.text and "ex-Wombat" in result.text


def test_redactor_keeps_institutions_and_works(redactor: Any) -> None:
    text = "The Royal Bank of Canada sponsored the Gothic novel prize; early March results came from an ex-Army Ranger."
    result = redactor.redact(text, "en")
    assert "<PERSON" not in result.text


# --- spreading names in a document written in lower case --------------------------------------


def _ner_person(start: int, end: int) -> RecognizerResult:
    return RecognizerResult("PERSON", start, end, 0.85, recognition_metadata={"recognizer_name": "SpacyRecognizer"})


def _spread(pages: list[str], findings: list[list[RecognizerResult]]) -> list[str]:
    return [pages[0][r.start : r.end] for r in propagate_names(pages, findings)[0]]


def test_names_spread_to_lower_case_occurrences_in_a_lower_case_document() -> None:
    page = "verses from eric g. quellinova's tales. nothing beats early quellinova."
    name = page.index("eric g. quellinova")
    spread = _spread([page], [[_ner_person(name, name + len("eric g. quellinova"))]])
    assert spread.count("quellinova") == 2


def test_lower_case_occurrences_are_not_spread_where_the_document_has_capitals() -> None:
    page = "Verses from Eric Quellinova. nothing beats early quellinova."
    spread = _spread([page], [[_ner_person(page.index("Eric"), page.index("."))]])
    assert spread == ["Eric Quellinova"]


def test_ner_guesses_without_a_known_name_are_not_spread_in_lower_case() -> None:
    page = "ask the support team. the support team replied."
    assert _spread([page], [[_ner_person(page.index("support"), page.index("."))]]) == []


@pytest.mark.parametrize(
    ("page", "ner_span", "names"),
    [
        # A heading before the name: the name was lost when only the span's first line was kept.
        ("Memo\n\nOswin Tarrabee approved it.", "Memo\n\nOswin Tarrabee", ["Oswin Tarrabee"]),
        ("Dear\nOswin Tarrabee, welcome.", "Dear\nOswin Tarrabee", ["Oswin Tarrabee"]),
        # A label after the name.
        ("Oswin Tarrabee\nPhone: 555 0100", "Oswin Tarrabee\nPhone", ["Oswin Tarrabee"]),
        # Two names on two lines, as on a business card.
        (
            "Oswin Tarrabee\nMerel Quaintance\n",
            "Oswin Tarrabee\nMerel Quaintance",
            ["Oswin Tarrabee", "Merel Quaintance"],
        ),
        # No line looks like a name: the first line stays, as before.
        ("Memo\nPhone", "Memo\nPhone", ["Memo"]),
    ],
)
def test_ner_spans_over_line_breaks_keep_the_lines_that_hold_names(page: str, ner_span: str, names: list[str]) -> None:
    from ingest.redaction.document_passes import widen_names

    start = page.index(ner_span)
    widened = widen_names(page, [_ner_person(start, start + len(ner_span))])
    assert [page[r.start : r.end] for r in widened] == names


def test_redactor_finds_a_name_below_a_heading(redactor: Any) -> None:
    text = "Memo\n\nHarriet Lindqvist approved the backup rotation."
    redacted = redactor.redact(text).text
    assert "Harriet" not in redacted and "Lindqvist" not in redacted
    assert redacted.startswith("Memo\n")
