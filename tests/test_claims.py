"""The check of written text against its evidence (rag/claims.py): values, their place, content words."""

from __future__ import annotations

from rag.claims import check_claim, states_the_fact, values

PARENTAL = (
    "Employees who become parents through birth, adoption or surrogacy are entitled to 16 weeks of parental "
    "leave at full pay, followed by up to 10 further weeks at 50 percent of base salary."
)
QUESTION = "How long is parental leave at full pay?"


def test_a_claim_that_repeats_the_evidence_passes() -> None:
    assert check_claim("Parental leave at full pay lasts 16 weeks.", [PARENTAL], QUESTION).passed


def test_a_number_absent_from_the_evidence_fails_and_says_which() -> None:
    check = check_claim("Parental leave at full pay lasts 18 weeks.", [PARENTAL], QUESTION)
    assert not check.passed
    assert check.reason is not None and "18" in check.reason


def test_a_number_taken_from_the_wrong_clause_fails() -> None:
    """The issue's case: "10 weeks" is in the evidence, but not as the full-pay duration."""
    check = check_claim("Parental leave at full pay is 10 weeks.", [PARENTAL], QUESTION)
    assert not check.passed
    assert check.reason is not None and "16" in check.reason


def test_a_number_written_in_words_counts_as_that_number() -> None:
    assert check_claim("Parental leave at full pay lasts sixteen weeks.", [PARENTAL], QUESTION).passed
    assert not check_claim("Parental leave at full pay lasts twelve weeks.", [PARENTAL], QUESTION).passed


def test_a_placeholder_absent_from_the_evidence_fails() -> None:
    evidence = ["Leave requests go to <PERSON_1>, HR Director."]
    assert check_claim("Leave requests go to <PERSON_1>.", evidence).passed
    assert not check_claim("Leave requests go to <PERSON_2>.", evidence).passed


def test_words_the_evidence_never_uses_fail_the_overlap() -> None:
    check = check_claim("Bicycles are lent by the canteen manager.", [PARENTAL], QUESTION)
    assert not check.passed
    assert check.reason is not None and "words" in check.reason


def test_numbers_compare_across_their_spellings() -> None:
    assert values("shall not exceed 1,500,000 EUR") == values("up to 1500000 EUR")
    assert values("4,20 EUR") == values("4.20 EUR")
    assert values("de 8h30 à 17h30") == values("from 8:30 to 17:30")
    assert "7:30" in values("opens at 07:30")


def test_french_claims_are_checked_like_english_ones() -> None:
    evidence = ["Le lien de réinitialisation est valable 30 minutes seulement."]
    question = "Combien de temps le lien de réinitialisation est-il valable ?"
    assert check_claim("Le lien est valable 30 minutes.", evidence, question).passed
    assert not check_claim("Le lien est valable 60 minutes.", evidence, question).passed


def test_amounts_with_thousands_and_cents_compare_equal() -> None:
    assert values("1,249.00 EUR") == values("1249 EUR")
    assert values("2,498.00 EUR") != values("1,249.00 EUR")


def test_a_claim_that_only_repeats_the_question_fails() -> None:
    question = "When must remote employees be reachable by phone and chat?"
    evidence = ["Remote employees must be reachable by phone and chat between 10:00 and 16:00 on working days."]
    check = check_claim("Remote employees must be reachable by phone and chat.", evidence, question)
    assert not check.passed and check.reason == "only repeats the question"


def test_an_answer_must_state_one_of_the_values_its_evidence_gives() -> None:
    evidence = ["Hotel accommodation is capped at 180 EUR per night, including breakfast and taxes."]
    assert not states_the_fact("The hotel cap is what the hotel charges for the night.", evidence).passed
    assert states_the_fact("The hotel cap is 180 EUR per night.", evidence).passed
    assert states_the_fact("Yes, it is required.", ["MFA is required for all new accounts."]).passed
