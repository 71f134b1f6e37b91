"""Redactor: typed placeholders, consistent within a document, offsets in the input, en and fr."""

from __future__ import annotations

from typing import Any

EN = (
    "Contact Harriet Lindqvist at harriet.lindqvist@example.com or +1 (555) 014-2231. "
    "Ms Lindqvist approves leave requests. Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, "
    "server 198.51.100.23. The office is at 418 Larkspur Avenue."
)
FR = (
    "Veuillez contacter Camille Dubreuil au +33 6 42 18 57 93 ou à camille.dubreuil@example.fr. "
    "Mme Dubreuil répond sous 24 heures. Numéro de sécurité sociale : 1 85 05 78 006 084 91. "
    "SIRET 418 573 028 00010. Adresse : 14 rue des Tanneurs, 69001 Lyon."
)


def test_english_values_are_replaced_by_typed_placeholders(redactor: Any) -> None:
    result = redactor.redact(EN)
    assert result.language == "en"
    for value in (
        "Harriet",
        "Lindqvist",
        "harriet.lindqvist",
        "014-2231",
        "4111",
        "GB82",
        "198.51.100.23",
        "418 Larkspur",
    ):
        assert value not in result.text
    for placeholder in (
        "<PERSON_1>",
        "<EMAIL_ADDRESS_1>",
        "<PHONE_NUMBER_1>",
        "<CREDIT_CARD_1>",
        "<IBAN_CODE_1>",
        "<IP_ADDRESS_1>",
        "<STREET_ADDRESS_1>",
    ):
        assert placeholder in result.text
    # The same person keeps the same placeholder; non-personal words stay.
    assert result.text.count("<PERSON_1>") == 2 and "<PERSON_2>" not in result.text
    assert "approves leave requests" in result.text


def test_entity_offsets_point_into_the_input(redactor: Any) -> None:
    result = redactor.redact(EN)
    found = {EN[e.start : e.end] for e in result.entities}
    assert "harriet.lindqvist@example.com" in found
    assert "4111 1111 1111 1111" in found
    assert all(0 <= e.start < e.end <= len(EN) for e in result.entities)


def test_french_document(redactor: Any) -> None:
    result = redactor.redact(FR)
    assert result.language == "fr"
    for value in (
        "Camille",
        "Dubreuil",
        "42 18 57 93",
        "1 85 05 78 006 084 91",
        "418 573 028 00010",
        "14 rue des Tanneurs",
    ):
        assert value not in result.text, value
    types = {e.type for e in result.entities}
    assert {"PERSON", "PHONE_NUMBER", "EMAIL_ADDRESS", "FR_NIR", "FR_SIRET", "STREET_ADDRESS"} <= types
    assert "répond sous 24 heures" in result.text


def test_placeholders_are_consistent_across_pages(redactor: Any) -> None:
    pages = redactor.redact_pages(
        ["Report prepared by Tobias Renner for the board.", "Questions go to Tobias Renner or Priya Raghunathan."]
    )
    assert "<PERSON_1>" in pages[0].text
    assert pages[1].text == "Questions go to <PERSON_1> or <PERSON_2>."


def test_redacting_redacted_text_changes_nothing(redactor: Any) -> None:
    once = redactor.redact(EN).text
    assert redactor.redact(once).text == once


def test_non_personal_text_is_left_alone(redactor: Any) -> None:
    text = "Annual leave is 25 days per year. Remote work is allowed up to 3 days per week with approval."
    assert redactor.redact(text).text == text


def test_documents_redacted_together_match_one_by_one(redactor: Any) -> None:
    documents = [
        ["Ms Harriet Lindqvist called from +44 20 7946 0958.", "Harriet asked for the invoice again."],
        ["Contactez Jean-Baptiste Morel au 06 12 34 56 78.", "", "Morel confirme le rendez-vous."],
        ["Nothing personal here: the cafeteria opens at 07:30."],
        [],
        ["Email derek.osei@example.org or call Derek on 555-0199."],
    ]
    together = redactor.redact_documents(documents)
    one_by_one = [redactor.redact_pages(pages) for pages in documents]
    assert [[(r.text, r.entities, r.language) for r in doc] for doc in together] == [
        [(r.text, r.entities, r.language) for r in doc] for doc in one_by_one
    ]
    # Placeholders are numbered per document: each document starts again at _1.
    assert "<PERSON_1>" in together[0][0].text and "<PERSON_1>" in together[1][0].text
    assert together[1][0].language == "fr" and together[0][0].language == "en"


CUED = [
    ("I would like to add my niece Ottoline to the policy.", "Ottoline"),
    ("Zorvath lives in Leeds and works for a bakery.", "Zorvath"),
    ("Quorvane, can you resend the form?", "Quorvane"),
    ("Farrowin: I disagree with the estimate.\nMarta: Why?", "Farrowin"),
    ("Please list Brannoch as a beneficiary.", "Brannoch"),
    ("The manager shouted at Teodrin in the meeting.", "Teodrin"),
]


def test_names_in_places_only_a_person_fills_are_redacted(redactor: Any) -> None:
    for text, name in CUED:
        assert name not in redactor.redact(text).text, text


def test_common_words_in_those_places_are_kept(redactor: Any) -> None:
    kept = [
        "Date: 2020-06-20 14:11:22",
        "Bot: Where would you like this delivered?",
        "Mission Statement: we serve our members.",
        "Marketing is very busy this quarter.",
        "Thanks, can you check the invoice?",
    ]
    for text in kept:
        assert redactor.redact(text).text == text


def test_spacy_runs_on_numpys_openblas_on_one_thread_with_the_redactions_of_stock_blis(
    redactor: Any, base_settings: Any
) -> None:
    from threadpoolctl import threadpool_info

    from ingest.components import build_redactor

    for nlp in redactor._nlp_engine.nlp.values():
        assert nlp.get_pipe("ner").model.ops.use_blis is False
    numpys = [pool for pool in threadpool_info() if pool["internal_api"] == "openblas" and "numpy" in pool["filepath"]]
    assert numpys and all(pool["num_threads"] == 1 for pool in numpys)
    stock = build_redactor(base_settings.model_copy(update={"spacy_matrix_library": "blis"}))
    for nlp in stock._nlp_engine.nlp.values():
        assert nlp.get_pipe("ner").model.ops.use_blis is True
    documents = [[EN, "Ms Lindqvist will call Daniel Okafor on Monday."], [FR]]
    assert [[(r.text, r.entities) for r in pages] for pages in redactor.redact_documents(documents)] == [
        [(r.text, r.entities) for r in pages] for pages in stock.redact_documents(documents)
    ]
