"""Request and response bodies of the HTTP API: the contract that the OpenAPI schema publishes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.retriever import SearchMode
from rag.types import DocumentStatus, FileOutcomeStatus

MAX_PAGE_NUMBER = 10**9


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Filters(_Strict):
    source: str | None = Field(default=None, description="Only chunks of this source path.")
    # Bounded: numbers past SQLite's and Chroma's 64-bit integers were a 500 (found by fuzzing).
    page_min: int | None = Field(default=None, ge=1, le=MAX_PAGE_NUMBER)
    page_max: int | None = Field(default=None, ge=1, le=MAX_PAGE_NUMBER)


class SearchRequest(Filters):
    query: str = Field(min_length=1, description="Redacted before it is embedded, searched or logged.")
    collection: str | None = None
    top_k: int | None = Field(default=None, ge=1, le=50)
    mode: SearchMode = Field(
        default=SearchMode.HYBRID,
        description="hybrid: dense and lexical (BM25) rankings fused; dense or lexical: that ranking alone.",
    )


LOCATION_DESCRIPTION = "Where in the file, when the page number alone does not say (a sheet, a slide, an OCR page)."
OCR_DESCRIPTION = "The text was read by OCR from a scanned page or an image: check it against the original."


class SearchResultItem(BaseModel):
    source: str
    page: int
    location: str | None = Field(default=None, description=LOCATION_DESCRIPTION)
    ocr: bool = Field(default=False, description=OCR_DESCRIPTION)
    chunk_id: str
    score: float
    similarity: float
    text: str


class SearchResponse(BaseModel):
    query: str = Field(description="The query as redacted and searched.")
    results: list[SearchResultItem]


class AskRequest(Filters):
    question: str = Field(min_length=1)
    collection: str | None = None
    top_k: int | None = Field(default=None, ge=1, le=20)


class CitationItem(BaseModel):
    n: int
    source: str
    page: int
    chunk_id: str
    score: float
    similarity: float
    text: str
    cited: bool
    location: str | None = Field(default=None, description=LOCATION_DESCRIPTION)
    ocr: bool = Field(default=False, description=OCR_DESCRIPTION)


class EvidenceItem(BaseModel):
    n: int = Field(description="The number of its source among the citations.")
    text: str = Field(description="The sentence, verbatim from the (redacted) source.")
    source: str
    page: int
    location: str | None = Field(default=None, description=LOCATION_DESCRIPTION)
    ocr: bool = Field(default=False, description=OCR_DESCRIPTION)
    chunk_id: str
    start: int = Field(description="Start of the sentence in the chunk's text (the citation's text).")
    end: int
    score: float


class AskResponse(BaseModel):
    answer: str
    answered: bool = Field(description="False when the documents do not say.")
    verified: bool = Field(description="The written answer passed the check against the quoted evidence.")
    state: str = Field(
        description="verified, quotes-only (no written answer passed the check), unverified (free generation "
        "that failed the check), not-in-documents or sources-disagree."
    )
    reason: str | None = Field(default=None, description="Why the answer is not verified.")
    evidence: list[EvidenceItem] = Field(description="The quoted sentences that answer the question, best first.")
    question: str = Field(description="The question as redacted, searched and prompted.")
    citations: list[CitationItem] = Field(description="The sources the prompt held, in prompt order.")
    citation_method: str
    guard: dict[str, int] = Field(description="Entities the output guard removed from the answer, by type.")
    timings: dict[str, int | float]


class ClassifyRequest(_Strict):
    text: str = Field(min_length=1)
    labels: list[str] | None = Field(default=None, min_length=2, description="Ad-hoc labels (or give labelset).")
    labelset: str | None = Field(default=None, description="A stored label set's name (or give labels).")
    multi_label: bool = False
    descriptions: dict[str, str] | None = Field(
        default=None, description="Optional words describing each ad-hoc label; common labels have built-in ones."
    )
    min_confidence: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Below this confidence the label is null: a human decides."
    )
    rerank_with_llm: bool = Field(
        default=False, description="Let the language model vote too (about a second a ticket on two cores)."
    )


class ClassifyResponse(BaseModel):
    label: str | None = Field(description="The best label, or null when its confidence is below min_confidence.")
    labels: list[str]
    confidence: float = Field(description="The best label's calibrated probability.")
    scores: dict[str, float] = Field(description="Each label's probability, best first (the best 50 at most).")


class SummarizeRequest(_Strict):
    text: str = Field(min_length=1)
    max_words: int = Field(default=60, ge=5, le=300)


class SummarizeResponse(BaseModel):
    summary: str
    removed: list[str] = Field(
        default_factory=list,
        description="Sentences of the model's summary dropped: they stated a number or placeholder not in the ticket.",
    )


class LabelSetCreate(_Strict):
    name: str = Field(min_length=1, max_length=64)
    labels: list[str]
    descriptions: dict[str, str] | None = None


class LabelledExample(_Strict):
    text: str = Field(min_length=1)
    label: str = Field(min_length=1)


class LabelSetTrain(_Strict):
    examples: list[LabelledExample] = Field(min_length=1)
    replace: bool = Field(default=False, description="Start again from these examples instead of adding them.")


class LabelSetView(BaseModel):
    name: str
    labels: list[str]
    descriptions: dict[str, str]
    created_at: str
    trained_at: str | None
    model: str = Field(description="trained, or zero-shot from the labels' names and descriptions")
    examples: int
    examples_per_label: dict[str, int]
    training: dict[str, float] = Field(description="What training chose: c, alpha, temperature, examples.")


class DocumentResult(BaseModel):
    source: str
    document_id: str | None
    status: FileOutcomeStatus
    chunks: int
    redactions: dict[str, int]
    reason: str | None


class UploadResponse(BaseModel):
    collection: str
    documents: list[DocumentResult]


class DocumentItem(BaseModel):
    document_id: str
    collection: str
    source: str
    status: DocumentStatus
    kind: str | None
    pages: int
    chunks: int
    redactions: dict[str, int]
    reason: str | None
    readers: list[str] | None = Field(
        default=None, description="Principals that may read it (None: not known, for a file that failed early)."
    )


class DocumentList(BaseModel):
    documents: list[DocumentItem]


class CollectionItem(BaseModel):
    name: str
    chunks: int
    documents: int


class CollectionList(BaseModel):
    collections: list[CollectionItem]


class ChatContentPart(BaseModel):
    """One part of a multi-part message, as OpenAI's clients send them. Text parts are joined into the message's
    text; a part of any other type (image_url, input_audio, file...) is refused with 400."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[ChatContentPart] | None = Field(
        default=None, description="The text, or a list of parts of which only text parts are accepted."
    )


class ChatCompletionRequest(BaseModel):
    """The subset of OpenAI's chat completions request that Enclave honours; other fields are ignored."""

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    collection: str | None = Field(default=None, description="Enclave extension: the collection to answer from.")
