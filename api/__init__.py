"""Enclave's edges: the command line and the Litestar HTTP API.

The egress guard goes up first, before any library that might reach the network is imported.
"""

from rag.egress import install_from_env

install_from_env()
