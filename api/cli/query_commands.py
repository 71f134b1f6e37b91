"""The commands that query a collection: search (ranked chunks) and ask (a quote-first answer)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

import typer

from api.cli.common import CollectionOption, cli_settings, failure_exit, out, print_json
from api.cli.wiring import answer_services, search_collection
from rag.errors import EnclaveError
from rag.retriever import SearchMode

# Registered without a name (api/cli/root.py): these commands are top-level verbs of `enclave`.
commands = typer.Typer()


@commands.command("search")
def search(
    query: Annotated[str, typer.Argument(help="What to look for (redacted before it is searched).")],
    collection: CollectionOption = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=50, help="Results to return.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source path.")] = None,
    mode: Annotated[
        SearchMode, typer.Option(help="hybrid: dense and lexical rankings fused; dense or lexical: one alone.")
    ] = SearchMode.HYBRID,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Search a collection: dense and lexical rankings fused (or one of them alone), best first."""
    settings = cli_settings()
    name = collection or settings.default_collection
    try:
        redacted, hits = search_collection(settings, query, name, top_k or settings.top_k, source, mode)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    results = [hit.to_dict() for hit in hits]
    if as_json:
        print_json({"query": redacted, "results": results})
        return
    for rank, result in enumerate(results, start=1):
        where = result["location"] or f"p.{result['page']}"
        ocr = " (OCR)" if result["ocr"] else ""
        out.print(f"[bold]{rank}.[/] {result['source']} {where}{ocr}  score {result['score']:.4f}")
        out.print(f"   {' '.join(str(result['text']).split())[:300]}", highlight=False)


@commands.command("ask")
def ask(
    question: Annotated[str, typer.Argument(help="The question (redacted before it is searched or prompted).")],
    collection: CollectionOption = None,
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=20, help="Sources in the prompt.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
) -> None:
    """Answer a question from a collection: the quoted evidence first, then an answer checked against it.

    Quote-first (ENCLAVE_ANSWER_MODE): the sentences of the sources that answer the question are quoted
    verbatim with their source and page; a short written answer follows only if every value it states is in
    those quotes, in the same place. Otherwise the quotes stand alone, marked "not checked" with the reason.
    """
    settings = cli_settings()
    try:
        answers, _ = answer_services(settings)
        answer = answers.ask(question, collection or settings.default_collection, top_k)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if as_json:
        print_json(asdict(answer))
        return
    for quote in answer.evidence:
        where = quote.location or f"page {quote.page}"
        out.print(f'[{quote.n}] "{quote.text}" ({quote.source}, {where})', highlight=False)
    check = "checked against the sources" if answer.verified else f"not checked: {answer.reason or 'no answer'}"
    out.print(f"{answer.answer}  ({check})" if answer.evidence else answer.answer, highlight=False)
    for citation in answer.citations:
        mark = "*" if citation.cited else " "
        where = citation.location or f"page {citation.page}"
        out.print(f"{mark}[{citation.n}] {citation.source}, {where}", highlight=False)
