"""Generate the Enclave sample corpus and its manifest.

The corpus is the fixture for ingestion, redaction and retrieval tests: every
document carries invented personal data (listed in the manifest under
``personal_values``) and a few checkable facts (``facts``) whose answers are
free of personal data. The manifest lives outside the corpus (it lists the
personal values, so it must never be ingested): tests/data/sample_docs_manifest.json.

Usage:
    python scripts/make_sample_docs.py [--out DIR]          # (re)generate
    python scripts/make_sample_docs.py [--out DIR] --check  # verify only

All names, numbers and addresses below are fictitious. The output is
byte-for-byte deterministic for a given fpdf2 version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from sample_corpus.catalogue import DOCUMENTS
from sample_corpus.check import check
from sample_corpus.generate import generate
from sample_corpus.text import normalize, source_page_texts

# scripts/make_answer_eval.py builds its question sets from these.
__all__ = ["DOCUMENTS", "main", "normalize", "source_page_texts"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "sample_docs"
DEFAULT_MANIFEST = REPO_ROOT / "tests" / "data" / "sample_docs_manifest.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    parser.add_argument("--check", action="store_true", help="verify the corpus in --out instead of writing it")
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST, help="manifest file (default: %(default)s)")
    args = parser.parse_args(argv)

    if not args.check:
        generate(args.out, args.manifest)
        print(f"wrote {len(DOCUMENTS)} documents to {args.out} and the manifest to {args.manifest}")
        return 0

    errors = check(args.out, args.manifest)
    for error in errors:
        print(f"FAIL {error}", file=sys.stderr)
    if errors:
        return 1
    print(f"OK: {len(DOCUMENTS)} documents in {args.out} match {args.manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
