"""scripts/make_sample_docs.py: the shipped sample_docs/ and manifest are what it writes, and they pass its check."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "make_sample_docs.py"
SAMPLE_DOCS = REPO / "sample_docs"
MANIFEST = REPO / "tests" / "data" / "sample_docs_manifest.json"


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


def test_shipped_sample_docs_pass_the_check() -> None:
    result = run_script("--out", str(SAMPLE_DOCS), "--manifest", str(MANIFEST), "--check")
    assert result.returncode == 0, result.stderr


def test_regenerated_corpus_matches_the_shipped_one(tmp_path: Path) -> None:
    out, manifest = tmp_path / "docs", tmp_path / "manifest.json"
    assert run_script("--out", str(out), "--manifest", str(manifest)).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in SAMPLE_DOCS.iterdir())
    assert manifest.read_bytes() == MANIFEST.read_bytes()
    # PDF bytes depend on the fpdf2 version as well; the check above covers their text, page by page.
    for written in out.iterdir():
        if written.suffix != ".pdf":
            assert written.read_bytes() == (SAMPLE_DOCS / written.name).read_bytes(), written.name
    check = run_script("--out", str(out), "--manifest", str(manifest), "--check")
    assert check.returncode == 0, check.stderr
