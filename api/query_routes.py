"""``POST /v1/search`` and ``POST /v1/ask`` (JSON, or Server-Sent Events with ``stream=true``)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any

import anyio
from litestar import Controller, Response, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody, QueryParameter
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from api.keys import Permission
from api.route_helpers import collection_of, note_answer
from api.schemas import (
    AskRequest,
    AskResponse,
    EvidenceItem,
    Filters,
    SearchRequest,
    SearchResponse,
    SearchResultItem,
)
from api.security import RequestContext
from api.services import Services, iterate_in_thread
from rag.answer import Answer, Quotes
from rag.errors import EnclaveError
from rag.evidence import Evidence
from rag.retriever import SearchFilters


def filters_of(data: Filters, context: RequestContext) -> SearchFilters:
    """The retriever's filters from a request's ``source``, ``page_min`` and ``page_max``, and the documents the
    caller's key may read."""
    return SearchFilters(source=data.source, page_min=data.page_min, page_max=data.page_max, readers=context.readers())


def evidence_items(evidence: list[Evidence]) -> list[EvidenceItem]:
    """The evidence sentences as the API returns them."""
    return [
        EvidenceItem(
            n=e.n,
            text=e.text,
            source=e.source,
            page=e.page,
            location=e.location,
            ocr=e.ocr,
            chunk_id=e.chunk_id,
            start=e.start,
            end=e.end,
            score=e.score,
        )
        for e in evidence
    ]


def answer_body(answer: Answer) -> AskResponse:
    """An answer as ``POST /v1/ask`` returns it (and as the streamed ``answer`` event carries it)."""
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
        context.require(Permission.READ, collection)
        found = services.answers.search(data.query, collection, data.top_k, filters_of(data, context), data.mode)
        context.audit.update(question=found.query, chunk_ids=[hit.chunk_id for hit in found.hits])
        return SearchResponse(
            query=found.query,
            results=[SearchResultItem.model_validate(hit.to_dict()) for hit in found.hits],
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
        context.require(Permission.READ, collection)
        filters = filters_of(data, context)
        if stream:
            services.queue.check()
            return ServerSentEvent(_answer_events(services, context, data, collection, filters))
        async with services.queue.admit():
            answer = await anyio.to_thread.run_sync(
                lambda: services.answers.ask(data.question, collection, data.top_k, filters)
            )
        note_answer(context, answer)
        return Response(answer_body(answer))


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
