"""Every error as RFC 9457 problem details (``application/problem+json``), never with internals."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from rag.errors import EnclaveError, RetryLaterError

logger = logging.getLogger("enclave.api")
PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    headers = {}
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def enclave_error_handler(request: Request[Any, Any, Any], exc: EnclaveError) -> Response[dict[str, Any]]:
    if isinstance(exc, RetryLaterError):
        return problem(exc.status, exc.title, exc.detail, retry_after=exc.retry_after)
    if exc.status >= 500:
        logger.error("%s %s failed: %s: %s", request.method, request.url.path, exc.title, exc)
    # Only Enclave's own words: ``exc.cause`` (a library's message) stays in the log.
    return problem(exc.status, exc.title, exc.detail)


def validation_error_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    # Only where and what, never the submitted value: it may be personal data.
    errors = [
        {"key": item.get("key"), "message": item.get("message")}
        for item in (exc.extra if isinstance(exc.extra, list) else [])
        if isinstance(item, dict)
    ]
    detail = "the request body is not valid JSON" if "JSON" in str(exc.detail) else "the request is not valid"
    return problem(400, "Invalid request", detail, errors=errors)


def http_error_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    headers_retry = (exc.headers or {}).get("Retry-After")
    extra = {"retry_after": int(headers_retry)} if headers_retry else {}
    if exc.status_code >= 500:
        # The framework's 5xx details can carry an exception's message: logged, not sent.
        logger.error("%s %s failed: %s", request.method, request.url.path, exc.detail)
        return problem(exc.status_code, _title(exc.status_code), "the server could not complete the request", **extra)
    return problem(exc.status_code, _title(exc.status_code), str(exc.detail), **extra)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("%s %s failed", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "Internal error", "the server could not complete the request")


def _title(status: int) -> str:

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS: dict[Any, Any] = {
    EnclaveError: enclave_error_handler,
    ValidationException: validation_error_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
