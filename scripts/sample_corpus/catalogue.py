"""The sample corpus: every document, in the order the manifest lists them."""

from __future__ import annotations

from sample_corpus.model import Document
from sample_corpus.operations import INCIDENT_REPORT, NOTE_DE_SERVICE, ONBOARDING, PROCEDURE_BACKUP
from sample_corpus.policies import HR_POLICY, POLITIQUE_TELETRAVAIL, VENDOR_CONTRACT
from sample_corpus.tickets import TICKET_1042, TICKET_1043, TICKET_1044

DOCUMENTS: tuple[Document, ...] = (
    HR_POLICY,
    VENDOR_CONTRACT,
    POLITIQUE_TELETRAVAIL,
    TICKET_1042,
    TICKET_1043,
    TICKET_1044,
    PROCEDURE_BACKUP,
    INCIDENT_REPORT,
    ONBOARDING,
    NOTE_DE_SERVICE,
)
