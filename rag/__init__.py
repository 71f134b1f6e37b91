"""Enclave core: settings, types, embedder, store, retrieval and answers."""

from rag.offline import force_offline_env

# Bump when chunking or embedding changes so that chunk ids of a new pipeline never collide with old ones.
PIPELINE_VERSION = "1"

force_offline_env()
