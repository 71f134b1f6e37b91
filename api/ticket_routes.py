"""``POST /v1/tickets/classify`` and ``/summarize``, one ticket or a batch, run behind the generation queue."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.keys import Permission
from api.schemas import ClassifyRequest, ClassifyResponse, SummarizeRequest, SummarizeResponse
from api.security import RequestContext
from api.services import Services
from rag.errors import InvalidInputError
from rag.tickets import ClassifyOptions


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
        context.require(Permission.READ)
        return (await _classify_all(services, [data]))[0]

    @post("/classify:batch", status_code=200)
    async def classify_batch(
        self,
        data: JSONBody[list[ClassifyRequest]],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> list[ClassifyResponse]:
        """Classify a list of tickets; results in the same order."""
        context.require(Permission.READ)
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
        context.require(Permission.READ)
        return (await _summarize_all(services, [data]))[0]

    @post("/summarize:batch", status_code=200)
    async def summarize_batch(
        self,
        data: JSONBody[list[SummarizeRequest]],
        services: NamedDependency[Services],
        context: NamedDependency[RequestContext],
    ) -> list[SummarizeResponse]:
        """Summarize a list of tickets; results in the same order."""
        context.require(Permission.READ)
        _check_batch(services, data)
        return await _summarize_all(services, data)


def _check_batch(services: Services, items: list[Any]) -> None:
    if not items:
        raise InvalidInputError("the batch is empty")
    if len(items) > services.settings.max_batch_items:
        raise InvalidInputError(f"at most {services.settings.max_batch_items} items per batch")


def classify_options(item: ClassifyRequest) -> ClassifyOptions:
    return ClassifyOptions(
        labels=item.labels,
        labelset=item.labelset,
        descriptions=item.descriptions,
        multi_label=item.multi_label,
        min_confidence=item.min_confidence,
        rerank_with_llm=item.rerank_with_llm,
    )


async def _classify_all(services: Services, items: list[ClassifyRequest]) -> list[ClassifyResponse]:
    def work() -> list[ClassifyResponse]:
        # Items that ask the same thing are classified in one batch: redacted and embedded together.
        groups: dict[str, list[int]] = {}
        for index, item in enumerate(items):
            groups.setdefault(item.model_dump_json(exclude={"text"}), []).append(index)
        results: list[ClassifyResponse | None] = [None] * len(items)
        for indexes in groups.values():
            options = classify_options(items[indexes[0]])
            found = services.tickets.classify_many([items[i].text for i in indexes], options)
            for index, result in zip(indexes, found, strict=True):
                results[index] = ClassifyResponse.model_validate(result.to_dict())
        return [result for result in results if result is not None]

    if not any(item.rerank_with_llm for item in items):
        # Without the language model, classification does not wait in the generation queue.
        return await anyio.to_thread.run_sync(work)
    async with services.queue.admit():
        return await anyio.to_thread.run_sync(work)


async def _summarize_all(services: Services, items: list[SummarizeRequest]) -> list[SummarizeResponse]:
    def work() -> list[SummarizeResponse]:
        return [SummarizeResponse(**vars(services.tickets.summarize(item.text, item.max_words))) for item in items]

    async with services.queue.admit():
        return await anyio.to_thread.run_sync(work)
