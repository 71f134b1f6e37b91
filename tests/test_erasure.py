"""Erasure: after forget, no byte of the document's text is left in any file under the data dir."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from .conftest import SAMPLE_DOCS

# Phrases found only in the incident report (and not personal data, so they are stored).
PROBES = ("root cause was an expired TLS certificate", "About 3,200 payment attempts", "Restore the DNS validation")


def _files_holding(data_dir: Path, phrases: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for path in data_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for phrase in phrases:
                for encoding in ("utf-8", "utf-16-le"):
                    if phrase.encode(encoding) in content:
                        found.append((path.relative_to(data_dir).as_posix(), phrase))
    return found


def test_forget_leaves_no_byte_of_the_text_behind(tmp_path: Path, pipeline_factory: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("incident-report-2024-03.md", "procedure-backup.md", "hr-policy.pdf"):
        shutil.copy(SAMPLE_DOCS / name, docs)
    pipeline = pipeline_factory()
    data_dir = tmp_path / "data"
    pipeline.ingest_paths([docs], "default")
    assert _files_holding(data_dir, PROBES), "the probes must be stored before they can be shown gone"
    assert not any(path.startswith("chroma/") for path, _ in _files_holding(data_dir, PROBES))

    forgotten = pipeline.forget_paths([docs / "incident-report-2024-03.md"], "default")
    assert [o.source for o in forgotten] == ["incident-report-2024-03.md"]
    assert _files_holding(data_dir, PROBES) == []
    # The other documents are still answerable.
    assert _files_holding(data_dir, ("nightly backup",))
    assert pipeline.lexical.search("default", "nightly backup", 3)


def test_api_delete_leaves_no_byte_behind(client: Any, services: Any) -> None:
    memo = b"The orchard committee meets in the greenhouse annex every second Thursday at dawn."
    response = client.post("/v1/documents?collection=erasure", files={"file": ("orchard.txt", memo, "text/plain")})
    assert response.status_code == 201, response.text
    data_dir = services.settings.data_dir
    probe = ("greenhouse annex every second Thursday",)
    assert _files_holding(data_dir, probe)
    document_id = response.json()["documents"][0]["document_id"]
    assert client.delete(f"/v1/documents/{document_id}?collection=erasure").status_code == 200
    assert _files_holding(data_dir, probe) == []
