"""The wiring of redaction: spaCy pipelines loaded (never downloaded), Presidio's analyzer built with our
recognizers registered beside its own, and the redactor made from settings.

Like Presidio's ``NlpEngineProvider``, this is the one place that loads models; the redactor receives
the analyzer built here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, PatternRecognizer
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import PhoneRecognizer
from presidio_analyzer.recognizer_registry import RecognizerRegistry

from ingest.redaction.names import vocabulary_of
from ingest.redaction.recognizers import (
    french_identifier_recognizers,
    generic_recognizers,
    name_recognizers,
    pattern_recognizers,
    street_address_recognizers,
)
from ingest.redaction.recognizers.phone import windowed
from ingest.redaction.redactor import PresidioRedactor
from rag.errors import ConfigurationError
from rag.offline import use_bundled_public_suffix_list
from rag.types import LocationPolicy


def load_spacy_pipeline(
    name: str,
    exclude: Sequence[str] = (),
    matrix_library: Literal["openblas", "blis"] = "openblas",
) -> object:
    """Load a spaCy pipeline by installed package name or folder, without the ``exclude`` components;
    never download one."""
    # Deferred: spaCy and thinc take seconds to import, and only this loader needs them.
    import spacy
    from thinc.api import use_ops

    if matrix_library == "openblas":
        _single_threaded_numpy_blas()
    try:
        # thinc's matrix products go through BLIS unless told otherwise; on AVX-512 CPUs BLIS runs them at
        # a third of numpy's OpenBLAS speed, a quarter of redaction's time on pages. Layers keep the ops
        # they were built with, so the choice holds for the pipeline's whole life.
        with use_ops("numpy", use_blis=matrix_library == "blis"):
            nlp = spacy.load(name, exclude=list(exclude))
    except OSError as exc:
        raise ConfigurationError(
            f"spaCy pipeline {name!r} is not installed and will not be downloaded; install its package "
            "or set ENCLAVE_SPACY_MODELS to an installed one"
        ) from exc
    return nlp


def _single_threaded_numpy_blas() -> None:
    """Keep numpy's OpenBLAS to one thread, as BLIS was: a redaction worker owns one core, and in the
    server spaCy runs beside the generator's threads."""
    # Deferred: needed only when a pipeline is loaded.
    from threadpoolctl import ThreadpoolController

    ThreadpoolController().select(internal_api="openblas").limit(limits=1)


def build_analyzer(
    spacy_models: Mapping[str, str],
    deny_list: Sequence[str] = (),
    exclude_components: Mapping[str, Sequence[str]] | None = None,
    matrix_library: Literal["openblas", "blis"] = "openblas",
) -> AnalyzerEngine:
    """Presidio's analyzer over the spaCy pipelines of ``spacy_models`` (language -> package or folder),
    with Presidio's recognizers and Enclave's."""
    use_bundled_public_suffix_list()
    languages = list(spacy_models)
    if not languages:
        raise ConfigurationError("at least one spaCy pipeline is needed for redaction")
    nlp_engine = SpacyNlpEngine(
        models=[{"lang_code": lang, "model_name": name} for lang, name in spacy_models.items()],
        ner_model_configuration=NerModelConfiguration(),
    )
    # Loading the pipelines ourselves skips Presidio's download-if-missing path.
    excluded = exclude_components or {}
    pipelines = {
        lang: load_spacy_pipeline(name, excluded.get(lang, ()), matrix_library) for lang, name in spacy_models.items()
    }
    nlp_engine.nlp = cast(Any, pipelines)

    registry = RecognizerRegistry(supported_languages=languages)
    registry.load_predefined_recognizers(languages=languages, nlp_engine=nlp_engine)
    registry.recognizers = [windowed(r) if type(r) is PhoneRecognizer else r for r in registry.recognizers]
    extra: list[EntityRecognizer] = [*street_address_recognizers(), *french_identifier_recognizers()]
    # Common words of every configured language: a given name that is also one ("Will") needs more.
    vocabulary = frozenset[str]().union(*(vocabulary_of(nlp) for nlp in pipelines.values()))
    # Cues admit single unknown words, so nouns count as common words there ("Bot:", "Date:").
    with_nouns = vocabulary.union(*(vocabulary_of(nlp, ("noun",)) for nlp in pipelines.values()))
    for language in languages:
        extra.extend(name_recognizers(language, vocabulary, with_nouns))
        extra.extend(pattern_recognizers(language))
        if language != "en":
            extra.extend(generic_recognizers(language))
        if deny_list:
            extra.append(
                PatternRecognizer(
                    supported_entity="DENY_LIST",
                    supported_language=language,
                    deny_list=list(deny_list),
                    name=f"DenyList_{language}",
                )
            )
    for recognizer in extra:
        if recognizer.supported_language in languages:
            registry.add_recognizer(recognizer)
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=languages)


def build_presidio_redactor(
    spacy_models: Mapping[str, str],
    entities: Sequence[str],
    score_threshold: float = 0.35,
    allow_list: Sequence[str] = (),
    deny_list: Sequence[str] = (),
    exclude_components: Mapping[str, Sequence[str]] | None = None,
    matrix_library: Literal["openblas", "blis"] = "openblas",
    locations: LocationPolicy = LocationPolicy.WITH_PERSON,
) -> PresidioRedactor:
    """The redactor over a freshly built analyzer; a deny-list adds the ``DENY_LIST`` entity, and
    ``locations`` says which place names go (ingest/redaction/places.py)."""
    analyzer = build_analyzer(spacy_models, deny_list, exclude_components, matrix_library)
    wanted = [*entities, "DENY_LIST"] if deny_list else list(entities)
    return PresidioRedactor(analyzer, wanted, score_threshold, allow_list, locations)
