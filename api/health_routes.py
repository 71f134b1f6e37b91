"""``GET /healthz`` (the process is up) and ``GET /readyz`` (models loaded, store reachable), without a key."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE

from api.problems import problem
from api.services import Services
from rag.errors import EnclaveError


@get("/healthz", tags=["health"])
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/readyz", tags=["health"], sync_to_thread=True)
def readyz(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
    """Models loaded and the store reachable."""
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        return problem(HTTP_503_SERVICE_UNAVAILABLE, "Not ready", "models are still loading")
    try:
        services.store.heartbeat()
    except EnclaveError as exc:
        return problem(HTTP_503_SERVICE_UNAVAILABLE, "Not ready", exc.detail)
    return Response({"status": "ready", "queue_depth": services.queue.depth})
