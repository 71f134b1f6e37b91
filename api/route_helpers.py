"""What several route modules share: the services dependency, the collection a request names, and what the
audit trail keeps of an answer."""

from __future__ import annotations

from litestar.datastructures import State

from api.security import RequestContext
from api.services import Services
from rag.answer import Answer
from rag.store import validate_collection_name


def services_of(state: State) -> Services:
    """The ``services`` dependency: what the running server loaded, kept in the app's state."""
    services: Services = state.services
    return services


def collection_of(services: Services, name: str | None) -> str:
    """The collection a request names, or the default one; InvalidInputError for a name that is not valid."""
    return validate_collection_name(name or services.settings.default_collection)


def note_answer(context: RequestContext, answer: Answer) -> None:
    """What the audit trail keeps of an answer: the redacted question, sources and guard counts."""
    context.audit.update(
        question=answer.question,
        chunk_ids=[citation.chunk_id for citation in answer.citations],
        guard=answer.guard,
        answered=answer.answered,
        verified=answer.verified,
        state=str(answer.state),
    )
