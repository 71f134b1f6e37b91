"""Documents and collections: upload (``POST /v1/documents``), list, delete, and ``GET /v1/collections``.

An upload is ingested whole or not at all: its file names are its documents' identities in the collection."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.status_codes import HTTP_201_CREATED

from api.keys import Permission
from api.route_helpers import collection_of
from api.schemas import CollectionItem, CollectionList, DocumentItem, DocumentList, DocumentResult, UploadResponse
from api.security import RequestContext
from api.services import Services
from ingest.admission import document_id_for
from ingest.lock import store_write_lock
from rag.access import EVERYONE, split_principals
from rag.errors import (
    ConflictError,
    DocumentNotFoundError,
    ForbiddenError,
    InvalidInputError,
    PayloadTooLargeError,
    UnsupportedDocumentError,
)
from rag.types import DocumentStatus, FileOutcomeStatus

_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+", re.UNICODE)


def safe_upload_name(filename: str | None) -> str:
    """A display name for an upload: its last path component, printable, never used as a path."""
    name = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "upload"
    return name[:200]


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
        principals: Annotated[
            str | None,
            QueryParameter(
                description="Comma-separated principals that may read the uploaded documents "
                "(everyone, user:<name>, group:<name>); default: a replaced document's readers, else everyone."
            ),
        ] = None,
    ) -> UploadResponse:
        """Upload files (multipart, any field name) through the ingestion pipeline.

        A file named like a document already in the collection is refused (409) unless ``replace=true``."""
        name = collection_of(services, collection)
        context.require(Permission.WRITE, name)
        readers = split_principals(principals) if principals is not None else None
        if readers == ():
            raise InvalidInputError("principals: name at least one, or 'everyone'")
        context.audit.update(replace=replace, document_readers=list(readers) if readers else None)
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
            results = await anyio.to_thread.run_sync(
                lambda: _ingest_uploads(services, context, name, uploads, replace, readers)
            )
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
        if all(result.status is FileOutcomeStatus.FAILED for result in results):
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
        """Documents in the ledger that this key may read, with their status, chunks, redaction counts and
        readers."""
        name = collection_of(services, collection) if collection else None
        context.require(Permission.READ, name)
        readers = context.readers()
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
                    readers=list(e.readers) if e.readers is not None else None,
                )
                for e in services.ledger.entries(collection=name)
                if context.principal.sees(e.collection) and readers.may_read(e.readers)
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
        context.require(Permission.WRITE, name)
        context.audit.update(documents=[{"document_id": document_id}])
        with store_write_lock(services.settings.lock_path, services.settings.lock_timeout_seconds):
            entry = services.ledger.get(name, document_id)
            # A document the key may not read is one it cannot name either: the same answer as for none.
            readable = entry is not None and context.readers().may_read(entry.readers)
            outcome = services.pipeline.forget_document(name, document_id) if readable else None
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
        """Collections with their chunk and document counts (those this key may see; of the documents it may
        read)."""
        context.require(Permission.READ)
        names = context.visible(services.store.collections())
        readers = context.readers()
        documents: dict[str, int] = {}
        chunks: dict[str, int] = {}
        for entry in services.ledger.entries(status=DocumentStatus.DONE):
            if readers.may_read(entry.readers):
                documents[entry.collection] = documents.get(entry.collection, 0) + 1
                chunks[entry.collection] = chunks.get(entry.collection, 0) + entry.chunk_count
        return CollectionList(
            collections=[
                CollectionItem(
                    name=n,
                    chunks=services.store.count(n) if readers.unrestricted else chunks.get(n, 0),
                    documents=documents.get(n, 0),
                )
                for n in names
            ]
        )


class UploadConflictError(ConflictError):
    """Files of an upload named like documents of the collection (or like each other): nothing was ingested."""

    def __init__(self, detail: str, documents: list[tuple[str, str]]) -> None:
        super().__init__(detail)
        self.documents = documents  # (source, document id)


UPLOAD_ROOT = "upload:"


def _ingest_uploads(
    services: Services,
    context: RequestContext,
    collection: str,
    uploads: list[tuple[str, bytes]],
    replace: bool,
    readers: tuple[str, ...] | None,
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
        entries = [(source, document_id, services.ledger.get(collection, document_id)) for source, document_id in named]
        taken = [
            (source, document_id)
            for source, document_id, entry in entries
            if entry is not None and entry.status is not DocumentStatus.FAILED
        ]
        may_read = context.readers().may_read
        unreadable = [s for s, _, entry in entries if entry is not None and not may_read(entry.readers)]
        if unreadable and replace:
            raise ForbiddenError(f"{', '.join(unreadable)}: this key may not replace a document it may not read")
        if taken and not replace:
            names = ", ".join(source for source, _ in taken)
            raise UploadConflictError(
                f"{names}: a document of this name is already in collection {collection!r}; "
                "upload with replace=true to replace it",
                taken,
            )
        # Without principals, a replaced document keeps its readers: re-uploading must not open it to everyone.
        kept = {source: entry.readers for source, _, entry in entries if entry is not None and entry.readers}
        for source, content in uploads:
            outcome = services.pipeline.ingest_bytes(
                content,
                collection=collection,
                root=UPLOAD_ROOT,
                source=source,
                path=f"{UPLOAD_ROOT}{collection}/{source}",
                readers=readers or kept.get(source) or (EVERYONE,),
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
