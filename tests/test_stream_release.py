"""A streamed answer frees the language model as soon as its consumer stops (issue 34 item 9)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

from api.services import iterate_in_thread


def test_a_consumer_that_stops_early_closes_the_iterator_at_once() -> None:
    """Issue 34 item 9: when a client disconnects mid-stream, the worker thread stops at the next item and
    closes the blocking iterator (releasing what it holds) instead of running it to its end."""
    produced: list[int] = []
    closed = threading.Event()

    def slow_items() -> Iterator[int]:
        try:
            for number in range(200):
                time.sleep(0.005)
                produced.append(number)
                yield number
        finally:
            closed.set()

    async def consume_one() -> None:
        stream = iterate_in_thread(slow_items)
        async for _ in stream:
            break
        await stream.aclose()  # what the server does when the client goes away

    asyncio.run(consume_one())
    assert closed.is_set()
    assert len(produced) < 20, f"the iterator ran on after its consumer left ({len(produced)} of 200 items)"


def test_closing_an_answer_stream_early_frees_the_model_for_the_next_question(services: Any) -> None:
    """Issue 34 item 9: the llama.cpp lock taken by a streamed answer is released when the stream is closed
    part-way, not when it is garbage-collected: another generation can run right after."""
    stream = services.answers.ask_stream("How long is parental leave at full pay?", "default")
    next(stream)  # the evidence: generation is about to start
    next(stream)  # a first checked piece (or the final answer), generation under way
    kept = stream  # a reference is kept, as a server's frame would: only close() may free the model
    kept.close()
    finished = threading.Event()

    def generate() -> None:
        services.generator.complete("The cafeteria opens at", max_tokens=2)
        finished.set()

    worker = threading.Thread(target=generate, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert finished.is_set(), "the model stayed locked by a closed stream"
