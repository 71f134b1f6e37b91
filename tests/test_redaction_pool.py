"""Redaction shared over worker processes: the same output as in one process, and a dead worker costs nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.corpus import generate_corpus
from ingest.redaction.pool import PooledRedactor, split_by_size
from rag.settings import Settings


@given(st.lists(st.integers(min_value=0, max_value=5000), max_size=40), st.integers(min_value=1, max_value=6))
def test_split_by_size_keeps_every_item_once_in_order(sizes: list[int], parts: int) -> None:
    ranges = split_by_size(sizes, parts)
    assert [i for r in ranges for i in r] == list(range(len(sizes)))
    assert len(ranges) <= max(1, min(parts, len(sizes))) or not sizes
    assert all(len(r) for r in ranges)


def test_split_by_size_balances() -> None:
    ranges = split_by_size([100] * 10, 2)
    assert [len(r) for r in ranges] == [5, 5]
    assert [len(r) for r in split_by_size([900, 50, 50], 2)] == [1, 2]


@pytest.fixture(scope="module")
def pooled(redactor: Any, base_settings: Settings) -> Iterator[PooledRedactor]:
    pool = PooledRedactor(redactor, base_settings, processes=2)
    pool.wait_ready(timeout=120)
    yield pool
    pool.close()


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    folder = tmp_path_factory.mktemp("pool-corpus")
    generate_corpus(folder, 10, seed=11)
    texts = [path.read_text("utf-8") for path in sorted(folder.rglob("*")) if path.suffix in (".txt", ".md")]
    assert len(texts) >= 4
    # Several pages per document, so that placeholders must agree across pages within a process.
    return [[text, text[: len(text) // 2]] for text in texts]


def _texts(result: list[list[Any]]) -> list[list[str]]:
    return [[page.text for page in pages] for pages in result]


def test_same_output_as_one_process(pooled: PooledRedactor, redactor: Any, documents: list[list[str]]) -> None:
    expected = redactor.redact_documents(documents)
    assert _texts(pooled.redact_documents(documents)) == _texts(expected)
    assert any("<PERSON_" in page for pages in _texts(expected) for page in pages)


def test_a_share_went_to_a_worker(pooled: PooledRedactor, documents: list[list[str]]) -> None:
    pooled.redact_documents(documents)
    workers = pooled.wait_ready(timeout=120)
    assert workers and all(pid != os.getpid() and _alive(pid) for pid in workers)


def test_a_killed_worker_is_replaced_and_nothing_lost(
    pooled: PooledRedactor, redactor: Any, documents: list[list[str]]
) -> None:
    pooled.redact_documents(documents[:2])
    for pid in pooled.wait_ready(timeout=120):
        os.kill(pid, signal.SIGKILL)
    # A share lost with its worker is redacted here; the worker that replaces it loads at its first share.
    assert _texts(pooled.redact_documents(documents)) == _texts(redactor.redact_documents(documents))
    assert _texts(pooled.redact_documents(documents[:3])) == _texts(redactor.redact_documents(documents[:3]))


def test_caller_redacts_alone_while_workers_load(redactor: Any, base_settings: Settings) -> None:
    pool = PooledRedactor(redactor, base_settings, processes=2)
    try:
        documents = [["Ask Margarethe Quist."], ["Or Bartholomew Okonkwo."]]
        assert not pool.ready()
        assert _texts(pool.redact_documents(documents)) == _texts(redactor.redact_documents(documents))
        pool.wait_ready(timeout=120)
        assert _texts(pool.redact_documents(documents)) == _texts(redactor.redact_documents(documents))
    finally:
        pool.close()


def test_single_texts_stay_in_process(pooled: PooledRedactor, redactor: Any) -> None:
    text = "Please call Margarethe Quist on +44 20 7946 0958."
    assert pooled.redact(text).text == redactor.redact(text).text
    assert pooled.redact_documents([[text]])[0][0].text == redactor.redact(text).text


def _look_up(host: str) -> object:
    # Runs in a worker, where this test session's socket patch is absent: only Enclave's guard stands there.
    return socket.getaddrinfo(host, 443)


def test_workers_refuse_egress_too(pooled: PooledRedactor) -> None:
    lookup = pooled.workers.schedule(_look_up, ("example.com",))
    with pytest.raises(Exception, match="refuses outbound network access"):
        lookup.result(timeout=60)


_HOLD_A_POOL = """
import multiprocessing, sys, time
from pathlib import Path
import rag
from ingest.components import build_redactor
from ingest.redaction.pool import PooledRedactor
from rag.settings import load_settings

settings = load_settings(data_dir=Path(sys.argv[1]))
pool = PooledRedactor(build_redactor(settings), settings, processes=2)
if sys.argv[2] == "ready":
    pool.wait_ready(timeout=120)
print(*[process.pid for process in multiprocessing.active_children()], flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("when", ["ready", "starting"])
def test_workers_exit_when_the_ingesting_process_is_killed(tmp_path: Path, when: str) -> None:
    """Killed once its workers are ready, or while they still load their models."""
    command = [sys.executable, "-c", _HOLD_A_POOL, str(tmp_path), when]
    holder = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        workers = [int(pid) for pid in holder.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 30  # a worker busy loading its models exits once that task is over
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    # Read, not reaped: a pool must see its worker's death itself (waitpid here would hide it from the pool).
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status  # a zombie has exited; init reaps it
