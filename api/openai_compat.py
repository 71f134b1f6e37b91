"""``POST /v1/chat/completions`` in OpenAI's format, answered by the same RAG pipeline.

The last user message is the question, its content a string or a list of text parts (joined); other parts
(images, audio, files) are refused with 400. Client system prompts are ignored (the instructions that keep
answers grounded are ours). Citations travel in an ``enclave`` extension field.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

import anyio
from litestar import Response, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import JSONBody
from litestar.response import ServerSentEvent
from litestar.response.sse import ServerSentEventMessage

from api.keys import Permission
from api.route_helpers import collection_of, note_answer
from api.schemas import ChatCompletionRequest, ChatMessage
from api.security import RequestContext
from api.services import Services, iterate_in_thread
from rag.answer import Answer, AnswerState, Quotes
from rag.errors import EnclaveError, InvalidInputError
from rag.evidence import Evidence
from rag.retriever import SearchFilters

MODEL_NAME = "enclave-rag"


def _question(data: ChatCompletionRequest) -> str:
    # Every message is read, not only the question: a part Enclave cannot read is refused wherever it is, rather
    # than an answer given as if the client had not sent it.
    texts = [(message.role, message_content(message)) for message in data.messages]
    for role, text in reversed(texts):
        if role == "user" and text.strip():
            return text
    raise InvalidInputError("no user message with text content")


def message_content(message: ChatMessage) -> str:
    """A message's text: its content, or its text parts joined by line breaks; InvalidInputError for any other
    part (an image, audio, a file), which Enclave cannot answer from."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for part in message.content:
        if part.type != "text":
            raise InvalidInputError(
                f"message content parts of type {part.type[:40]!r} are not supported: Enclave answers from text, "
                "send parts of type 'text' only"
            )
        if part.text is None:
            raise InvalidInputError("a message content part of type 'text' has no 'text'")
        texts.append(part.text)
    return "\n".join(texts)


def _extension(answer: Answer) -> dict[str, Any]:
    return {
        "answered": answer.answered,
        "verified": answer.verified,
        "state": str(answer.state),
        "reason": answer.reason,
        "evidence": [asdict(quote) for quote in answer.evidence],
        "citations": [asdict(citation) for citation in answer.citations],
        "timings": answer.timings,
    }


def quotes_text(evidence: list[Evidence]) -> str:
    """The evidence as the message text leads with it: one quoted line per sentence, with its source."""
    if not evidence:
        return ""
    lines = [
        f'> "{quote.text}" [{quote.n}] ({quote.source}, {quote.location or f"page {quote.page}"})' for quote in evidence
    ]
    return "\n".join(lines) + "\n\n"


def message_text(answer: Answer) -> str:
    """The evidence, then the checked answer; when no written answer passed the check, the quotes alone."""
    if answer.state is AnswerState.QUOTES_ONLY:
        return quotes_text(answer.evidence) + f"(not checked against the sources: {answer.reason})"
    return quotes_text(answer.evidence) + answer.answer


@post(
    "/v1/chat/completions",
    tags=["openai"],
    status_code=200,
    responses={200: ResponseSpec(data_container=dict[str, Any], description="OpenAI chat completion (or chunks).")},
)
async def chat_completions(
    data: JSONBody[ChatCompletionRequest],
    services: NamedDependency[Services],
    context: NamedDependency[RequestContext],
) -> Response[Any]:
    """OpenAI-compatible chat completion (``stream`` supported) over the collection's documents."""
    question = _question(data)
    collection = collection_of(services, data.collection)
    context.require(Permission.READ, collection)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    filters = SearchFilters(readers=context.readers())
    if data.stream:
        services.queue.check()
        return ServerSentEvent(_chunks(services, context, question, collection, completion_id, created, filters))
    async with services.queue.admit():
        answer = await anyio.to_thread.run_sync(lambda: services.answers.ask(question, collection, filters=filters))
    note_answer(context, answer)
    prompt_tokens = int(answer.timings.get("prompt_tokens", 0))
    completion_tokens = int(answer.timings.get("completion_tokens", 0))
    return Response(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_NAME,
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": message_text(answer)}, "finish_reason": "stop"}
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "enclave": _extension(answer),
        }
    )


async def _chunks(
    services: Services,
    context: RequestContext,
    question: str,
    collection: str,
    completion_id: str,
    created: int,
    filters: SearchFilters,
) -> AsyncIterator[ServerSentEventMessage]:
    def chunk(delta: dict[str, str], finish: str | None = None, **extra: Any) -> ServerSentEventMessage:
        body = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_NAME,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return ServerSentEventMessage(data=json.dumps(body, ensure_ascii=False))

    yield chunk({"role": "assistant", "content": ""})
    try:
        async with services.queue.admit():
            async for item in iterate_in_thread(
                lambda: services.answers.ask_stream(question, collection, filters=filters)
            ):
                if isinstance(item, Answer):
                    note_answer(context, item)
                    if item.state is AnswerState.QUOTES_ONLY:
                        yield chunk({"content": f"(not checked against the sources: {item.reason})"})
                    yield chunk({}, "stop", enclave=_extension(item))
                elif isinstance(item, Quotes):
                    yield chunk({"content": quotes_text(item.evidence)})
                else:
                    yield chunk({"content": item})
    except EnclaveError as exc:
        yield ServerSentEventMessage(data=json.dumps({"error": {"message": exc.detail, "type": exc.title}}))
    yield ServerSentEventMessage(data="[DONE]")
