"""Pattern recognizers Presidio lacks for our documents: street addresses and French identifiers."""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
)

# Regions whose national phone formats we expect in our users' documents.
PHONE_REGIONS = ("US", "GB", "FR", "DE", "BE", "CH", "CA", "IE", "ES", "IT", "NL", "LU")

_EN_STREET_TYPES = (
    r"Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?|Court|Ct\.?|"
    r"Place|Pl\.?|Way|Terrace|Close|Square|Sq\.?|Parkway|Pkwy\.?|Highway|Hwy\.?|Circle|Cir\.?|Row|Crescent"
)
_FR_STREET_TYPES = r"rue|avenue|av\.|boulevard|bd|place|allée|allee|impasse|chemin|quai|route|cours|square|passage"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


class LuhnPatternRecognizer(PatternRecognizer):
    """A pattern whose digits must pass the Luhn check (SIREN and SIRET numbers)."""

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = "".join(ch for ch in pattern_text if ch.isdigit())
        return _luhn_ok(digits)


class FrenchNirRecognizer(PatternRecognizer):
    """French social security number (NIR): 13 digits and a two-digit key, 97 - (number mod 97)."""

    def validate_result(self, pattern_text: str) -> bool | None:
        compact = "".join(ch for ch in pattern_text if ch.isalnum()).upper()
        if len(compact) != 15:
            return False
        # Corsican departments 2A and 2B are replaced by 19 and 18 for the key.
        body = compact[:13].replace("2A", "19").replace("2B", "18")
        if not body.isdigit() or not compact[13:].isdigit():
            return False
        return 97 - int(body) % 97 == int(compact[13:])


def street_address_recognizers() -> list[EntityRecognizer]:
    english = PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        supported_language="en",
        name="EnglishStreetAddressRecognizer",
        patterns=[
            Pattern(
                "number and street",
                rf"\b\d{{1,5}}[A-Za-z]?(?:-\d{{1,5}})?\s+(?:[A-Z][A-Za-z'.-]*\s+){{0,4}}(?:{_EN_STREET_TYPES})"
                r"(?:,?\s+(?:Suite|Ste\.?|Apt\.?|Unit|Floor)\s+\w+)?(?=\W|$)",
                0.6,
            )
        ],
        context=["address", "street", "located", "resides", "lives", "ship", "mail"],
    )
    french = PatternRecognizer(
        supported_entity="STREET_ADDRESS",
        supported_language="fr",
        name="FrenchStreetAddressRecognizer",
        patterns=[
            Pattern(
                "numéro et voie",
                rf"(?i:\b\d{{1,4}}(?:\s?(?:bis|ter))?,?\s+(?:{_FR_STREET_TYPES})\s+)"
                r"(?:(?:de\s+la|de\s+l'|du|des|de|d'|la|le|les|l')\s*)?[A-ZÉÈÀ][\w'-]+(?:\s+[A-ZÉÈÀ][\w'-]+){0,3}",
                0.6,
            )
        ],
        context=["adresse", "domicile", "siège", "situé", "demeurant"],
    )
    return [english, french]


def french_identifier_recognizers() -> list[EntityRecognizer]:
    nir = FrenchNirRecognizer(
        supported_entity="FR_NIR",
        supported_language="fr",
        name="FrenchNirRecognizer",
        patterns=[
            Pattern(
                "NIR",
                r"\b[12]\s?\d{2}\s?(?:0[1-9]|1[0-2]|[2-9]\d)\s?(?:\d{2}|2[ABab])\s?\d{3}\s?\d{3}\s?\d{2}\b",
                0.6,
            )
        ],
        context=["sécurité sociale", "securite sociale", "nir", "insee", "numéro de sécu"],
    )
    siret = LuhnPatternRecognizer(
        supported_entity="FR_SIRET",
        supported_language="fr",
        name="FrenchSiretRecognizer",
        patterns=[Pattern("SIRET", r"\b\d{3}\s?\d{3}\s?\d{3}\s?\d{5}\b", 0.5)],
        context=["siret", "établissement", "etablissement"],
    )
    # Nine digits pass Luhn one time in ten by chance, so a SIREN needs its context word to score.
    siren = LuhnPatternRecognizer(
        supported_entity="FR_SIREN",
        supported_language="fr",
        name="FrenchSirenRecognizer",
        patterns=[Pattern("SIREN", r"\b\d{3}\s?\d{3}\s?\d{3}\b", 0.2)],
        context=["siren", "rcs", "immatriculée", "immatriculation"],
    )
    return [nir, siret, siren]


def generic_recognizers(language: str) -> list[EntityRecognizer]:
    """Language-independent pattern recognizers, instantiated for ``language``."""
    return [
        EmailRecognizer(supported_language=language),
        CreditCardRecognizer(supported_language=language),
        IbanRecognizer(supported_language=language),
        IpRecognizer(supported_language=language),
        PhoneRecognizer(supported_language=language, supported_regions=PHONE_REGIONS),
    ]
