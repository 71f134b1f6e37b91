"""E-mail (RFC 822 / .eml): the headers a reader searches by, then the body; its attachments, as files.

Subject, sender, recipients and date stay in the text so that "the mail from X about Y" is retrievable
(and the redactor sees the names in them); the plain body is preferred, an HTML-only body is reduced to
its visible text. Each attachment (a forwarded message too) is handed back in ``LoadedDocument.attachments``
with its name and bytes, for the pipeline to ingest as a document of its own; ``Attachments`` caps how many
and how many bytes, and names what it leaves out in the document's warnings. Outlook's .msg (``msg``) reads
the same way and shares ``message_page`` and ``Attachments``.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Sequence
from email.message import EmailMessage

from ingest.loading.html import html_to_text
from ingest.loading.loader import LoadOptions
from rag.errors import UnsupportedDocumentError
from rag.types import Attachment, LoadedDocument, Page

MAX_ATTACHMENTS = 20  # per message; more is a mailing of files, not a message with its documents
MAX_ATTACHMENT_BYTES = 64 * 1024 * 1024  # all of a message's attachments together
# An image below this size is a signature logo, an icon or a spacer: no page of text fits in it.
SMALL_IMAGE_BYTES = 16 * 1024
HEADERS = ("Subject", "From", "To", "Date")
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
# Control characters, folders, and the separator of a message and its attachment in a source name ("›").
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\›]+")


def message_page(headers: Sequence[tuple[str, str | None]], body: str) -> Page:
    """A message as one page: its header lines that have a value, a blank line, then its body."""
    lines = [f"{name}: {value}" for name, value in headers if value]
    return Page(number=1, text=("\n".join(lines) + "\n\n" + body.strip()).strip())


class Attachments:
    """A message's attachments within the caps: at most ``MAX_ATTACHMENTS`` files and ``MAX_ATTACHMENT_BYTES``
    together; small images (logos) are left out. Names are made safe (no folders, no control characters) and
    unique within the message, since each becomes part of a source name ("message.msg › report.pdf")."""

    def __init__(self, max_count: int = MAX_ATTACHMENTS, max_bytes: int = MAX_ATTACHMENT_BYTES) -> None:
        self.kept: list[Attachment] = []
        self._max_count = max_count
        self._max_bytes = max_bytes
        self._bytes = 0
        self._left_out: dict[str, list[str]] = {}  # reason -> names

    def add(self, name: str | None, data: bytes) -> None:
        """Keep one attachment, or record why it is left out."""
        safe = self._unique(_safe_name(name, len(self.kept) + 1))
        if not data:
            self.leave_out(safe, "empty")
        elif len(data) < SMALL_IMAGE_BYTES and data.startswith(_IMAGE_MAGIC):
            self.leave_out(safe, f"small images (under {SMALL_IMAGE_BYTES // 1024} KiB: logos, icons)")
        elif len(self.kept) >= self._max_count:
            self.leave_out(safe, f"the limit of {self._max_count} attachments per message")
        elif self._bytes + len(data) > self._max_bytes:
            self.leave_out(safe, f"the limit of {self._max_bytes // (1024 * 1024)} MiB of attachments per message")
        else:
            self._bytes += len(data)
            self.kept.append(Attachment(name=safe, data=data))

    def leave_out(self, name: str | None, reason: str) -> None:
        safe = _safe_name(name, len(self.kept) + sum(map(len, self._left_out.values())) + 1)
        self._left_out.setdefault(reason, []).append(safe)

    def warnings(self) -> list[str]:
        """One line per reason, naming the attachments left out for it."""
        return [
            f"{len(names)} attachment{'s' if len(names) > 1 else ''} not ingested ({reason}): {', '.join(names)}"
            for reason, names in self._left_out.items()
        ]

    def _unique(self, name: str) -> str:
        taken = {attachment.name for attachment in self.kept} | {n for names in self._left_out.values() for n in names}
        if name not in taken:
            return name
        stem, dot, suffix = name.rpartition(".")
        stem, suffix = (stem, f".{suffix}") if dot and stem else (name, "")
        count = 2
        while f"{stem} ({count}){suffix}" in taken:
            count += 1
        return f"{stem} ({count}){suffix}"


def _safe_name(name: str | None, position: int) -> str:
    """The last part of ``name`` (a path in a hostile message stays a name), without control characters."""
    last = _UNSAFE_NAME.sub("/", (name or "").strip()).rstrip("/").rsplit("/", 1)[-1].strip()
    return last[:200] if last not in ("", ".", "..") else f"attachment-{position}"


def load_email(data: bytes, options: LoadOptions, /) -> LoadedDocument:
    """An e-mail as one page (its Subject, From, To and Date lines, a blank line, then its body), with its
    attachments."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            content = body_part.get_content()
        except (LookupError, UnicodeError) as exc:
            raise UnsupportedDocumentError("email body in an unreadable encoding", cause=str(exc)) from exc
        body = html_to_text(content)[0] if body_part.get_content_subtype() == "html" else str(content)
    page = message_page([(name, _header(message, name)) for name in HEADERS], body)
    attachments = Attachments()
    _collect(message, attachments)
    subject = str(message["Subject"]) if message["Subject"] else None
    return LoadedDocument(
        kind="email", pages=[page], title=subject, attachments=attachments.kept, warnings=attachments.warnings()
    )


def _header(message: EmailMessage, name: str) -> str | None:
    value = message[name]
    return str(value) if value else None


def _collect(message: EmailMessage, attachments: Attachments) -> None:
    """The attachments of ``message``, looking into the multipart parts that hold them (a signed or a
    related part) but not into forwarded messages, which are attachments themselves."""
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        forwarded_message = part.get_content_type() == "message/rfc822"  # multipart too, to the email package
        if part.is_multipart() and not forwarded_message:
            _collect(part, attachments)
            continue
        name = part.get_filename()
        try:
            if forwarded_message:
                forwarded = part.get_content()
                data = forwarded.as_bytes() if isinstance(forwarded, EmailMessage) else b""
                # Not named after its subject: that is the message's content, and a source name is never redacted.
                name = name or "forwarded-message.eml"
            else:
                payload = part.get_payload(decode=True)
                data = payload if isinstance(payload, bytes) else b""
        except (LookupError, UnicodeError, ValueError) as exc:
            attachments.leave_out(name, f"unreadable ({type(exc).__name__})")
            continue
        attachments.add(name, data)
