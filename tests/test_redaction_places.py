"""Place names by policy (ENCLAVE_REDACT_LOCATIONS): off keeps them, with-person redacts those in a sentence
with a person or in an address block, all redacts every one; in English and French, with the small models.
Also the setting itself, and the evaluation that scores each policy on labels."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from ingest.redaction import PresidioRedactor, build_analyzer
from ingest.redaction.evaluation import LabelledSpan, Record, evaluate, required_places, score_record
from ingest.redaction.places import places_to_redact
from rag.errors import ConfigurationError
from rag.settings import DEFAULT_ENTITIES, Settings, load_settings
from rag.types import EntitySpan, LocationPolicy, Redaction

OFF, WITH_PERSON, ALL = LocationPolicy.OFF, LocationPolicy.WITH_PERSON, LocationPolicy.ALL


@pytest.fixture(scope="module")
def analyzer(base_settings: Settings) -> Any:
    """One analyzer (both small pipelines), shared by a redactor per policy."""
    return build_analyzer(base_settings.spacy_models, exclude_components=base_settings.spacy_exclude)


def redact(analyzer: Any, policy: LocationPolicy, text: str, language: str) -> str:
    return PresidioRedactor(analyzer, DEFAULT_ENTITIES, locations=policy).redact(text, language).text


SENTENCES = {
    # (text, language): what each policy leaves of it
    ("I will be travelling to Canada next week.", "en"): {
        OFF: "I will be travelling to Canada next week.",
        WITH_PERSON: "I will be travelling to Canada next week.",
        ALL: "I will be travelling to <LOCATION_1> next week.",
    },
    ("Sarah Connor moved to Canada last year. Our Canada team grew.", "en"): {
        OFF: "<PERSON_1> moved to Canada last year. Our Canada team grew.",
        WITH_PERSON: "<PERSON_1> moved to <LOCATION_1> last year. Our Canada team grew.",
        ALL: "<PERSON_1> moved to <LOCATION_1> last year. Our <LOCATION_1> team grew.",
    },
    ("Nous ouvrons un bureau à Bordeaux en mars.", "fr"): {
        OFF: "Nous ouvrons un bureau à Bordeaux en mars.",
        WITH_PERSON: "Nous ouvrons un bureau à Bordeaux en mars.",
        ALL: "Nous ouvrons un bureau à <LOCATION_1> en mars.",
    },
    ("Jean Dupont a grandi à Rennes. Le siège est à Lyon.", "fr"): {
        OFF: "<PERSON_1> a grandi à Rennes. Le siège est à Lyon.",
        WITH_PERSON: "<PERSON_1> a grandi à <LOCATION_1>. Le siège est à Lyon.",
        ALL: "<PERSON_1> a grandi à <LOCATION_1>. Le siège est à <LOCATION_2>.",
    },
}


@pytest.mark.parametrize("policy", list(LocationPolicy))
@pytest.mark.parametrize(("text", "language"), list(SENTENCES))
def test_each_policy_on_english_and_french_sentences(
    analyzer: Any, policy: LocationPolicy, text: str, language: str
) -> None:
    assert redact(analyzer, policy, text, language) == SENTENCES[(text, language)][policy]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Le plafond est de 120 EUR par nuit.", "fr"),
        ("Réunion reportée : la salle est prise jusqu'au 12.", "fr"),
        ("Send the invoice with the PO number.", "en"),
    ],
)
def test_capitalized_common_words_the_ner_calls_places_stay(analyzer: Any, text: str, language: str) -> None:
    # The small models call these places; their taggers see no proper noun in them.
    assert redact(analyzer, ALL, text, language) == text


@pytest.mark.parametrize(
    ("text", "language", "places"),
    [
        ("Send it to 45 Oak Avenue; Toronto; Canada", "en", ["Toronto", "Canada"]),
        ("12 Baker Street\n\nLONDON\n\nUnited Kingdom", "en", ["LONDON", "United Kingdom"]),
        ("Il habite 3 place Bellecour à Lyon en France.", "fr", ["France"]),
    ],
)
def test_the_city_and_country_under_a_street_line_go_with_the_address(
    analyzer: Any, text: str, language: str, places: list[str]
) -> None:
    kept = redact(analyzer, OFF, text, language)
    assert all(place in kept for place in places)  # the address recognizer stops before them
    redacted = redact(analyzer, WITH_PERSON, text, language)
    assert "<STREET_ADDRESS_1>" in redacted and "<LOCATION_1>" in redacted
    assert not any(place in redacted for place in places)


def test_a_place_before_an_address_or_with_words_between_stays() -> None:
    text = "Lyon 12 rue de la Paix, Paris, in France"
    #       0    5    10   15   20   25   30   35
    address, lyon, paris, france = (5, 22), (0, 4), (24, 29), (34, 40)
    assert places_to_redact(WITH_PERSON, text, [lyon, paris, france], [], [address]) == [paris]
    assert places_to_redact(OFF, text, [lyon, paris, france], [(0, 4)], [address]) == []
    assert places_to_redact(ALL, text, [lyon, paris, france], [], []) == [lyon, paris, france]


def test_a_person_only_takes_the_places_of_their_own_sentence() -> None:
    text = "Ana Lima lives in Porto.\n\nThe Porto office opens in Faro and Braga."
    people = [(0, 8)]
    places = [(18, 23), (30, 35), (52, 56), (61, 66)]
    assert places_to_redact(WITH_PERSON, text, places, people, []) == [(18, 23)]
    assert places_to_redact(WITH_PERSON, text, places, [], []) == []


def test_listing_location_among_the_entities_redacts_every_place(analyzer: Any) -> None:
    redactor = PresidioRedactor(analyzer, [*DEFAULT_ENTITIES, "LOCATION"], locations=OFF)
    assert redactor.location_policy is ALL
    assert redactor.redact("I will be travelling to Canada next week.", "en").text == (
        "I will be travelling to <LOCATION_1> next week."
    )


def test_an_allowed_place_stays(analyzer: Any) -> None:
    redactor = PresidioRedactor(analyzer, DEFAULT_ENTITIES, allow_list=["Canada"], locations=ALL)
    assert redactor.redact("I will be travelling to Canada next week.", "en").text == (
        "I will be travelling to Canada next week."
    )


def test_the_setting_parses_its_three_values_and_defaults_to_with_person(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    assert Settings(data_dir=tmp_path).redact_locations is WITH_PERSON
    for value, policy in [("off", OFF), ("with-person", WITH_PERSON), ("all", ALL)]:
        monkeypatch.setenv("ENCLAVE_REDACT_LOCATIONS", value)
        assert load_settings(data_dir=tmp_path).redact_locations is policy


def test_a_bad_value_of_the_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("ENCLAVE_REDACT_LOCATIONS", "sometimes")
    with pytest.raises(ConfigurationError, match=r"ENCLAVE_REDACT_LOCATIONS: .*'off', 'with-person' or 'all'"):
        load_settings(data_dir=tmp_path)


def test_the_ingestion_redactor_runs_the_default_policy(redactor: Any) -> None:
    assert redactor.location_policy is WITH_PERSON


# The evaluation: which labelled places each policy requires, on a tiny data set.
MOVED = "Jane Doe moved to Lyon. The Paris office is closed."
#        0    5    10   15   20   25   30   35   40   45   50
SHIPPED = "Ship to 12 Baker Street\nLondon, United Kingdom"
#          0    5    10   15   20    25   30   35   40
RECORDS = [
    Record(MOVED, (LabelledSpan("PERSON", 0, 8), LabelledSpan("GPE", 18, 22), LabelledSpan("GPE", 28, 33))),
    Record(
        SHIPPED,
        (LabelledSpan("STREET_ADDRESS", 8, 23), LabelledSpan("GPE", 24, 30), LabelledSpan("GPE", 32, 46)),
    ),
]


class Fixed:
    """Redacts the given spans of each text, and nothing else."""

    def __init__(self, found: dict[str, Sequence[tuple[str, int, int]]], policy: LocationPolicy) -> None:
        self._found = found
        self.location_policy = policy

    def redact(self, text: str, language: str | None = None) -> Redaction:
        spans = [EntitySpan(type=t, start=s, end=e) for t, s, e in self._found.get(text, ())]
        return Redaction(text=text, entities=spans, language="en")


# The person, the address, and the places with-person asks for: Lyon, London, United Kingdom.
WITH_PERSON_FOUND = {
    MOVED: [("PERSON", 0, 8), ("LOCATION", 18, 22)],
    SHIPPED: [("STREET_ADDRESS", 8, 23), ("LOCATION", 24, 30), ("LOCATION", 32, 46)],
}


def test_with_person_requires_the_places_beside_a_labelled_person_or_address() -> None:
    assert [(p.start, p.end) for p in required_places(RECORDS[0], WITH_PERSON)] == [(18, 22)]
    assert {(p.start, p.end) for p in required_places(RECORDS[1], WITH_PERSON)} == {(24, 30), (32, 46)}
    assert required_places(RECORDS[0], OFF) == set()
    assert len(required_places(RECORDS[0], ALL)) == 2


def test_each_policy_scores_the_same_redaction_by_its_own_rule() -> None:
    report = {policy: evaluate(Fixed(WITH_PERSON_FOUND, policy), RECORDS) for policy in LocationPolicy}
    # off: places count neither way, even redacted.
    assert "LOCATION" not in report[OFF].by_type and report[OFF].ignored_tokens == {"GPE": 5}
    assert report[OFF].over_redacted_tokens == 0
    # with-person: Lyon, London, United Kingdom required and redacted; Paris counts neither way.
    assert report[WITH_PERSON].by_type["LOCATION"].tokens == 4 and report[WITH_PERSON].by_type["LOCATION"].leaked == 0
    assert report[WITH_PERSON].ignored_tokens == {"GPE": 1}
    assert "with-person keeps it" in report[WITH_PERSON].to_dict()["not_redacted_by_design"]["GPE"]["reason"]
    # all: Paris is required too, and leaks.
    assert report[ALL].by_type["LOCATION"].tokens == 5 and report[ALL].by_type["LOCATION"].leaked == 1
    assert report[ALL].to_dict()["location_policy"] == "all"


def test_a_place_beside_a_person_the_redactor_missed_is_a_leak() -> None:
    missed = {MOVED: [("LOCATION", 28, 33)]}  # Paris (not required) redacted, Jane Doe and Lyon left
    score, ignored = score_record(RECORDS[0], [EntitySpan("LOCATION", 28, 33)], WITH_PERSON)
    assert score.by_type["LOCATION"].leaked == 1 and score.by_type["PERSON"].leaked == 2
    assert score.over_redacted == 0 and ignored == {"GPE": 1}  # redacting Paris costs nothing
    report = evaluate(Fixed(missed, WITH_PERSON), RECORDS[:1], examples=2)
    assert report.leaked_examples["LOCATION"] == [">>Lyon<<"]


def test_evaluate_takes_the_policy_given_over_the_redactor_s_own() -> None:
    report = evaluate(Fixed(WITH_PERSON_FOUND, WITH_PERSON), RECORDS, places=ALL)
    assert report.location_policy is ALL and report.by_type["LOCATION"].leaked == 1
