"""Enclave's edges: the command line and the Litestar HTTP API."""
