"""The ``enclave keys`` group: create, list and revoke the API keys (only their salted hashes are stored)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from api.cli.common import cli_settings, console, failure_exit, out, print_json
from api.keys import KeyStore
from rag.access import split_principals
from rag.errors import EnclaveError

commands = typer.Typer(help="API keys: create, list, revoke. Only salted hashes are stored.", no_args_is_help=True)


@commands.command("create")
def keys_create(
    collections: Annotated[str, typer.Option(help="Comma-separated collections this key may use, or '*' for all.")],
    role: Annotated[
        str, typer.Option(help="reader (search, ask, tickets), ingester (+ documents) or admin.")
    ] = "reader",
    label: Annotated[str, typer.Option(help="A note saying whose key this is.")] = "",
    principals: Annotated[
        str,
        typer.Option(
            help="Comma-separated principals whose documents the key may read besides everyone's, e.g. "
            "'group:support,user:alice' (see the README's permissions section). An admin key reads everything."
        ),
    ] = "",
) -> None:
    """Create a key and print its token once: it is not stored and cannot be shown again."""
    settings = cli_settings()
    try:
        key, token = KeyStore(settings.keys_path).create(
            role, [c.strip() for c in collections.split(",") if c.strip()], label, split_principals(principals)
        )
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    reads = "everything" if key.role == "admin" else ", ".join(["everyone", *key.principals])
    console.print(
        f"created key {key.id} ({key.role}; collections {', '.join(key.collections)}; reads {reads}). Its token:"
    )
    out.print(token, highlight=False)


@commands.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False) -> None:
    """List keys (never their tokens)."""
    settings = cli_settings()
    try:
        keys = KeyStore(settings.keys_path).keys()
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if as_json:
        print_json(
            [
                {
                    "id": k.id,
                    "role": k.role,
                    "collections": k.collections,
                    "principals": k.principals,
                    "label": k.label,
                    "created_at": k.created_at,
                    "revoked_at": k.revoked_at,
                }
                for k in keys
            ]
        )
        return
    table = Table(title="API keys")
    for column in ("id", "role", "collections", "principals", "label", "created", "revoked"):
        table.add_column(column)
    for k in keys:
        principals = ", ".join(k.principals)
        table.add_row(k.id, k.role, ", ".join(k.collections), principals, k.label, k.created_at, k.revoked_at or "")
    out.print(table)


@commands.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The id shown by 'enclave keys list'.")]) -> None:
    """Revoke a key; a running server refuses it from its next request."""
    settings = cli_settings()
    try:
        key = KeyStore(settings.keys_path).revoke(key_id)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    console.print(f"revoked key {key.id} at {key.revoked_at}")
