"""The benchmark's naive pipeline ingests a small folder and, like the product, never reaches for the network."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from bench.naive_pipeline import measure_naive


def test_naive_pipeline_ingests_without_network_lookups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Write to harriet.lindqvist@example.com about the invoice.\n" * 30, "utf-8")
    (corpus / "b.md").write_text("# Visits\n\nSee https://intranet.example.org/visits for the rota.\n", "utf-8")
    looked_up: list[Any] = []
    guarded = socket.getaddrinfo

    def recording_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        looked_up.append(host)
        return guarded(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    report, _, _ = measure_naive(corpus, tmp_path / "data")
    assert report["files"]["new"] == 2
    assert report["chunks_written"] >= 2 and report["pages"] == 2
    assert [host for host in looked_up if host not in ("localhost", "127.0.0.1", "::1")] == []
