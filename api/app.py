"""The Litestar application."""

from __future__ import annotations

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, YamlRenderPlugin

from api.admin_routes import AdminController, me
from api.document_routes import DocumentController
from api.health_routes import healthz, readyz
from api.labelset_routes import LabelSetController
from api.metrics import count_generations, http_metrics_middleware, metrics
from api.openai_compat import chat_completions
from api.problems import EXCEPTION_HANDLERS
from api.query_routes import SearchController
from api.route_helpers import services_of
from api.security import NoKeyPolicy, RateLimiter, SecurityMiddleware, context_of
from api.services import Services
from api.ticket_routes import TicketController
from api.web import web_router


def create_app(services: Services, bind_host: str | None = None) -> Litestar:
    """An app serving ``services``, which are loaded before the server starts listening.

    ``bind_host`` is the address the server listens on (default: ``ENCLAVE_HOST``): only on loopback may
    it serve callers without a key, when no key is active."""
    settings = services.settings
    count_generations(services.generator)  # for the tokens counter at /metrics
    return Litestar(
        route_handlers=[
            SearchController,
            TicketController,
            LabelSetController,
            # Uploads get their own, larger body limit than JSON requests.
            Router(path="/", route_handlers=[DocumentController], request_max_body_size=settings.max_upload_bytes),
            chat_completions,
            healthz,
            readyz,
            metrics,
            AdminController,
            me,
            web_router(),  # the web page at / and /ui, a client of the routes above
        ],
        dependencies={
            "services": Provide(services_of, sync_to_thread=False),
            "context": Provide(context_of, sync_to_thread=False),
        },
        middleware=[
            http_metrics_middleware(),  # outermost: 401 and 429 answers are counted too
            DefineMiddleware(
                SecurityMiddleware,
                keys=services.keys,
                audit=services.audit,
                limiter=RateLimiter(settings.rate_limit_per_minute),
                no_key=NoKeyPolicy(bind_host or settings.host),
            ),
        ],
        state=State({"services": services}),
        # The server owns the embedded store while it runs (ingest/lock.py) and closes what the services
        # opened when it stops (copies of one Services share them until the last is closed).
        on_startup=[services.own_store],
        on_shutdown=[services.close],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_request_bytes,
        openapi_config=OpenAPIConfig(
            title="Enclave",
            version="0.1.0",
            description="Private retrieval-augmented answers over your documents. Errors are RFC 9457 problems.",
            path="/schema",
            # Machine-readable only: the HTML renderers would load scripts from a CDN.
            render_plugins=[JsonRenderPlugin(), YamlRenderPlugin()],
        ),
        debug=False,
    )
