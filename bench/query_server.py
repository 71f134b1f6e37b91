"""An ``enclave serve`` child process over sample_docs/ for the benchmarks: start it, ask it, read its memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.paths import SAMPLE_DOCS


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


def rss_mib(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
