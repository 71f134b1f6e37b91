"""HTTP routes: search, ask (JSON or Server-Sent Events), tickets, documents, collections, health."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import State, UploadFile
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage
from litestar.status_codes import HTTP_201_CREATED, HTTP_503_SERVICE_UNAVAILABLE

from api.problems import problem
from api.schemas import (
    AskRequest,
    AskResponse,
    ClassifyRequest,
    ClassifyResponse,
    CollectionItem,
    CollectionList,
    DocumentItem,
    DocumentList,
    DocumentResult,
    EvidenceItem,
    SearchRequest,
    SearchResponse,
    SearchResultItem,
    SummarizeRequest,
    SummarizeResponse,
    UploadResponse,
)
from api.security import RequestContext
from api.services import Services, iterate_in_thread
from ingest.lock import store_write_lock
from ingest.pipeline import document_id_for
from rag.answer import Answer, Quotes
from rag.errors import (
    ConflictError,
    DocumentNotFoundError,
    EnclaveError,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedDocumentError,
)
from rag.evidence import Evidence
from rag.retriever import SearchFilters
from rag.store import validate_collection_name

_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def services_of(state: State) -> Services:
    services: Services = state.services
    return services


def collection_of(services: Services, name: str | None) -> str:
    return validate_collection_name(name or services.settings.default_collection)


def filters_of(data: Any) -> SearchFilters:
    return SearchFilters(source=data.source, page_min=data.page_min, page_max=data.page_max)


def evidence_items(evidence: list[Evidence]) -> list[EvidenceItem]:
    return [
        EvidenceItem(
            n=e.n,
            text=e.text,
            source=e.source,
            page=e.page,
            location=e.location,
            chunk_id=e.chunk_id,
            start=e.start,
            end=e.end,
            score=e.score,
        )
        for e in evidence
    ]


def answer_body(answer: Answer) -> AskResponse:
    return AskResponse(
        answer=answer.answer,
        answered=answer.answered,
        verified=answer.verified,
        state=str(answer.state),
        reason=answer.reason,
        evidence=evidence_items(answer.evidence),
        question=answer.question,
        citations=[asdict(citation) for citation in answer.citations],  # type: ignore[misc]
        citation_method=answer.citation_method,
        guard=answer.guard,
        timings=answer.timings,
    )


def safe_upload_name(filename: str | None) -> str:
    """A display name for an upload: its last path component, printable, never used as a path."""
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "upload"
    return name[:200]


class SearchController(Controller):
    path = "/v1"
    tags = ["retrieval"]  # noqa: RUF012  (Litestar declares it as an instance attribute)

    @post("/search", sync_to_thread=True, status_code=200)
    def search(
        self,
        data: JSONBody[SearchRequest],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> SearchResponse:
        """Hybrid (dense + BM25), dense or lexical search; the query is redacted first. Never waits behind
        generation."""
        collection = collection_of(services, data.collection)
        context.require("read", collection)
        found = services.answers.search(data.query, collection, data.top_k, filters_of(data), data.mode)
        context.audit.update(question=found.query, chunk_ids=[hit.chunk_id for hit in found.hits])
        return SearchResponse(
            query=found.query,
            results=[
                SearchResultItem(
                    source=hit.source,
                    page=hit.page,
                    chunk_id=hit.chunk_id,
                    score=round(hit.score, 6),
                    similarity=float(hit.metadata.get("similarity", 0.0)),
                    text=hit.text,
                )
                for hit in found.hits
            ],
        )

    @post(
        "/ask",
        status_code=200,
        # Annotated as a plain Response so that the streamed form keeps its text/event-stream type.
        responses={
            200: ResponseSpec(
                data_container=AskResponse,
                description="The answer, or with stream=true "
                "Server-Sent Events: one 'evidence' event, 'token' events, then one 'answer' event.",
            )
        },
    )
    async def ask(
        self,
        data: JSONBody[AskRequest],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
        stream: Annotated[bool, QueryParameter(description="Answer as Server-Sent Events.")] = False,
    ) -> Response[Any]:
        """Answer from the collection's documents with numbered citations (or say they do not say)."""
        collection = collection_of(services, data.collection)
        context.require("read", collection)
        filters = filters_of(data)
        if stream:
            services.queue.check()
            return ServerSentEvent(_answer_events(services, context, data, collection, filters))
        async with services.queue.admit():
            answer = await anyio.to_thread.run_sync(
                lambda: services.answers.ask(data.question, collection, data.top_k, filters)
            )
        note_answer(context, answer)
        return Response(answer_body(answer))


def note_answer(context: RequestContext, answer: Answer) -> None:
    """What the audit trail keeps of an answer: the redacted question, sources and guard counts."""
    context.audit.update(
        question=answer.question,
        chunk_ids=[citation.chunk_id for citation in answer.citations],
        guard=answer.guard,
        answered=answer.answered,
        verified=answer.verified,
        state=str(answer.state),
    )


async def _answer_events(
    services: Services, context: RequestContext, data: AskRequest, collection: str, filters: SearchFilters
) -> AsyncIterator[ServerSentEventMessage]:
    """One ``evidence`` event (the quotes), ``token`` events carrying the answer's text as it passes the checks,
    then one ``answer`` event."""
    try:
        async with services.queue.admit():
            async for item in iterate_in_thread(
                lambda: services.answers.ask_stream(data.question, collection, data.top_k, filters)
            ):
                if isinstance(item, Answer):
                    note_answer(context, item)
                    body = answer_body(item).model_dump()
                    yield ServerSentEventMessage(event="answer", data=json.dumps(body, ensure_ascii=False))
                elif isinstance(item, Quotes):
                    quotes = [e.model_dump() for e in evidence_items(item.evidence)]
                    yield ServerSentEventMessage(event="evidence", data=json.dumps(quotes, ensure_ascii=False))
                else:
                    yield ServerSentEventMessage(event="token", data=json.dumps({"text": item}, ensure_ascii=False))
    except EnclaveError as exc:
        error = {"type": "about:blank", "title": exc.title, "status": exc.status, "detail": exc.detail}
        yield ServerSentEventMessage(event="error", data=json.dumps(error))


class TicketController(Controller):
    path = "/v1/tickets"
    tags = ["tickets"]  # noqa: RUF012  (Litestar declares it as an instance attribute)

    @post("/classify", status_code=200)
    async def classify(
        self,
        data: JSONBody[ClassifyRequest],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> ClassifyResponse:
        """Redact the ticket, then pick one of the caller's labels (or several with multi_label)."""
        context.require("read")
        return (await _classify_all(services, [data]))[0]

    @post("/classify:batch", status_code=200)
    async def classify_batch(
        self,
        data: JSONBody[list[ClassifyRequest]],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> list[ClassifyResponse]:
        """Classify a list of tickets; results in the same order."""
        context.require("read")
        _check_batch(services, data)
        return await _classify_all(services, data)

    @post("/summarize", status_code=200)
    async def summarize(
        self,
        data: JSONBody[SummarizeRequest],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> SummarizeResponse:
        """A short summary of the redacted ticket."""
        context.require("read")
        return (await _summarize_all(services, [data]))[0]

    @post("/summarize:batch", status_code=200)
    async def summarize_batch(
        self,
        data: JSONBody[list[SummarizeRequest]],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> list[SummarizeResponse]:
        """Summarize a list of tickets; results in the same order."""
        context.require("read")
        _check_batch(services, data)
        return await _summarize_all(services, data)


def _check_batch(services: Services, items: list[Any]) -> None:
    if not items:
        raise InvalidInputError("the batch is empty")
    if len(items) > services.settings.max_batch_items:
        raise InvalidInputError(f"at most {services.settings.max_batch_items} items per batch")


async def _classify_all(services: Services, items: list[ClassifyRequest]) -> list[ClassifyResponse]:
    def work() -> list[ClassifyResponse]:
        results = []
        for item in items:
            result = services.tickets.classify(item.text, item.labels, item.multi_label, item.descriptions)
            results.append(ClassifyResponse(label=result.label, labels=result.labels, scores=result.scores))
        return results

    async with services.queue.admit():
        return await anyio.to_thread.run_sync(work)


async def _summarize_all(services: Services, items: list[SummarizeRequest]) -> list[SummarizeResponse]:
    def work() -> list[SummarizeResponse]:
        return [
            SummarizeResponse(summary=services.tickets.summarize(item.text, item.max_words).summary) for item in items
        ]

    async with services.queue.admit():
        return await anyio.to_thread.run_sync(work)


@dataclass
class UploadOperation(Operation):
    """The upload's OpenAPI operation, with the multipart body its handler reads from the form itself."""

    def __post_init__(self) -> None:
        file = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        self.request_body = RequestBody(
            required=True,
            description="One or more files, under any field names.",
            content={
                "multipart/form-data": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.OBJECT, additional_properties=file)
                )
            },
        )


class DocumentController(Controller):
    path = "/v1"
    tags = ["documents"]  # noqa: RUF012  (Litestar declares it as an instance attribute)

    @post("/documents", status_code=HTTP_201_CREATED, operation_class=UploadOperation)
    async def upload(
        self,
        request: Request[Any, Any, Any],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
        collection: FromQuery[str | None] = None,
        replace: Annotated[
            bool, QueryParameter(description="Replace documents of the same names; without it they are a 409.")
        ] = False,
    ) -> UploadResponse:
        """Upload files (multipart, any field name) through the ingestion pipeline.

        A file named like a document already in the collection is refused (409) unless ``replace=true``."""
        name = collection_of(services, collection)
        context.require("write", name)
        context.audit["replace"] = replace
        limit = services.settings.max_upload_bytes
        # The form is read here rather than declared as a typed body: Litestar's typed multipart
        # extractor answers an empty multipart body with a 500 (found by fuzzing).
        try:
            form = await request.form()
        except (ValueError, IndexError) as exc:  # a field that is not text in its charset, a broken part
            raise InvalidInputError(f"the upload is not a readable multipart form: {type(exc).__name__}") from exc
        uploads = []
        for upload in (value for _, value in form.multi_items() if isinstance(value, UploadFile)):
            content = await upload.read()
            if len(content) > limit:
                raise PayloadTooLargeError(f"{len(content)} bytes is more than the upload limit of {limit}")
            uploads.append((safe_upload_name(upload.filename), content))
        if not uploads:
            raise InvalidInputError("no file in the upload")
        try:
            results = await anyio.to_thread.run_sync(lambda: _ingest_uploads(services, name, uploads, replace))
        except UploadConflictError as exc:
            context.audit.update(
                documents=[{"source": s, "document_id": d, "status": "conflict"} for s, d in exc.documents]
            )
            raise
        context.audit.update(
            documents=[
                {"source": r.source, "document_id": r.document_id, "status": r.status, "chunks": r.chunks}
                for r in results
            ]
        )
        if all(result.status == "failed" for result in results):
            reasons = "; ".join(f"{r.source}: {r.reason}" for r in results)
            raise UnsupportedDocumentError(reasons)
        return UploadResponse(collection=name, documents=results)

    @get("/documents", sync_to_thread=True)
    def list_documents(
        self,
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
        collection: FromQuery[str | None] = None,
    ) -> DocumentList:
        """Documents in the ledger, with their status, chunks and redaction counts."""
        name = collection_of(services, collection) if collection else None
        context.require("read", name)
        return DocumentList(
            documents=[
                DocumentItem(
                    document_id=e.document_id,
                    collection=e.collection,
                    source=e.source,
                    status=e.status,
                    kind=e.kind,
                    pages=e.pages,
                    chunks=e.chunk_count,
                    redactions=e.redactions,
                    reason=e.reason,
                )
                for e in services.ledger.entries(collection=name)
                if context.principal.sees(e.collection)
            ]
        )

    @delete("/documents/{document_id:str}", sync_to_thread=True, status_code=200)
    def delete_document(
        self,
        document_id: FromPath[str],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
        collection: FromQuery[str | None] = None,
    ) -> DocumentResult:
        """Forget a document: every chunk and vector of it, and its ledger entry."""
        name = collection_of(services, collection)
        context.require("write", name)
        context.audit.update(documents=[{"document_id": document_id}])
        with store_write_lock(services.settings.lock_path, services.settings.lock_timeout_seconds):
            outcome = services.pipeline.forget_document(name, document_id)
        if outcome is None:
            raise DocumentNotFoundError(f"no document {document_id!r} in collection {name!r}")
        return DocumentResult(
            source=outcome.source,
            document_id=document_id,
            status=outcome.status,
            chunks=outcome.chunks,
            redactions={},
            reason=None,
        )

    @get("/collections", sync_to_thread=True)
    def collections(
        self, services: NamedDependency[Services], context: NamedDependency[RequestContext]
    ) -> CollectionList:
        """Collections with their chunk and document counts (those this key may see)."""
        context.require("read")
        names = context.visible(services.store.collections())
        documents: dict[str, int] = {}
        for entry in services.ledger.entries(status="done"):
            documents[entry.collection] = documents.get(entry.collection, 0) + 1
        return CollectionList(
            collections=[
                CollectionItem(name=n, chunks=services.store.count(n), documents=documents.get(n, 0)) for n in names
            ]
        )


class UploadConflictError(ConflictError):
    """Files of an upload named like documents of the collection (or like each other): nothing was ingested."""

    def __init__(self, detail: str, documents: list[tuple[str, str]]) -> None:
        super().__init__(detail)
        self.documents = documents  # (source, document id)


UPLOAD_ROOT = "upload:"


def _ingest_uploads(
    services: Services, collection: str, uploads: list[tuple[str, bytes]], replace: bool = False
) -> list[DocumentResult]:
    """Ingest every file of an upload, or none: an upload's name is its document's identity in the collection."""
    named = [(source, document_id_for(UPLOAD_ROOT, source)) for source, _ in uploads]
    sources = [source for source, _ in named]
    twice = sorted({(source, document_id) for source, document_id in named if sources.count(source) > 1})
    if twice:
        names = ", ".join(source for source, _ in twice)
        raise UploadConflictError(f"more than one file named {names} in one upload", twice)
    results = []
    with store_write_lock(services.settings.lock_path, services.settings.lock_timeout_seconds):
        # Checked under the writer's lock, so that two uploads of one name cannot both pass it. A failed
        # upload left nothing in the store: trying again replaces no one's document.
        taken = [
            (source, document_id)
            for source, document_id in named
            if (entry := services.ledger.get(collection, document_id)) is not None and entry.status != "failed"
        ]
        if taken and not replace:
            names = ", ".join(source for source, _ in taken)
            raise UploadConflictError(
                f"{names}: a document of this name is already in collection {collection!r}; "
                "upload with replace=true to replace it",
                taken,
            )
        for source, content in uploads:
            outcome = services.pipeline.ingest_bytes(
                content,
                collection=collection,
                root=UPLOAD_ROOT,
                source=source,
                path=f"{UPLOAD_ROOT}{collection}/{source}",
            )
            results.append(
                DocumentResult(
                    source=source,
                    document_id=outcome.document_id,
                    status=outcome.status,
                    chunks=outcome.chunks,
                    redactions=dict(outcome.redactions),
                    reason=outcome.reason,
                )
            )
    return results


@get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", tags=["health"], sync_to_thread=True)
def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Models loaded and the store reachable."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return problem(HTTP_503_SERVICE_UNAVAILABLE, "Not ready", "models are still loading")
    try:
        services.store.heartbeat()
    except EnclaveError as exc:
        return problem(HTTP_503_SERVICE_UNAVAILABLE, "Not ready", exc.detail)
    return Response({"status": "ready", "queue_depth": services.queue.depth})
