"""French recognizers on French text: phone numbers, NIR, SIRET/SIREN, IBAN, postal addresses, names."""

from __future__ import annotations

from typing import Any

import pytest

from ingest.redaction.recognizers.payment_card import is_card_number
from ingest.redaction.recognizers.phone_pattern import find_phone_numbers
from ingest.redaction.recognizers.street_address import find_addresses


def _iban(country: str, bban: str) -> str:
    """A valid IBAN for ``bban``: check digits 98 - (number mod 97), letters as 10..35."""
    number = int("".join(str(int(ch, 36)) for ch in bban + country + "00"))
    return f"{country}{98 - number % 97:02d}{bban}"


def _grouped(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


@pytest.mark.parametrize(
    "number",
    ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "+33 (0)1 42 68 53 00", "0033 1 42 68 53 00"],
)
def test_french_phone_layouts_are_found_without_context(number: str) -> None:
    text = f"Réponse attendue avant vendredi, {number} pour les urgences."
    assert [text[s:e] for s, e, _ in find_phone_numbers(text)] == [number]


def test_short_digit_groups_need_a_phone_word() -> None:
    assert find_phone_numbers("Le lot 12 34 567 est livré.") == []
    text = "Appelez le standard au 12 34 567."
    assert [text[s:e] for s, e, _ in find_phone_numbers(text)] == ["12 34 567"]


def test_dates_amounts_and_versions_are_no_phone_numbers() -> None:
    text = "Le 2024-03-15, version 5.2.1, montant 1 250 000 EUR, serveur 10.0.12.4, à 12:30."
    assert find_phone_numbers(text) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Adresse : 14 rue des Tanneurs, 69001 Lyon.", "14 rue des Tanneurs, 69001 Lyon"),
        ("Le siège est au 12 bis avenue Jean Jaurès, 75019 Paris. Merci.", "12 bis avenue Jean Jaurès, 75019 Paris"),
        ("Livraison au 3 place de la Gare 21000 Dijon demain.", "3 place de la Gare 21000 Dijon"),
        ("Écrire à BP 1234, 69001 Lyon Cedex 01.", "BP 1234, 69001 Lyon Cedex 01"),
        ("Il habite 8, bd Haussmann\nBâtiment 2\n75009 Paris", "8, bd Haussmann\nBâtiment 2\n75009 Paris"),
    ],
)
def test_french_addresses_with_their_postcode_and_town(text: str, address: str) -> None:
    assert [text[s:e] for s, e in find_addresses(text)] == [address]


def test_common_words_that_are_street_types_are_no_address() -> None:
    text = "La réunion aura lieu en place Beauvau? Non: elle a lieu mardi, la route est longue."
    assert find_addresses(text) == []


def test_french_document_is_redacted(redactor: Any) -> None:
    iban = _grouped(_iban("FR", "30006000011234567890189"))
    text = (
        "Bonjour, je suis Claire Moreau, joignable au 06 12 34 56 78 ou au +33 (0)1 42 68 53 00. "
        "Numéro de sécurité sociale : 2 94 03 75 123 456 35. Mon IBAN : " + iban + ". "
        "La société Lumière SAS, SIREN 732 829 320, SIRET 732 829 320 00074, a son siège au "
        "12 bis avenue Jean Jaurès, 75019 Paris. Interlocuteur : M. Julien Lefèvre."
    )
    result = redactor.redact(text)
    assert result.language == "fr"
    for value in ("Claire", "Moreau", "06 12", "42 68", "123 456", iban[:9], "732 829", "Jaurès", "Lefèvre"):
        assert value not in result.text, value
    types = {e.type for e in result.entities}
    assert {"PERSON", "PHONE_NUMBER", "FR_NIR", "IBAN_CODE", "FR_SIREN", "FR_SIRET", "STREET_ADDRESS"} <= types


def test_corsican_nir_is_found(redactor: Any) -> None:
    text = "Numéro de sécurité sociale de l'assuré : 1 94 02 2B 012 345 05, merci de le conserver."
    result = redactor.redact(text, "fr")
    assert "012 345" not in result.text
    assert [e.type for e in result.entities] == ["FR_NIR"]


def test_nir_with_a_wrong_key_is_left_alone(redactor: Any) -> None:
    text = "Référence interne 2 94 03 75 123 456 36 du dossier."
    assert "FR_NIR" not in {e.type for e in redactor.redact(text, "fr").entities}


@pytest.mark.parametrize(
    "text",
    [
        # The key of these does not check (mistyped), or there is none: their label makes them personal all the same.
        "Son numéro de sécurité sociale est 1 85 05 69 123 456 78, à vérifier.",
        "numéro de sécurité sociale : 1.85.05.69.123.456.78",
        "NIR : 185056912345678",
        "N° de sécu 1 85 05 69 123 456 (clé manquante).",
        # A key that checks makes it certain, whatever the spelling and with no label.
        "Dossier de 2 55 08 14 168 025 38 transmis.",
        "Dossier de 2.55.08.14.168.025.38 transmis.",
        "Dossier de 255081416802538 transmis.",
    ],
)
def test_nir_in_every_usual_spelling(redactor: Any, text: str) -> None:
    result = redactor.redact(text, "fr")
    assert [e.type for e in result.entities] == ["FR_NIR"], result.text
    assert not any(group in result.text for group in ("123 456", "123.456", "168", "69123"))


def test_a_nir_shaped_order_number_without_a_label_is_left_alone(redactor: Any) -> None:
    text = "Commande 1 85 05 69 123 456 78 expédiée hier."
    assert redactor.redact(text, "fr").text == text


def test_french_facts_survive_redaction(redactor: Any) -> None:
    text = (
        "Le télétravail est autorisé 2 jours par semaine maximum. Le ticket restaurant est de 4,20 EUR. "
        "L'article 12 du règlement s'applique depuis le 1er janvier 2024. Contactez le service RH avant le 15 mars."
    )
    assert redactor.redact(text, "fr").text == text


def test_card_numbers_need_network_prefix_and_luhn() -> None:
    assert is_card_number("4111 1111 1111 1111")
    assert is_card_number("5018 6466 7909")  # 12-digit Maestro
    assert not is_card_number("4111 1111 1111 1112")  # Luhn fails
    assert not is_card_number("9111 1111 1111 1110")  # passes Luhn, but no network starts with 9
