"""One error hierarchy for Enclave; the API maps each class to an RFC 9457 problem type."""

from __future__ import annotations


class EnclaveError(Exception):
    """Base of every error Enclave raises on purpose. ``status`` is the HTTP status it maps to.

    ``detail`` is Enclave's own words, safe to show to any client. ``cause`` is what a library said
    (an exception's message): it may name internals, so it goes to the operator's terminal and log,
    never into an HTTP response.
    """

    status: int = 500
    title: str = "Internal error"

    def __init__(self, detail: str, *, cause: str | None = None) -> None:
        super().__init__(detail if cause is None else f"{detail} ({cause})")
        self.detail = detail
        self.cause = cause


class ConfigurationError(EnclaveError):
    title = "Configuration error"


class ModelNotFoundError(ConfigurationError):
    title = "Model not found"


class InvalidInputError(EnclaveError):
    status = 400
    title = "Invalid input"


class PayloadTooLargeError(InvalidInputError):
    status = 413
    title = "Payload too large"


class NotFoundError(EnclaveError):
    status = 404
    title = "Not found"


class ConflictError(EnclaveError):
    """The request would replace or clash with something that exists, and did not ask to."""

    status = 409
    title = "Conflict"


class CollectionNotFoundError(NotFoundError):
    title = "Unknown collection"


class LabelSetNotFoundError(NotFoundError):
    title = "Unknown label set"


class DocumentNotFoundError(NotFoundError):
    title = "Unknown document"


class UnsupportedDocumentError(EnclaveError):
    """A file Enclave cannot ingest: unknown type, encrypted, broken, no text, too large."""

    status = 415
    title = "Unsupported document"


class StoreError(EnclaveError):
    status = 503
    title = "Store unavailable"


class StoreBusyError(StoreError):
    title = "Store locked by another writer"


class ExecutorError(EnclaveError):
    """Ingestion's workers (local processes or a Dask cluster) could not be started or lost a batch: the run stops
    with nothing half-written, and the next run completes it."""

    status = 503
    title = "Ingestion workers unavailable"


class GeneratorUnavailableError(EnclaveError):
    """The language model server (ENCLAVE_LLM_BASE_URL) did not answer or answered with an error."""

    status = 503
    title = "Language model unavailable"


class RetryLaterError(EnclaveError):
    """An error the caller can retry after ``retry_after`` seconds (sent as ``Retry-After``)."""

    def __init__(self, detail: str, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class OverloadedError(RetryLaterError):
    status = 503
    title = "Busy"


class AuthenticationError(EnclaveError):
    status = 401
    title = "Unauthorized"


class ForbiddenError(EnclaveError):
    status = 403
    title = "Forbidden"


class RateLimitedError(RetryLaterError):
    status = 429
    title = "Too many requests"
