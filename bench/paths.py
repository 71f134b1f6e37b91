"""Where the benchmarks read their inputs and write their results, from the repository's root."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DOCS = REPO_ROOT / "sample_docs"
# The dated log each run appends to; docs/benchmarks.md holds the current figures, kept by hand.
BENCHMARKS_FILE = REPO_ROOT / "docs" / "benchmarks" / "history.md"
# Each benchmark's one current plot: here (not versioned), and in docs/benchmarks/ with --update-docs.
PLOTS_DIR = REPO_ROOT / "bench" / "out"
DOCS_PLOTS_DIR = REPO_ROOT / "docs" / "benchmarks"
