"""Answer latency through the API, one question at a time and from concurrent clients, against plain llama-cpp."""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.percentiles import percentile
from bench.query_server import ask_streaming, rss_mib, start_server
from bench.sample_questions import questions
from bench.tables import console
from rag.models import llm_file
from rag.prompts import answer_prompt
from rag.settings import load_settings
from rag.types import SearchHit


@dataclass(frozen=True)
class GenerationRow:
    runner: str
    questions: int
    ttft_p50_s: float
    ttft_p95_s: float
    tokens_per_second: float
    prompt_tokens: float


@dataclass(frozen=True)
class ConcurrencyRow:
    clients: int
    requests: int
    answered: int
    busy_503: int
    ttft_p50_s: float
    ttft_p95_s: float
    tokens_per_second: float
    answers_per_minute: float


def measure_concurrency(port: int, levels: Sequence[int], asked: Sequence[str]) -> list[ConcurrencyRow]:
    """Each level: ``clients`` threads, two questions each, all started together."""
    rows = []
    for clients in levels:
        jobs = [asked[i % len(asked)] for i in range(2 * clients)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            results = list(pool.map(lambda q: ask_streaming(port, q), jobs))
        elapsed = time.perf_counter() - started
        answered = [r for r in results if r[0] == 200]
        busy = sum(1 for r in results if r[0] == 503)
        ttfts = [r[1] for r in answered] or [0.0]
        rates = [rate for r in answered if (rate := float(r[2].get("timings", {}).get("tokens_per_second", 0.0))) > 0]
        rows.append(
            ConcurrencyRow(
                clients=clients,
                requests=len(jobs),
                answered=len(answered),
                busy_503=busy,
                ttft_p50_s=percentile(ttfts, 50),
                ttft_p95_s=percentile(ttfts, 95),
                tokens_per_second=statistics.mean(rates) if rates else 0.0,
                answers_per_minute=60 * len(answered) / elapsed,
            )
        )
        console.print(f"{clients} clients: {len(answered)} answered, {busy} busy (503) in {elapsed:.0f} s")
    return rows


def plain_llama(prompts: Sequence[tuple[str, Sequence[str], int]]) -> GenerationRow:
    """The same prompts through one plain ``Llama``, as a user of llama-cpp-python would write it."""
    from llama_cpp import Llama  # deferred: heavy (llama.cpp's native library), only the generation runs need it

    settings = load_settings()
    llm = Llama(model_path=str(llm_file(settings)), n_ctx=settings.llm_context, n_threads=os.cpu_count(), verbose=False)
    ttfts, rates, lengths = [], [], []
    for prompt, stop, max_tokens in prompts:
        started = time.perf_counter()
        first = 0.0
        count = 0
        for _ in llm.create_completion(
            prompt, max_tokens=max_tokens, temperature=0, top_k=1, stop=list(stop), stream=True
        ):
            count += 1
            if count == 1:
                first = time.perf_counter() - started
        total = time.perf_counter() - started
        ttfts.append(first)
        if count > 1:
            rates.append((count - 1) / (total - first))
        lengths.append(len(llm.tokenize(prompt.encode(), add_bos=True)))
    return GenerationRow(
        "plain llama-cpp-python",
        len(prompts),
        percentile(ttfts, 50),
        percentile(ttfts, 95),
        statistics.mean(rates) if rates else 0.0,
        statistics.mean(lengths),
    )


def measure_generation(
    count: int, port: int, levels: Sequence[int] = ()
) -> tuple[list[GenerationRow], tuple[float, float], list[ConcurrencyRow]]:
    settings = load_settings()
    asked = questions()[:count]
    with tempfile.TemporaryDirectory(prefix="enclave-serve-bench-") as tmp:
        server = start_server(Path(tmp), port)
        try:
            ttfts, model_ttfts, rates, lengths, prompts = [], [], [], [], []
            for question in asked:
                _, first, answer = ask_streaming(port, question)
                timings = answer.get("timings", {})
                if not answer.get("citations"):
                    continue  # "the documents do not say": no generation to time
                ttfts.append(first)
                model_ttfts.append(float(timings.get("first_token_seconds", 0.0)))
                rates.append(float(timings.get("tokens_per_second", 0.0)))
                lengths.append(float(timings.get("prompt_tokens", 0.0)))
                hits = [
                    SearchHit(c["chunk_id"], "", c["source"], c["page"], c["text"], c["score"])
                    for c in answer["citations"]
                ]
                prompt = answer_prompt(answer["question"], hits)
                prompts.append((prompt.text, prompt.stop, settings.llm_max_tokens))
            concurrency = measure_concurrency(port, levels, asked) if levels else []
            memory = rss_mib(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=30)
    api = GenerationRow(
        "Enclave API (/v1/ask, streamed)",
        len(ttfts),
        percentile(ttfts, 50),
        percentile(ttfts, 95),
        statistics.mean(rates),
        statistics.mean(lengths),
    )
    # The server's own clock: retrieval and the model's first token, before the output guard holds the
    # text back until a sentence ends (which is what the client above waits for).
    model = GenerationRow(
        "Enclave API, model's first token (server timings)",
        len(model_ttfts),
        percentile(model_ttfts, 50),
        percentile(model_ttfts, 95),
        statistics.mean(rates),
        statistics.mean(lengths),
    )
    return [api, plain_llama(prompts), model], memory, concurrency
