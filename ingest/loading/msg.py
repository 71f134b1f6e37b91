"""Outlook messages (.msg): read like an e-mail (headers, then the body), with their attachments as files.

extract-msg reads the compound file (an OLE2 container of MAPI properties). The text is the one an .eml gives
(``email.message_page``): Subject, From, To and Date lines, then the plain body, or the visible text of the HTML
body when there is no plain one (extract-msg derives it from an RTF-only body too). Attachments stored in the
message are handed back as files; an embedded message is handed back as a .msg of its own (extract-msg writes
it out), for the pipeline to read the same way. Links to files elsewhere (web attachments) are not fetched.
"""

from __future__ import annotations

import email.utils
import logging
from datetime import datetime
from typing import Any

from ingest.loading.email import HEADERS, Attachments, message_page
from ingest.loading.html import html_to_text
from ingest.loading.loader import LoadOptions
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument

_UNREADABLE = "unreadable Outlook message (damaged, or not really a .msg)"


def load_msg(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An Outlook message as one page, like an e-mail, with its attachments."""
    # deferred: heavy (extract-msg and its RTF and HTML decoders), only where a .msg is loaded
    import extract_msg

    # extract-msg logs every property it does not know at WARNING; a message from a newer Outlook is no fault.
    logging.getLogger("extract_msg").setLevel(logging.ERROR)
    try:
        message = extract_msg.openMsg(data, strict=False)
    except Exception as exc:  # extract-msg and olefile raise many types (OSError, ValueError, their own)
        raise UnsupportedDocumentError(_UNREADABLE, cause=f"{type(exc).__name__}: {exc}") from exc
    try:
        values = {
            "Subject": _text(message, "subject"),
            "From": _text(message, "sender"),
            "To": _text(message, "to"),
            "Date": _date(message),
        }
        page = message_page([(name, values[name]) for name in HEADERS], _body(message))
        attachments = Attachments()
        for attachment in getattr(message, "attachments", []):
            _add(attachment, attachments)
    except UnsupportedDocumentError:
        raise
    except Exception as exc:  # a property or stream that the file names but does not hold, a broken embedding
        raise UnsupportedDocumentError(_UNREADABLE, cause=f"{type(exc).__name__}: {exc}") from exc
    finally:
        message.close()
    return LoadedDocument(
        kind="msg",
        pages=[page],
        title=values["Subject"],
        attachments=attachments.kept,
        warnings=attachments.warnings(),
    )


def _text(message: Any, attribute: str) -> str | None:
    value = getattr(message, attribute, None)
    text = str(value).strip() if value else ""
    return text or None


def _date(message: Any) -> str | None:
    value = getattr(message, "date", None)
    if isinstance(value, datetime):
        # As an .eml's Date header reads, so that both kinds of message look alike to a reader and a search.
        return email.utils.format_datetime(value) if value.tzinfo else value.strftime("%a, %d %b %Y %H:%M:%S")
    return str(value) if value else None


def _body(message: Any) -> str:
    plain = getattr(message, "body", None)
    if plain and str(plain).strip():
        return str(plain)
    html = getattr(message, "htmlBody", None)
    if html:
        markup = html.decode("utf-8", "replace") if isinstance(html, bytes) else str(html)
        return html_to_text(markup)[0]
    return ""


def _add(attachment: Any, attachments: Attachments) -> None:
    """One attachment of the message: its bytes, an embedded message written out as a .msg, or a note of why
    it is left out (a link to a file elsewhere, a broken or unsupported attachment)."""
    # deferred: heavy (extract-msg), imported by load_msg already
    from extract_msg.enums import AttachmentType

    name = getattr(attachment, "name", None) or getattr(attachment, "displayName", None)
    kind = getattr(attachment, "type", AttachmentType.UNKNOWN)
    if kind is AttachmentType.DATA:
        data = attachment.data
        attachments.add(name, data if isinstance(data, bytes) else b"")
    elif kind is AttachmentType.MSG:
        embedded = attachment.data
        # Not named after its subject: that is the message's content, and a source name is never redacted.
        attachments.add(name or "attached-message.msg", embedded.exportBytes(allowBadEmbed=True))
    else:
        what = {AttachmentType.WEB: "a link to a file elsewhere"}.get(kind, f"{kind.name.lower()} attachment")
        attachments.leave_out(name, what)
