"""What flows between the stages: loaded pages, redactions, chunks, search hits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt


class EmbedderBackend(StrEnum):
    """What computes the embeddings (rag/components.py's registry builds each)."""

    TORCH = "torch"  # fp32 sentence-transformers
    ONNX_INT8 = "onnx-int8"  # an int8 ONNX export run by ONNX Runtime
    OPENVINO = "openvino"  # the fp32 ONNX export compiled by OpenVINO (bfloat16 where the CPU has it)
    OPENVINO_INT8 = "openvino-int8"  # its linear layers in int8, compiled by OpenVINO


class IngestExecutor(StrEnum):
    """What runs ingestion's prepare step (ingest/executors/ builds each)."""

    LOCAL = "local"  # processes on this machine
    DASK = "dask"  # the workers of a Dask distributed cluster


class DocumentStatus(StrEnum):
    """Where a document stands in the ledger: written to the stores, half-written, or refused."""

    PENDING = "pending"  # being written (or a crash left it half-written: `enclave check --repair`)
    DONE = "done"
    FAILED = "failed"


class FileOutcomeStatus(StrEnum):
    """What one ingestion run did with one file."""

    NEW = "new"
    CHANGED = "changed"
    SKIPPED = "skipped"  # unchanged since it was last ingested
    PERMISSIONS_CHANGED = "permissions-changed"  # unchanged, but its readers changed: metadata only
    FAILED = "failed"
    FORGOTTEN = "forgotten"  # gone from the folder, so removed from the stores

    @property
    def written(self) -> bool:
        return self in (FileOutcomeStatus.NEW, FileOutcomeStatus.CHANGED)

    @property
    def unchanged(self) -> bool:
        """Its text and chunks are kept as they were (its readers may have been updated)."""
        return self in (FileOutcomeStatus.SKIPPED, FileOutcomeStatus.PERMISSIONS_CHANGED)


class AnswerMode(StrEnum):
    """How answers are written: from quoted evidence and checked (the default), or freely from the sources."""

    QUOTE_FIRST = "quote-first"
    GENERATE = "generate"


class LocationPolicy(StrEnum):
    """Which place names (cities, countries, regions) the redactor removes (ingest/redaction/places.py)."""

    OFF = "off"  # none: places stay, as the facts documents are retrieved by
    WITH_PERSON = "with-person"  # those in a sentence with a person, or in an address block
    ALL = "all"  # every one


@dataclass(frozen=True)
class Page:
    """One page of a loaded document; documents without pages have a single page numbered 1.

    ``number`` is the page where the file has pages, otherwise the position of the unit a loader splits
    the file into (a sheet or block of rows, a slide, a section), counted from 1. ``location`` says where
    in the file the text is in a person's words when a page number alone does not ("sheet Customers, rows
    2-120", "slide 4", "section 3"); ``ocr`` marks text read from an image rather than from a text layer.
    """

    number: int
    text: str
    location: str | None = None
    ocr: bool = False


@dataclass(frozen=True)
class Attachment:
    """A file carried inside another (an e-mail's attachment): ingested as its own document."""

    name: str
    data: bytes


@dataclass(frozen=True)
class LoadedDocument:
    kind: str  # pdf, text, markdown, html, email
    pages: list[Page]
    title: str | None = None
    pages_without_text: int = 0
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # a person-readable note per truncation or skip

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages)


@dataclass(frozen=True)
class EntitySpan:
    """A piece of personal data found in a text: its type and offsets in the *input* text."""

    type: str
    start: int
    end: int
    score: float = 1.0


@dataclass(frozen=True)
class Redaction:
    """A redacted text with the spans found in the input and the placeholders put in their place."""

    text: str
    entities: list[EntitySpan]
    language: str

    @property
    def counts(self) -> Counter[str]:
        return Counter(entity.type for entity in self.entities)


@dataclass(frozen=True)
class Chunk:
    """A piece of a redacted page, the unit that is embedded and stored."""

    chunk_id: str
    document_id: str
    source: str
    page: int
    chunk_index: int
    start: int  # character span in the redacted page text
    end: int
    text: str
    token_count: int
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class FileToPrepare:
    """A file's bytes on their way to ingestion's prepare step, named as the ledger names it."""

    root: str  # the folder it was found under (part of its document id)
    source: str  # its path below ``root``
    data: bytes


@dataclass
class PreparedDocument:
    """A file, or an attachment inside it (``message.msg › contract.docx``), after the prepare step: its
    redacted chunks and their vectors with the redaction counts, or why it cannot be indexed."""

    source: str
    content_hash: str
    kind: str = ""  # as the content sniffer named it; empty when it could not be loaded
    pages: int = 0
    warnings: list[str] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    embeddings: npt.NDArray[np.float32] | None = None
    redactions: Counter[str] = field(default_factory=Counter)
    failure: str | None = None


@dataclass
class PreparedBatch:
    """The prepare step's answer for a batch of files: per file, the file first and then its attachments,
    with the seconds each stage was busy (load, redact, chunk, embed) wherever it ran."""

    files: list[list[PreparedDocument]]
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    chunk_id: str
    document_id: str
    source: str
    page: int
    text: str
    score: float
    metadata: dict[str, str | int | float | bool] = field(default_factory=dict)

    @property
    def location(self) -> str | None:
        """Where in the file the chunk is, when its page number alone does not say (``Page.location``)."""
        location = self.metadata.get("location")
        return str(location) if location else None

    @property
    def ocr(self) -> bool:
        """Whether the chunk's text was read by OCR from an image (``Page.ocr``)."""
        return self.metadata.get("ocr") is True

    def to_dict(self) -> dict[str, str | int | float | bool | None]:
        """The hit as `enclave search --json` and ``POST /v1/search`` show it."""
        return {
            "source": self.source,
            "page": self.page,
            "location": self.location,
            "ocr": self.ocr,
            "chunk_id": self.chunk_id,
            "score": round(self.score, 6),
            "similarity": float(self.metadata.get("similarity", 0.0)),
            "text": self.text,
        }


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    first_token_seconds: float
    total_seconds: float

    @property
    def tokens_per_second(self) -> float:
        # Tokens after the first, over the time after the first: the usual decode rate.
        decoding = self.total_seconds - self.first_token_seconds
        return (self.completion_tokens - 1) / decoding if decoding > 0 and self.completion_tokens > 1 else 0.0
