"""Query benchmark: retrieval latency at growing store sizes, and answers through the API.

Retrieval: stores of 1k, 10k and 100k chunks are built in temporary data dirs. A base of real chunks
(sample_docs/ and a generated corpus, embedded for real) is replicated up to the size with small
random perturbations of the vectors, so that Chroma's HNSW index and the FTS5 index hold the full
count. Each query is timed through ``HybridRetriever.search`` (query embedding, dense, lexical,
fusion) in hybrid, dense and lexical modes.

Generation: ``enclave serve`` runs over sample_docs/ in a child process; questions go through
``POST /v1/ask?stream=true`` one at a time, timing the first ``token`` event on the client. The same
prompts are then run by plain llama-cpp-python (one ``Llama`` over the same GGUF, the way a user
would write it) in this process, so the ratio is on the page. The server's resident memory is read
from /proc.

Concurrency: with ``--clients 1 4 16``, that many clients ask at once (each its own questions, cycled),
through the same server; each level records TTFT p50/p95, the decode rate, answers per minute and the
503 answers the generation queue gives beyond its capacity. A PNG of latency against concurrency is
written to docs/ beside the figures.

Usage: python -m bench.query_bench [--sizes 1000 10000 100000] [--queries 200] [--clients 1 4 16] [--no-append]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from bench.corpus import generate_corpus
from bench.ingest_bench import (
    BENCHMARKS_FILE,
    PLOTS_DIR,
    REPO_ROOT,
    SAMPLE_DOCS,
    append_section,
    format_load,
    machine_info,
    markdown_table,
    publish_plot,
)

console = Console()
MANIFEST = REPO_ROOT / "tests" / "data" / "sample_docs_manifest.json"
MODES = ("hybrid", "dense", "lexical")


@dataclass(frozen=True)
class LatencyRow:
    chunks: int
    mode: str
    p50_ms: float
    p95_ms: float
    p99_ms: float


@dataclass(frozen=True)
class GenerationRow:
    runner: str
    questions: int
    ttft_p50_s: float
    ttft_p95_s: float
    tokens_per_second: float
    prompt_tokens: float


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def questions() -> list[str]:
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    return [fact["question"] for doc in manifest["documents"] for fact in doc["facts"]]


# -- retrieval ------------------------------------------------------------------------------------


def base_chunks(work: Path) -> tuple[list[Any], Any]:
    """Real chunks and their embeddings: sample_docs/ and a 150-page generated corpus, ingested for real."""
    import rag  # noqa: F401
    from ingest.components import build_pipeline, build_redactor
    from rag.components import load_embedder, open_store
    from rag.settings import load_settings

    corpus = work / "corpus"
    generate_corpus(corpus, 150, seed=1)
    settings = load_settings(data_dir=work / "base")
    embedder = load_embedder(settings)
    store = open_store(settings)
    pipeline = build_pipeline(settings, redactor=build_redactor(settings), embedder=embedder, store=store)
    pipeline.ingest_paths([SAMPLE_DOCS, corpus], "base")
    hits = store.get_chunks("base")
    vectors = store.embeddings("base", [hit.chunk_id for hit in hits])
    return hits, (embedder, np.stack([vectors[hit.chunk_id] for hit in hits]))


def build_store(data_dir: Path, size: int, hits: list[Any], vectors: Any, rng: np.random.Generator) -> Any:
    import rag  # noqa: F401
    from rag.components import open_store
    from rag.lexical import LexicalIndex
    from rag.settings import load_settings
    from rag.types import Chunk

    settings = load_settings(data_dir=data_dir)
    store = open_store(settings)
    lexical = LexicalIndex(settings.lexical_path, in_memory_min_chunks=settings.lexical_in_memory_min_chunks)
    batch = 5000
    for start in range(0, size, batch):
        indices = np.arange(start, min(size, start + batch))
        base = vectors[indices % len(hits)]
        noisy = base + rng.normal(scale=0.02, size=base.shape).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        chunks = [
            Chunk(
                chunk_id=f"c{i:07d}",
                document_id=f"d{i // 20:06d}",
                source=f"{hits[i % len(hits)].source}#{i // len(hits)}",
                page=hits[i % len(hits)].page,
                chunk_index=i % 20,
                start=0,
                end=len(hits[i % len(hits)].text),
                text=hits[i % len(hits)].text,
                token_count=0,
            )
            for i in map(int, indices)
        ]
        store.upsert("bench", chunks, noisy.astype(np.float32))
        lexical.upsert("bench", chunks)
    return store, lexical


def measure_retrieval(sizes: Sequence[int], queries: int) -> tuple[list[LatencyRow], int]:
    from rag.retriever import HybridRetriever

    rng = np.random.default_rng(0)
    asked = questions()
    rows: list[LatencyRow] = []
    with tempfile.TemporaryDirectory(prefix="enclave-query-bench-") as tmp:
        work = Path(tmp)
        hits, (embedder, vectors) = base_chunks(work)
        for size in sizes:
            console.print(f"building a store of {size} chunks")
            store, lexical = build_store(work / f"n{size}", size, hits, vectors, rng)
            lexical.prepare()  # the in-memory ranking of a large store, built as the server's warm-up builds it
            retriever = HybridRetriever(embedder, store, lexical)
            for mode in MODES:
                retriever.search(asked[0], "bench", 5, mode=mode)  # warm caches
                timings = []
                for n in range(queries):
                    started = time.perf_counter()
                    retriever.search(asked[n % len(asked)], "bench", 5, mode=mode)
                    timings.append((time.perf_counter() - started) * 1000)
                rows.append(
                    LatencyRow(size, mode, percentile(timings, 50), percentile(timings, 95), percentile(timings, 99))
                )
    return rows, len(hits)


# -- generation -----------------------------------------------------------------------------------


def start_server(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ENCLAVE_DATA_DIR": str(data_dir)}
    subprocess.run(
        [sys.executable, "-m", "api.cli", "ingest", str(SAMPLE_DOCS)], env=env, check=True, capture_output=True
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import httpx

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    server.kill()
    raise RuntimeError("the server did not become ready")


def ask_streaming(port: int, question: str) -> tuple[int, float, dict[str, Any]]:
    """HTTP status, seconds to the first token event as the client sees it (to the end when none came),
    and the final answer event."""
    import httpx

    started = time.perf_counter()
    first = 0.0
    answer: dict[str, Any] = {}
    event = ""
    with httpx.stream(
        "POST", f"http://127.0.0.1:{port}/v1/ask?stream=true", json={"question": question}, timeout=600
    ) as response:
        if response.status_code != 200:
            response.read()
            return response.status_code, 0.0, {}
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                if event == "token" and not first:
                    first = time.perf_counter() - started
                elif event == "answer":
                    answer = json.loads(line[6:])
    return 200, first or time.perf_counter() - started, answer


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
    from concurrent.futures import ThreadPoolExecutor

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


def plot_concurrency(rows: Sequence[ConcurrencyRow], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display here
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    clients = [row.clients for row in rows]
    axis.plot(clients, [row.ttft_p50_s for row in rows], marker="o", label="TTFT p50")
    axis.plot(clients, [row.ttft_p95_s for row in rows], marker="o", label="TTFT p95")
    axis.set_xscale("log", base=2)
    axis.set_xticks(clients, [str(c) for c in clients])
    axis.set_xlabel("concurrent clients")
    axis.set_ylabel("seconds to first token (answered requests)")
    axis.set_title("Answer latency against concurrency (/v1/ask, streamed)")
    axis.grid(True, alpha=0.3)
    axis.legend()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)


def rss_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def plain_llama(prompts: Sequence[tuple[str, Sequence[str], int]]) -> GenerationRow:
    """The same prompts through one plain ``Llama``, as a user of llama-cpp-python would write it."""
    from llama_cpp import Llama

    import rag  # noqa: F401
    from rag.models import llm_file
    from rag.settings import load_settings

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
    import rag  # noqa: F401
    from rag.prompts import answer_prompt
    from rag.settings import load_settings
    from rag.types import SearchHit

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


# -- report ---------------------------------------------------------------------------------------


def latency_cells(row: LatencyRow) -> list[str]:
    return [f"{row.chunks:,}", row.mode, f"{row.p50_ms:.1f}", f"{row.p95_ms:.1f}", f"{row.p99_ms:.1f}"]


def generation_cells(row: GenerationRow) -> list[str]:
    return [
        row.runner,
        str(row.questions),
        f"{row.prompt_tokens:.0f}",
        f"{row.ttft_p50_s:.2f}",
        f"{row.ttft_p95_s:.2f}",
        f"{row.tokens_per_second:.1f}",
    ]


LATENCY_COLUMNS = ("Chunks", "Mode", "p50 (ms)", "p95 (ms)", "p99 (ms)")
CONCURRENCY_COLUMNS = (
    "Clients",
    "Requests",
    "Answered",
    "503 (queue full)",
    "TTFT p50 (s)",
    "TTFT p95 (s)",
    "Tokens/s (mean)",
    "Answers/min",
)


def concurrency_cells(row: ConcurrencyRow) -> list[str]:
    return [
        str(row.clients),
        str(row.requests),
        str(row.answered),
        str(row.busy_503),
        f"{row.ttft_p50_s:.2f}",
        f"{row.ttft_p95_s:.2f}",
        f"{row.tokens_per_second:.1f}",
        f"{row.answers_per_minute:.1f}",
    ]


GENERATION_COLUMNS = ("Runner", "Questions", "Prompt tokens (mean)", "TTFT p50 (s)", "TTFT p95 (s)", "Tokens/s (mean)")


def print_tables(latency: Sequence[LatencyRow], generation: Sequence[GenerationRow]) -> None:
    for title, columns, rows in (
        ("Retrieval latency", LATENCY_COLUMNS, [latency_cells(r) for r in latency]),
        ("Generation", GENERATION_COLUMNS, [generation_cells(r) for r in generation]),
    ):
        table = Table(title=title)
        for column in columns:
            table.add_column(column)
        for cells in rows:
            table.add_row(*cells)
        console.print(table)


def markdown_section(
    command: str,
    latency: Sequence[LatencyRow],
    base: int,
    queries: int,
    generation: Sequence[GenerationRow],
    memory: tuple[float, float] | None,
    load_after: tuple[float, float, float],
    machine: Any,
    concurrency: Sequence[ConcurrencyRow] = (),
    plot: str | None = None,
) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    libraries = ", ".join(f"{name} {version}" for name, version in machine.libraries.items())
    lines = [
        f"## {when}: queries",
        "",
        f"- Machine: {machine.cpu_model}, {machine.cpu_count} CPUs, {machine.ram_gib:.1f} GiB RAM",
        f"- Software: Python {machine.python}, {libraries}",
        f"- Code: git {machine.git_revision}",
        f"- Command: `{command}`",
        f"- Load average (1/5/15 min) before: {format_load(machine.load_before)}; after: {format_load(load_after)}",
    ]
    if latency:
        from rag.settings import load_settings

        lines += [
            f"- Retrieval: {queries} queries per row (the sample questions, cycled), top 5, through "
            f"`HybridRetriever.search` (query embedding included, question redaction not). The stores hold "
            f"{base} real chunks replicated with perturbed vectors up to the size. Lexical ranking: FTS5 "
            f"below {load_settings().lexical_in_memory_min_chunks:,} chunks, in memory from there "
            "(`ENCLAVE_LEXICAL_IN_MEMORY_MIN_CHUNKS`), built before the timing as the server builds it at start-up.",
            "",
            markdown_table(LATENCY_COLUMNS, [latency_cells(r) for r in latency]),
        ]
    if generation:
        api, plain = generation[0], generation[1]
        ratio = api.tokens_per_second / plain.tokens_per_second if plain.tokens_per_second else 0.0
        lines += [
            "",
            '- Generation: the sample questions one at a time over sample_docs/ (questions answered "the '
            'documents do not say" are not timed). TTFT through the API is measured by the client: request '
            "sent to first streamed token, retrieval and redaction included; the output guard releases text a "
            "sentence at a time, so this is the first guarded sentence. The server's own timings give the "
            "model's first token (retrieval included) in the third row. Plain llama-cpp-python runs the "
            "very same prompts on one `Llama` object in the same run.",
            f"- Ratio of tokens/s, API over plain: **{ratio:.2f}**; TTFT p50 API {api.ttft_p50_s:.2f} s against "
            f"plain {plain.ttft_p50_s:.2f} s.",
        ]
        if memory:
            lines.append(f"- Server resident memory after the run: {memory[0]:.0f} MiB (peak {memory[1]:.0f} MiB).")
        lines += ["", markdown_table(GENERATION_COLUMNS, [generation_cells(r) for r in generation])]
    if concurrency:
        lines += [
            "",
            "- Concurrency: N clients ask at once, two questions each, through the same server (one model, one "
            "generation at a time; `ENCLAVE_GENERATION_QUEUE_SIZE` requests may wait, the rest get 503 with "
            "Retry-After). TTFT is over the answered requests, waiting in the queue included.",
            "",
            markdown_table(CONCURRENCY_COLUMNS, [concurrency_cells(r) for r in concurrency]),
        ]
        if plot:
            lines += ["", f"![Answer latency against concurrency]({plot})"]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.query_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000], help="store sizes in chunks")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per size and mode")
    parser.add_argument("--questions", type=int, default=34, help="questions asked for the generation figures")
    parser.add_argument("--port", type=int, default=8765, help="loopback port for the server")
    parser.add_argument("--clients", type=int, nargs="*", default=[], help="concurrency levels, e.g. 1 4 16")
    parser.add_argument("--no-append", action="store_true", help="do not append to docs/benchmarks/history.md")
    parser.add_argument("--update-docs", action="store_true", help="also copy the plot into docs/benchmarks/")
    args = parser.parse_args(arguments)
    command = shlex.join(["python", "-m", "bench.query_bench", *arguments])
    machine = machine_info()
    latency, base = measure_retrieval(args.sizes, args.queries) if args.sizes else ([], 0)
    generation: list[GenerationRow] = []
    memory: tuple[float, float] | None = None
    concurrency: list[ConcurrencyRow] = []
    if args.questions:
        generation, memory, concurrency = measure_generation(args.questions, args.port, args.clients)
    print_tables(latency, generation)
    if concurrency:
        plot = PLOTS_DIR / "latency-vs-concurrency.png"
        plot_concurrency(concurrency, plot)
        publish_plot(plot, args.update_docs)
    if not args.no_append:
        section = markdown_section(
            command, latency, base, args.queries, generation, memory, os.getloadavg(), machine, concurrency, None
        )
        append_section(BENCHMARKS_FILE, section)
        console.print(f"appended to {BENCHMARKS_FILE.relative_to(REPO_ROOT)}")


if __name__ == "__main__":
    main()
