"""E-mail (RFC 822 / .eml): the headers a reader searches by, then the body.

Subject, sender, recipients and date stay in the text so that "the mail from X about Y" is retrievable
(and the redactor sees the names in them); the plain body is preferred, an HTML-only body is reduced to
its visible text. Attachments are not loaded.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from ingest.loading.html import html_to_text
from ingest.loading.loader import LoadOptions, single_page
from rag.errors import UnsupportedDocumentError
from rag.types import LoadedDocument


def load_email(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An e-mail as one page: its Subject, From, To and Date lines, a blank line, then its body."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    header_lines = [f"{name}: {message[name]}" for name in ("Subject", "From", "To", "Date") if message[name]]
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            content = body_part.get_content()
        except (LookupError, UnicodeError) as exc:
            raise UnsupportedDocumentError("email body in an unreadable encoding", cause=str(exc)) from exc
        body = html_to_text(content)[0] if body_part.get_content_subtype() == "html" else str(content)
    text = "\n".join(header_lines) + "\n\n" + body.strip()
    subject = str(message["Subject"]) if message["Subject"] else None
    return single_page("email", text.strip(), subject)
