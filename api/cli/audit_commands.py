"""The ``enclave audit`` group: verify the audit trail's keyed MAC chain, rotate its key, show its records."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.markup import escape

from api.audit import AuditLog, parse_since
from api.cli.common import cli_settings, console, failure_exit, out
from rag.errors import EnclaveError, InvalidInputError

commands = typer.Typer(
    help="The audit trail: verify its keyed MAC chain, rotate its key, show its records.", no_args_is_help=True
)

# Help texts of one line per paragraph: Typer keeps a docstring's line breaks as they are.
_VERIFY_HELP = (
    "Check the audit trail's chain of keyed MACs (HMAC-SHA256); exit 1 on any problem found.\n\n"
    "What it proves: no record was changed, removed, inserted or reordered, and the end of the log was not cut "
    "off, by anyone without the key, which lives in the audit key file (ENCLAVE_AUDIT_KEY_PATH, by default "
    "audit.key in the data dir; keep it where those who can write the log cannot read it).\n\n"
    "What it cannot prove: anything against someone who can read the key file (they can rewrite the log and "
    "sign it again), nor that the whole log and its head file were not deleted, or both put back as an older "
    "copy. Records from before the trail had a key are reported as unkeyed: their plain hashes prove nothing."
)
_ROTATE_KEY_HELP = (
    "Sign the audit trail with a new key from now on; print its id.\n\n"
    "The older keys stay in the key file, by id, so the records they signed still verify. Rotate when a copy "
    "of the key file may have leaked (a backup, a former operator): whoever holds only an old key cannot "
    "rewrite the records signed before the rotation, nor cut the log back to them, without it showing. A "
    "running server signs with the new key from its next record."
)


@commands.command("verify", help=_VERIFY_HELP)
def audit_verify() -> None:
    """Check the audit trail's keyed MAC chain (what it proves and cannot: ``_VERIFY_HELP``)."""
    settings = cli_settings()
    log = AuditLog(settings.audit_path, settings.audit_key_path)
    problems = log.verify()
    count = sum(1 for _ in log.records())
    if problems:
        for problem in problems:
            console.print(f"[red]{escape(problem)}[/]", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"audit trail intact: {count} records, MACs checked with {log.key_path}", highlight=False)


@commands.command("rotate-key", help=_ROTATE_KEY_HELP)
def audit_rotate_key() -> None:
    """Sign the audit trail with a new key from now on (see ``_ROTATE_KEY_HELP``)."""
    settings = cli_settings()
    log = AuditLog(settings.audit_path, settings.audit_key_path)
    try:
        key_id = log.rotate_key()
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    console.print(f"the audit trail is signed with key {key_id} from now on ({log.key_path})", highlight=False)


@commands.command("show")
def audit_show(
    since: Annotated[
        str | None, typer.Option(help="Only records from this time on: ISO date/time, or an age like 2h or 7d.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON record per line.")] = False,
) -> None:
    """Print the audit trail (redacted questions, chunk ids, statuses; never raw personal data)."""
    settings = cli_settings()
    try:
        start = parse_since(since) if since else None
    except InvalidInputError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(code=2) from exc
    for record in AuditLog(settings.audit_path, settings.audit_key_path).records(start):
        if as_json:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            question = f" {record['question']!r}" if record.get("question") else ""
            # .get: records of the trail's own events (a key rotation) have no status.
            out.print(
                f"{record['time']} {record.get('key_id', '-')} {record.get('method', '-')} {record.get('route', '-')} "
                f"{record.get('status', '-')} {record.get('collection', '-')}{question}",
                highlight=False,
            )
