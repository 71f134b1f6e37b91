"""``POST /v1/chat/completions`` in OpenAI's format, answered by the same RAG pipeline.

The last user message is the question; client system prompts are ignored (the instructions that keep
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

from api.routes import collection_of, note_answer
from api.schemas import ChatCompletionRequest
from api.security import RequestContext
from api.services import Services, iterate_in_thread
from rag.answer import Answer
from rag.errors import EnclaveError, InvalidInputError

MODEL_NAME = "enclave-rag"


def _question(data: ChatCompletionRequest) -> str:
    for message in reversed(data.messages):
        if message.role == "user" and message.content and message.content.strip():
            return message.content
    raise InvalidInputError("no user message with text content")


def _extension(answer: Answer) -> dict[str, Any]:
    return {
        "answered": answer.answered,
        "citations": [asdict(citation) for citation in answer.citations],
        "timings": answer.timings,
    }


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
    context.require("read", collection)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if data.stream:
        services.queue.check()
        return ServerSentEvent(_chunks(services, context, question, collection, completion_id, created))
    async with services.queue.admit():
        answer = await anyio.to_thread.run_sync(lambda: services.answers.ask(question, collection))
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
                {"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}
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
    services: Services, context: RequestContext, question: str, collection: str, completion_id: str, created: int
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
            async for item in iterate_in_thread(lambda: services.answers.ask_stream(question, collection)):
                if isinstance(item, Answer):
                    note_answer(context, item)
                    yield chunk({}, "stop", enclave=_extension(item))
                else:
                    yield chunk({"content": item})
    except EnclaveError as exc:
        yield ServerSentEventMessage(data=json.dumps({"error": {"message": exc.detail, "type": exc.title}}))
    yield ServerSentEventMessage(data="[DONE]")
