"""Derive a small BEIR-layout retrieval set from sample_docs/ for the tests of ``enclave eval retrieval``.

- corpus.jsonl: the passages of the sample documents as Enclave's loaders read them (a PDF page, an
  e-mail body...), cut at paragraph and sentence boundaries into passages of about PASSAGE_WORDS words;
  ``{"_id": "<document stem>-<n>", "title": <file name>, "text": <passage>}``.
- queries.jsonl: the fact questions of tests/data/sample_docs_manifest.json, ``{"_id": "q<n>", "text": ...}``.
- qrels.tsv: for each question, every passage that contains its answer (whitespace-insensitive), score 1.

The passages still hold the invented personal data of the sample documents: the evaluation ingests them
through the real pipeline, which redacts them, exactly as it does the documents.

Usage:
    python scripts/make_beir_sample.py [--out DIR]          # (re)generate
    python scripts/make_beir_sample.py [--out DIR] --check  # verify that the files are up to date
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import rag  # noqa: E402, F401  (offline switches before any model library is imported)
from ingest.loading import load_bytes  # noqa: E402

SAMPLE_DOCS = REPO_ROOT / "sample_docs"
MANIFEST = REPO_ROOT / "tests" / "data" / "sample_docs_manifest.json"
DEFAULT_OUT = REPO_ROOT / "tests" / "data" / "beir_sample"
# Short enough that a document yields several passages (so ranking within a document matters), long
# enough that a passage states a fact with its context.
PASSAGE_WORDS = 60
_PARAGRAPH = re.compile(r"\n\s*\n")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")


def _units(page_text: str) -> list[str]:
    """Paragraphs, with paragraphs longer than a passage cut into sentences."""
    units: list[str] = []
    for paragraph in _PARAGRAPH.split(page_text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        if len(paragraph.split()) <= 2 * PASSAGE_WORDS:
            units.append(paragraph)
        else:
            units.extend(sentence for sentence in _SENTENCE.split(paragraph) if sentence)
    return units


def passages(page_text: str) -> list[str]:
    """Consecutive units packed until a passage reaches PASSAGE_WORDS words; a short tail joins the last."""
    packed: list[str] = []
    current: list[str] = []
    for unit in _units(page_text):
        current.append(unit)
        if sum(len(part.split()) for part in current) >= PASSAGE_WORDS:
            packed.append(" ".join(current))
            current = []
    if current:
        if packed and sum(len(part.split()) for part in current) < PASSAGE_WORDS // 2:
            packed[-1] = f"{packed[-1]} {' '.join(current)}"
        else:
            packed.append(" ".join(current))
    return packed


def build(docs: Path, manifest_path: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], list[tuple[str, str]]]:
    """Corpus entries, queries and (query id, corpus id) relevance pairs."""
    corpus: list[dict[str, str]] = []
    for path in sorted(docs.iterdir()):
        if not path.is_file():
            continue
        document = load_bytes(path.read_bytes(), path.name)
        number = 0
        for page in document.pages:
            for text in passages(page.text):
                number += 1
                corpus.append({"_id": f"{path.stem}-{number}", "title": path.name, "text": text})
    manifest = json.loads(manifest_path.read_text("utf-8"))
    queries: list[dict[str, str]] = []
    qrels: list[tuple[str, str]] = []
    for document in manifest["documents"]:
        for fact in document["facts"]:
            query_id = f"q{len(queries) + 1}"
            queries.append({"_id": query_id, "text": fact["question"]})
            answer = " ".join(fact["answer_contains"].split())
            relevant = [
                entry["_id"] for entry in corpus if entry["title"] == document["file"] and answer in entry["text"]
            ]
            if not relevant:
                raise SystemExit(f"no passage of {document['file']} contains {answer!r}: the passage cut is wrong")
            qrels.extend((query_id, corpus_id) for corpus_id in relevant)
    return corpus, queries, qrels


def render(
    corpus: Sequence[dict[str, str]], queries: Sequence[dict[str, str]], qrels: Sequence[tuple[str, str]]
) -> dict[str, str]:
    def jsonl(rows: Sequence[dict[str, str]]) -> str:
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)

    tsv = "query-id\tcorpus-id\tscore\n" + "".join(f"{query}\t{doc}\t1\n" for query, doc in qrels)
    return {"corpus.jsonl": jsonl(corpus), "queries.jsonl": jsonl(queries), "qrels.tsv": tsv}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="Only verify that the files are up to date.")
    args = parser.parse_args(argv)
    files = render(*build(SAMPLE_DOCS, MANIFEST))
    if args.check:
        stale = [
            name
            for name, text in files.items()
            if not (args.out / name).is_file() or (args.out / name).read_text("utf-8") != text
        ]
        if stale:
            print(f"out of date: {', '.join(stale)}", file=sys.stderr)
            return 1
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (args.out / name).write_text(text, encoding="utf-8")
    corpus_count = files["corpus.jsonl"].count("\n")
    print(f"{corpus_count} passages, {files['queries.jsonl'].count(chr(10))} queries written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
