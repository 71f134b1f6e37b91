"""Load test of a live Enclave server on loopback: many concurrent clients mixing search, ask and classify.

Starts ``enclave serve`` over sample_docs/ in a child process (or targets ``--url``, loopback only),
then, each step bounded by a request count and a time limit:

1. search latency alone (one client, sequential);
2. for each concurrency level (16, 64, 256 by default), that many clients each looping over a random
   mix of search / ask / classify: throughput, status counts per route, p50/p95/p99 per route;
3. search latency while generation is saturated (clients asking non-stop), against step 1;
4. a soak (``--soak-minutes``) at the lowest level, sampling the server's resident memory.

The server's RSS is sampled from /proc every second throughout. A deliberate overload answer is a 503
with ``Retry-After``; any other 5xx, a 503 without it, or a transport error is counted as a failure.
Results go to the console and, unless ``--no-write``, as a dated section into docs/reliability.md.

Usage: python -m bench.load_test [--levels 16 64 256] [--seconds 60] [--max-requests 3000]
       [--soak-minutes 10] [--url http://127.0.0.1:8000] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from bench.history import append_section
from bench.machine import format_load
from bench.paths import REPO_ROOT
from bench.percentiles import nearest_rank
from bench.query_server import rss_mib, start_server
from bench.tables import console, markdown_table, print_table

RELIABILITY_FILE = REPO_ROOT / "docs" / "reliability.md"
RELIABILITY_HEADER = "# Reliability\n"
ROUTES = ("search", "ask", "classify")
MIX = {"search": 0.7, "ask": 0.15, "classify": 0.15}
QUERIES = (
    "hotel cap per night",
    "How long is parental leave at full pay?",
    "When does the nightly backup start?",
    "How long did the payments API outage last?",
    "vendor contract termination notice",
    "expense report deadline",
)
TICKETS = (
    "I was charged twice for my March invoice",
    "The VPN fails with error 809 when I log in",
    "Please reset my password, the account is locked",
    "The parcel never arrived at the Lyon office",
)


@dataclass
class Sample:
    route: str
    status: str  # HTTP status, or the name of a transport error
    seconds: float
    retry_after: bool = False


@dataclass
class Step:
    name: str
    clients: int
    seconds: float = 0.0
    samples: list[Sample] = field(default_factory=list)

    def of(self, route: str) -> list[Sample]:
        return [s for s in self.samples if s.route == route]

    @property
    def failures(self) -> list[Sample]:
        """Anything but 2xx and deliberate 503 + Retry-After."""
        return [s for s in self.samples if not (s.status.startswith("2") or (s.status == "503" and s.retry_after))]


def request_for(route: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
    if route == "search":
        return "/v1/search", {"query": rng.choice(QUERIES), "top_k": 3}
    if route == "ask":
        return "/v1/ask", {"question": rng.choice(QUERIES)}
    return "/v1/tickets/classify", {"text": rng.choice(TICKETS), "labels": ["billing", "technical", "account"]}


async def one_request(client: httpx.AsyncClient, route: str, rng: random.Random) -> Sample:
    path, body = request_for(route, rng)
    started = time.perf_counter()
    try:
        response = await client.post(path, json=body)
        status, retry_after = str(response.status_code), "retry-after" in response.headers
    except httpx.HTTPError as exc:
        status, retry_after = type(exc).__name__, False
    return Sample(route, status, time.perf_counter() - started, retry_after)


async def run_clients(
    url: str, name: str, clients: int, seconds: float, max_requests: int, mix: dict[str, float], seed: int = 0
) -> Step:
    """``clients`` concurrent loops until ``seconds`` pass or ``max_requests`` have been sent."""
    step = Step(name, clients)
    deadline = time.monotonic() + seconds
    sent = 0
    routes, weights = list(mix), list(mix.values())
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:

        async def loop(index: int) -> None:
            nonlocal sent
            rng = random.Random(seed * 100_003 + index)
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                step.samples.append(await one_request(client, rng.choices(routes, weights)[0], rng))
                if step.samples[-1].status == "503":
                    await asyncio.sleep(0.2)  # a polite client backs off a little on 503

        started = time.monotonic()
        await asyncio.gather(*(loop(i) for i in range(clients)))
        step.seconds = time.monotonic() - started
    return step


async def search_under_generation_load(url: str, seconds: float, askers: int) -> tuple[Step, Step]:
    """Search latency (one sequential client) while ``askers`` clients keep the model busy."""
    load = asyncio.create_task(run_clients(url, "generation load", askers, seconds, 10**6, {"ask": 1.0}, seed=9))
    await asyncio.sleep(2)  # let the queue fill
    searches = await run_clients(url, "search during generation", 1, seconds - 4, 10**6, {"search": 1.0}, seed=3)
    return searches, await load


class RssSampler:
    """The server's resident memory, every ``interval`` seconds, in a thread."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (seconds since start, MiB)
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic() - self._started, rss_mib(self.pid)[0]))
            except (OSError, KeyError):
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def between(self, start: float, end: float) -> list[float]:
        return [mib for at, mib in self.samples if start <= at <= end]

    def now(self) -> float:
        return time.monotonic() - self._started


# -- report ---------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return "-" if value != value else f"{value * 1000:.0f}"


def step_rows(step: Step) -> list[list[str]]:
    rows = []
    for route in ROUTES:
        samples = step.of(route)
        if not samples:
            continue
        ok = [s.seconds for s in samples if s.status.startswith("2")]
        statuses = Counter(s.status for s in samples)
        rows.append(
            [
                step.name,
                route,
                str(len(samples)),
                f"{len(ok) / step.seconds:.2f}" if step.seconds else "-",
                ", ".join(f"{status} x{count}" for status, count in sorted(statuses.items())),
                ms(nearest_rank(ok, 50)),
                ms(nearest_rank(ok, 95)),
                ms(nearest_rank(ok, 99)),
            ]
        )
    return rows


COLUMNS = ("step", "route", "requests", "ok/s", "statuses", "p50 ms", "p95 ms", "p99 ms")


def rss_summary(values: Sequence[float]) -> str:
    if not values:
        return "no samples"
    return f"start {values[0]:.0f} MiB, end {values[-1]:.0f} MiB, max {max(values):.0f} MiB"


def section(
    args: argparse.Namespace,
    steps: Sequence[Step],
    alone: Step,
    during: Step,
    rss: RssSampler,
    soak: tuple[Step, float, float] | None,
    load_before: tuple[float, float, float],
) -> str:
    failures = {step.name: len(step.failures) for step in [*steps, alone, during]}
    alone_ok = [s.seconds for s in alone.samples if s.status.startswith("2")]
    during_ok = [s.seconds for s in during.samples if s.status.startswith("2")]
    lines = [
        f"### Load test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"`python -m bench.load_test {' '.join(args.argv)}`".replace(" `", "`"),
        f"on {os.cpu_count()} cores, load average before {format_load(load_before)}; server: `enclave serve` over "
        "sample_docs/ on loopback, default settings (generation queue 4). Mix per client: "
        + ", ".join(f"{route} {share:.0%}" for route, share in MIX.items())
        + f"; each level bounded by {args.seconds:g} s and {args.max_requests} requests.",
        "",
        markdown_table(COLUMNS, [row for step in [alone, *steps] for row in step_rows(step)], left=COLUMNS),
        "",
        "Failures (any 5xx but 503 with Retry-After, a 503 without it, transport errors): "
        + ", ".join(f"{name} {count}" for name, count in failures.items())
        + ".",
        "",
        f"Search latency alone: p50 {ms(nearest_rank(alone_ok, 50))} ms, p95 {ms(nearest_rank(alone_ok, 95))} ms; "
        f"while {args.askers} clients keep generation saturated: p50 {ms(nearest_rank(during_ok, 50))} ms, "
        f"p95 {ms(nearest_rank(during_ok, 95))} ms ({len(during_ok)} searches).",
        "",
        f"Server RSS over the whole run: {rss_summary([mib for _, mib in rss.samples])}.",
    ]
    if soak is not None:
        step, start, end = soak
        values = rss.between(start, end)
        tail = values[len(values) // 2 :]
        lines += [
            "",
            f"Soak: {step.clients} clients for {step.seconds / 60:.1f} min, {len(step.samples)} requests, "
            f"{len(step.failures)} failures; RSS {rss_summary(values)}; max of the second half "
            f"{max(tail) if tail else float('nan'):.0f} MiB vs first half "
            f"{max(values[: len(values) // 2]) if len(values) > 1 else float('nan'):.0f} MiB.",
        ]
    return "\n".join(lines) + "\n"


def print_steps(steps: Sequence[Step]) -> None:
    print_table("Load test", COLUMNS, [row for step in steps for row in step_rows(step)])


# -- command line ---------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[16, 64, 256], help="concurrent clients per level")
    parser.add_argument("--seconds", type=float, default=60, help="time limit of each level")
    parser.add_argument("--max-requests", type=int, default=3000, help="request limit of each level")
    parser.add_argument("--baseline-requests", type=int, default=100, help="sequential searches alone")
    parser.add_argument("--askers", type=int, default=8, help="clients saturating generation in step 3")
    parser.add_argument("--soak-minutes", type=float, default=0, help="soak at the lowest level (0: none)")
    parser.add_argument("--url", help="target this running server (loopback only) instead of starting one")
    parser.add_argument("--no-write", action="store_true", help="do not append to docs/reliability.md")
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    return args


def loopback_url(url: str) -> str:
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load-test {url}: loopback addresses only")
    return url.rstrip("/")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def run(args: argparse.Namespace, url: str, pid: int) -> str:
    load_before = os.getloadavg()
    with RssSampler(pid) as rss:
        console.print("search alone...")
        alone = await run_clients(url, "search alone", 1, args.seconds, args.baseline_requests, {"search": 1.0})
        steps = []
        for level in args.levels:
            console.print(f"{level} clients...")
            steps.append(await run_clients(url, f"{level} clients", level, args.seconds, args.max_requests, MIX, level))
        console.print("search under generation load...")
        during, load = await search_under_generation_load(url, args.seconds, args.askers)
        steps.append(load)
        soak = None
        if args.soak_minutes > 0:
            console.print(f"soak for {args.soak_minutes:g} min...")
            start = rss.now()
            step = await run_clients(url, "soak", min(args.levels), args.soak_minutes * 60, 10**7, MIX, seed=11)
            soak = (step, start, rss.now())
            steps.append(step)
    print_steps([alone, during, *steps])
    return section(args, steps, alone, during, rss, soak, load_before)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.url:
        url = loopback_url(args.url)
        pid = int(os.environ.get("ENCLAVE_SERVER_PID", "0")) or None
        if pid is None:
            raise SystemExit("with --url, set ENCLAVE_SERVER_PID to the server's pid so its memory can be read")
        text = asyncio.run(run(args, url, pid))
    else:
        with tempfile.TemporaryDirectory(prefix="enclave-load-") as work:
            port = free_port()
            console.print("ingesting sample_docs/ and starting the server...")
            server = start_server(Path(work) / "data", port)
            try:
                text = asyncio.run(run(args, f"http://127.0.0.1:{port}", server.pid))
            finally:
                server.terminate()
                server.wait(timeout=30)
    console.print(text)
    if not args.no_write:
        append_section(RELIABILITY_FILE, text, header=RELIABILITY_HEADER)
        console.print(f"appended to {RELIABILITY_FILE}")


if __name__ == "__main__":
    main()
