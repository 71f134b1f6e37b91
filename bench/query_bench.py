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
import os
import shlex
import sys
from collections.abc import Sequence

from bench.history import append_section
from bench.machine import machine_info
from bench.paths import BENCHMARKS_FILE, PLOTS_DIR, REPO_ROOT
from bench.plots import publish_plot
from bench.query_generation import ConcurrencyRow, GenerationRow, measure_generation
from bench.query_report import markdown_section, plot_concurrency, print_tables
from bench.query_retrieval import measure_retrieval
from bench.tables import console


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
