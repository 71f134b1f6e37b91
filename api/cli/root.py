"""The root ``enclave`` Typer app: every group of commands registered on it, in the order ``--help`` lists them,
and ``main``, the console script's entry point."""

from __future__ import annotations

import typer

from api.cli.audit_commands import commands as audit_commands
from api.cli.document_commands import commands as document_commands
from api.cli.eval_commands import commands as eval_commands
from api.cli.key_commands import commands as key_commands
from api.cli.label_commands import commands as label_commands
from api.cli.query_commands import commands as query_commands
from api.cli.server_commands import commands as server_commands
from api.cli.ticket_commands import commands as ticket_commands

app = typer.Typer(
    name="enclave",
    help="Enclave: private retrieval-augmented answers over your documents, on your own machine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Unnamed, a group's commands become top-level verbs; named, it is a sub-command with verbs of its own.
app.add_typer(document_commands)
app.add_typer(query_commands)
app.add_typer(ticket_commands)
app.add_typer(server_commands)
app.add_typer(label_commands, name="labels")
app.add_typer(key_commands, name="keys")
app.add_typer(audit_commands, name="audit")
app.add_typer(eval_commands, name="eval")


def main() -> None:
    """Run the ``enclave`` command line (the ``enclave`` console script)."""
    app()
