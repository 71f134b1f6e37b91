"""The commands that start a server: serve (Enclave's HTTP API) and chroma-gateway (the token check in front of
a Chroma server)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from api.cli.common import cli_settings, console, failure_exit
from api.cli.wiring import serving_services
from api.keys import KeyStore
from rag.egress import installed_guard, is_loopback_host
from rag.errors import EnclaveError

# Registered without a name (api/cli/root.py): these commands are top-level verbs of `enclave`.
commands = typer.Typer()


@commands.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: ENCLAVE_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: ENCLAVE_PORT, 8000).")] = None,
) -> None:
    """Serve the HTTP API (OpenAPI schema at /schema/openapi.json). Loads every model before listening."""
    import uvicorn  # deferred: heavy (uvicorn)

    from api.app import create_app  # deferred: heavy (Litestar, and the models through api.services)

    settings = cli_settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    # Said first, before anything else can stop the start: an operator must see it in every start's log.
    if installed_guard() is None:
        logging.getLogger("enclave").warning(
            "the egress guard is OFF (ENCLAVE_EGRESS_GUARD=off): outbound connections are not refused"
        )
    # Said at start for the operator; the running server also refuses every request (401) whenever no key is
    # active while it listens beyond loopback, however the keys went (revoked, file deleted or emptied).
    try:
        exposed = not is_loopback_host(bind_host) and not KeyStore(settings.keys_path).has_active_keys()
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    if exposed:
        console.print(
            f"[bold red]refusing to start:[/] binding to {bind_host} would expose Enclave beyond this machine, and "
            "no API key is configured, so anyone who can reach it could read every collection. Create a key "
            "first: enclave keys create --collections '*' --role admin"
        )
        raise typer.Exit(code=2)
    try:
        services = serving_services(settings)
    except EnclaveError as exc:
        raise failure_exit(exc) from exc
    console.print(f"Enclave serving on http://{bind_host}:{bind_port} (data dir {settings.data_dir})")
    # Keep-alive longer than clients' pools keep idle connections (httpx 5 s, nginx 60 s): with uvicorn's
    # default of 5 s a client may reuse a connection the server is closing, and its request fails.
    uvicorn.run(
        create_app(services, bind_host=bind_host),
        host=bind_host,
        port=bind_port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=65,
    )


@commands.command("chroma-gateway")
def chroma_gateway(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8001,
) -> None:
    """Serve a token-checking gateway in front of the Chroma server at ENCLAVE_CHROMA_URL.

    Chroma's 1.x server has no authentication of its own: put it on a network only this gateway joins,
    and point Enclave's ENCLAVE_CHROMA_URL at the gateway. Requests must carry ENCLAVE_CHROMA_TOKEN as
    "Authorization: Bearer" (or "X-Chroma-Token"); others get 401 and never reach Chroma.
    """
    import uvicorn  # deferred: heavy (uvicorn)

    from api.chroma_gateway import ChromaGateway  # deferred: heavy (Litestar, httpx)

    settings = cli_settings()
    if not settings.chroma_url or not settings.chroma_token:
        console.print(
            "[bold red]refusing to start:[/] the gateway forwards to ENCLAVE_CHROMA_URL and requires "
            "ENCLAVE_CHROMA_TOKEN; set both (the token is the one Enclave's API and ingest job send)"
        )
        raise typer.Exit(code=2)
    console.print(f"Chroma gateway on http://{host}:{port} -> {settings.chroma_url} (token required)")
    gateway = ChromaGateway(settings.chroma_url, settings.chroma_token)
    uvicorn.run(gateway, host=host, port=port, log_level="warning", access_log=False)
