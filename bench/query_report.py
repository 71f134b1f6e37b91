"""The query benchmark's report: its tables on the terminal, its history section and its concurrency plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.history import section_opening
from bench.machine import MachineInfo
from bench.plots import saved_figure
from bench.query_generation import ConcurrencyRow, GenerationRow
from bench.query_retrieval import LatencyRow
from bench.tables import markdown_table, print_table
from rag.settings import load_settings

LATENCY_COLUMNS = ("Chunks", "Mode", "p50 (ms)", "p95 (ms)", "p99 (ms)")
GENERATION_COLUMNS = ("Runner", "Questions", "Prompt tokens (mean)", "TTFT p50 (s)", "TTFT p95 (s)", "Tokens/s (mean)")
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


def print_tables(latency: Sequence[LatencyRow], generation: Sequence[GenerationRow]) -> None:
    print_table("Retrieval latency", LATENCY_COLUMNS, [latency_cells(r) for r in latency])
    print_table("Generation", GENERATION_COLUMNS, [generation_cells(r) for r in generation])


def plot_concurrency(rows: Sequence[ConcurrencyRow], path: Path) -> None:
    with saved_figure(path, "Answer latency against concurrency (/v1/ask, streamed)") as axis:
        clients = [row.clients for row in rows]
        axis.plot(clients, [row.ttft_p50_s for row in rows], marker="o", label="TTFT p50")
        axis.plot(clients, [row.ttft_p95_s for row in rows], marker="o", label="TTFT p95")
        axis.set_xscale("log", base=2)
        axis.set_xticks(clients, [str(c) for c in clients])
        axis.set_xlabel("concurrent clients")
        axis.set_ylabel("seconds to first token (answered requests)")


def markdown_section(
    command: str,
    latency: Sequence[LatencyRow],
    base: int,
    queries: int,
    generation: Sequence[GenerationRow],
    memory: tuple[float, float] | None,
    load_after: tuple[float, float, float],
    machine: MachineInfo,
    concurrency: Sequence[ConcurrencyRow] = (),
    plot: str | None = None,
) -> str:
    lines = section_opening("queries", machine, command, load_after)
    if latency:
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
