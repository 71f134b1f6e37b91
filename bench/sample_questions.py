"""The questions of the sample documents' manifest, which the query benchmarks ask."""

from __future__ import annotations

import json

from bench.paths import REPO_ROOT

MANIFEST = REPO_ROOT / "tests" / "data" / "sample_docs_manifest.json"


def questions() -> list[str]:
    manifest = json.loads(MANIFEST.read_text("utf-8"))
    return [fact["question"] for doc in manifest["documents"] for fact in doc["facts"]]
