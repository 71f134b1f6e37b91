"""Build the core components from settings; the one place that loads models and opens the store."""

from __future__ import annotations

from rag.embedder import SentenceTransformerEmbedder
from rag.models import embedder_folder
from rag.settings import Settings
from rag.store import ChromaStore, open_chroma_client


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(embedder_folder(settings), batch_size=settings.embed_batch_size)


def open_store(settings: Settings) -> ChromaStore:
    return ChromaStore(open_chroma_client(settings.store_dir, settings.chroma_url, settings.chroma_token))
