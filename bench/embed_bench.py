"""Embedding benchmark: fp32 torch against the int8 ONNX export and OpenVINO, throughput and retrieval quality.

In one process: generated business passages of about 250 model tokens are embedded by every backend in
alternating rounds (ABC CBA...), so that other work on the machine weighs on all alike; the figure that
matters is each backend's ratio to torch within each round (its median), which holds under load where the
absolute rates do not. CPU seconds of the process are reported beside wall seconds. Then the vectors' cosine
agreement, and nDCG@10 / recall of both backends on the BEIR-layout sample set through
``rag.retrieval_eval`` (real pipeline, redaction on). A section is appended to docs/benchmarks/history.md.

Usage: python -m bench.embed_bench [--passages 200] [--rounds 3] [--seed 0] [--skip-quality] [--no-append]
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline switches before any model library is imported)
from bench.corpus_pages import PageComposer
from bench.corpus_plan import plan_documents
from bench.corpus_values import make_fakers
from bench.history import append_section, section_opening
from bench.log_setup import quiet_logging
from bench.machine import MachineInfo, machine_info
from bench.paths import BENCHMARKS_FILE, REPO_ROOT
from bench.tables import console, markdown_table, print_table
from rag.components import load_embedder, open_store
from rag.embedder import SentenceTransformerEmbedder
from rag.retrieval_eval import DEPTH, evaluate, load_beir
from rag.retriever import HybridRetriever
from rag.settings import Settings, load_settings
from rag.types import EmbedderBackend as Backend

BACKENDS: tuple[Backend, ...] = tuple(Backend)
FASTER: tuple[Backend, ...] = BACKENDS[1:]
PASSAGE_TOKENS = 250
BEIR_SAMPLE = REPO_ROOT / "tests" / "data" / "beir_sample"
LIBRARIES = ("torch", "sentence-transformers", "transformers", "onnx", "onnxruntime", "openvino")


@dataclass(frozen=True)
class Round:
    backend: Backend
    wall_seconds: float
    cpu_seconds: float


@dataclass(frozen=True)
class Quality:
    backend: Backend
    modes: dict[str, dict[str, float]]


# -- inputs ---------------------------------------------------------------------------------------


def generate_passages(count: int, seed: int, embedder: SentenceTransformerEmbedder) -> list[str]:
    """``count`` passages of PASSAGE_TOKENS tokens of the embedder's tokenizer, cut from generated pages."""
    rng = random.Random(seed)
    fakers = make_fakers(seed)
    passages: list[str] = []
    pages = 0
    while len(passages) < count:
        pages += 50
        passages.clear()
        for plan in plan_documents(pages, random.Random(seed)):
            for blocks in PageComposer(plan, fakers[plan.locale], rng).pages():
                text = "\n\n".join(block.text for block in blocks)
                spans = embedder.token_spans([text])[0]
                for start in range(0, len(spans) - PASSAGE_TOKENS + 1, PASSAGE_TOKENS):
                    window = spans[start : start + PASSAGE_TOKENS]
                    passages.append(text[window[0][0] : window[-1][1]])
    return passages[:count]


def load_backend(backend: Backend, data_dir: Path) -> tuple[SentenceTransformerEmbedder, float]:
    began = time.perf_counter()
    embedder = load_embedder(load_settings(data_dir=data_dir, embedder_backend=backend))
    return embedder, time.perf_counter() - began


# -- measurements ---------------------------------------------------------------------------------


def timed_embed(embedder: SentenceTransformerEmbedder, passages: Sequence[str]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed(passages)
    return vectors, time.perf_counter() - wall, time.process_time() - cpu


def run_rounds(
    embedders: dict[Backend, SentenceTransformerEmbedder], passages: Sequence[str], rounds: int
) -> tuple[list[Round], dict[Backend, Any]]:
    for embedder in embedders.values():
        embedder.embed(passages[:8])  # warm-up: first-call allocations and lazy initialisation
    results: list[Round] = []
    vectors: dict[Backend, Any] = {}
    for number in range(rounds):
        order = BACKENDS if number % 2 == 0 else tuple(reversed(BACKENDS))
        for backend in order:
            vectors[backend], wall, cpu = timed_embed(embedders[backend], passages)
            results.append(Round(backend, wall, cpu))
            console.print(f"round {number + 1} {backend}: {len(passages) / wall:.1f} texts/s, {cpu:.1f} CPU s")
    return results, vectors


def ratios(results: Sequence[Round], attribute: str, backend: Backend) -> list[float]:
    """torch time / ``backend`` time within each round: how many times faster ``backend`` is."""
    torch = [getattr(r, attribute) for r in results if r.backend == "torch"]
    other = [getattr(r, attribute) for r in results if r.backend == backend]
    return [t / o for t, o in zip(torch, other, strict=True)]


def backend_summary(results: Sequence[Round], vectors: dict[Backend, Any], backend: Backend) -> dict[str, Any]:
    wall, cpu = ratios(results, "wall_seconds", backend), ratios(results, "cpu_seconds", backend)
    cosines = (vectors[Backend.TORCH] * vectors[backend]).sum(axis=1)
    return {
        "wall_ratios": wall,
        "cpu_ratios": cpu,
        "speedup_wall": statistics.median(wall),
        "speedup_cpu": statistics.median(cpu),
        "cosine_mean": float(cosines.mean()),
        "cosine_min": float(cosines.min()),
    }


def precision_of(embedder: SentenceTransformerEmbedder) -> str:
    return str(getattr(embedder._encoder, "precision", "f32" if embedder.backend == "torch" else "int8/f32"))


def measure_quality(backend: Backend, embedder: SentenceTransformerEmbedder, redactor: Any, work: Path) -> Quality:
    from ingest.components import build_pipeline  # deferred: heavy (torch, spaCy, Presidio)

    settings = load_settings(data_dir=work / f"beir-{backend}", chroma_url=None, chroma_token=None)
    store = open_store(settings)
    pipeline = build_pipeline(settings, redactor=redactor, embedder=embedder, store=store)
    retriever = HybridRetriever(embedder, store, pipeline.lexical, candidates=DEPTH)
    dataset = load_beir(BEIR_SAMPLE / "corpus.jsonl", BEIR_SAMPLE / "queries.jsonl", BEIR_SAMPLE / "qrels.tsv")
    report = evaluate(dataset, ingester=pipeline, searcher=retriever, redactor=redactor, collection="beir")
    return Quality(backend, {mode: scores.to_dict() for mode, scores in report.modes.items()})


# -- output ---------------------------------------------------------------------------------------


def throughput_rows(
    results: Sequence[Round], passages: int, tokens: int, load_seconds: dict[Backend, float]
) -> list[list[str]]:
    rows = []
    for backend in BACKENDS:
        mine = [r for r in results if r.backend == backend]
        wall = statistics.median(r.wall_seconds for r in mine)
        cpu = statistics.median(r.cpu_seconds for r in mine)
        rows.append(
            [
                backend,
                f"{load_seconds[backend]:.1f}",
                f"{passages / wall:.1f}",
                f"{tokens / wall:.0f}",
                f"{passages / cpu:.1f}",
                ", ".join(f"{passages / r.wall_seconds:.1f}" for r in mine),
            ]
        )
    return rows


THROUGHPUT_COLUMNS = ("Backend", "Load (s)", "Texts/s", "Tokens/s", "Texts per CPU s", "Texts/s per round")
QUALITY_COLUMNS = ("Backend", "Mode", "nDCG@10", "recall@10", "recall@100")
LEFT_COLUMNS = ("Backend", "Mode")


def quality_rows(qualities: Sequence[Quality]) -> list[list[str]]:
    return [
        [q.backend, mode, f"{s['ndcg@10']:.4f}", f"{s['recall@10']:.4f}", f"{s['recall@100']:.4f}"]
        for q in qualities
        for mode, s in q.modes.items()
    ]


def markdown_section(
    command: str,
    settings: Settings,
    summary: dict[str, Any],
    throughput: Sequence[Sequence[str]],
    qualities: Sequence[Quality],
    machine: MachineInfo,
) -> str:
    lines = section_opening(
        "embedding backends",
        machine,
        command,
        os.getloadavg(),
        settings=f"`embed_batch_size` {settings.embed_batch_size}, `chunk_tokens` {settings.chunk_tokens}",
        cpu_count_note=True,
    )
    lines += [
        f"- Input: {summary['passages']} generated passages of {PASSAGE_TOKENS} tokens "
        f"({summary['tokens']} tokens with the special ones), embedded {summary['rounds']} times by each backend "
        "in alternating order (ABC CBA); rates are medians over the rounds. *Load* is loading the model, for "
        "onnx-int8 and openvino with the export into an empty cache.",
        f"- Precision computed in: {', '.join(f'{b} {p}' for b, p in summary['precision'].items())}.",
    ]
    for backend in FASTER:
        mine = summary["backends"][backend]
        lines.append(
            f"- **{backend} / torch speed-up: {mine['speedup_wall']:.2f}x** (median of the per-round wall-time "
            f"ratios {', '.join(f'{r:.2f}' for r in mine['wall_ratios'])}); in process CPU seconds "
            f"{mine['speedup_cpu']:.2f}x ({', '.join(f'{r:.2f}' for r in mine['cpu_ratios'])}); cosine to torch's "
            f"vectors mean {mine['cosine_mean']:.5f}, min {mine['cosine_min']:.5f}."
        )
    lines += [
        "",
        markdown_table(THROUGHPUT_COLUMNS, throughput),
    ]
    if qualities:
        lines += [
            "",
            "Retrieval on tests/data/beir_sample (`enclave eval retrieval`'s code, redaction on, depth 100):",
            "",
            markdown_table(QUALITY_COLUMNS, quality_rows(qualities)),
        ]
    return "\n".join(lines) + "\n"


# -- command line ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.embed_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200, help="generated passages (default: 200)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per backend, alternating (default: 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-quality", action="store_true", help="skip nDCG on the BEIR sample set")
    parser.add_argument("--no-append", action="store_true", help=f"do not append to {BENCHMARKS_FILE.name}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(arguments)
    command = shlex.join(["python", "-m", "bench.embed_bench", *arguments])
    quiet_logging()
    machine = machine_info(LIBRARIES)
    with tempfile.TemporaryDirectory(prefix="enclave-embed-bench-") as work_dir:
        work = Path(work_dir)
        loaded = {backend: load_backend(backend, work / "data") for backend in BACKENDS}
        embedders = {backend: embedder for backend, (embedder, _) in loaded.items()}
        load_seconds = {backend: seconds for backend, (_, seconds) in loaded.items()}
        passages = generate_passages(args.passages, args.seed, embedders[Backend.TORCH])
        tokens = sum(len(spans) + 2 for spans in embedders[Backend.TORCH].token_spans(passages))
        results, vectors = run_rounds(embedders, passages, args.rounds)
        summary: dict[str, Any] = {
            "passages": len(passages),
            "tokens": tokens,
            "rounds": args.rounds,
            "precision": {backend: precision_of(embedders[backend]) for backend in BACKENDS},
            "backends": {backend: backend_summary(results, vectors, backend) for backend in FASTER},
        }
        throughput = throughput_rows(results, len(passages), tokens, load_seconds)
        print_table("Embedding throughput", THROUGHPUT_COLUMNS, throughput, left=LEFT_COLUMNS)
        for backend in FASTER:
            mine = summary["backends"][backend]
            console.print(
                f"speed-up {backend}/torch: {mine['speedup_wall']:.2f}x wall, {mine['speedup_cpu']:.2f}x CPU; "
                f"cosine mean {mine['cosine_mean']:.5f} min {mine['cosine_min']:.5f}"
            )
        qualities: list[Quality] = []
        if not args.skip_quality:
            from ingest.components import build_redactor  # deferred: heavy (spaCy, Presidio), skipped by --skip-quality

            redactor = build_redactor(load_settings(data_dir=work / "data"))
            qualities = [measure_quality(b, embedders[b], redactor, work) for b in BACKENDS]
            print_table("Retrieval on the BEIR sample", QUALITY_COLUMNS, quality_rows(qualities), left=LEFT_COLUMNS)
    if not args.no_append:
        section = markdown_section(command, Settings(), summary, throughput, qualities, machine)
        append_section(BENCHMARKS_FILE, section)
        console.print(f"appended to {BENCHMARKS_FILE.relative_to(REPO_ROOT)}")
    summary["quality"] = {q.backend: q.modes for q in qualities}
    return summary


if __name__ == "__main__":
    main()
