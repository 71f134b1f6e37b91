"""Build the core components from settings; the one place that loads models and opens the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.answer import AnswerService
from rag.embedder import SentenceTransformerEmbedder
from rag.evidence import EvidenceSelector, EvidenceWeights
from rag.generator import LlamaGenerator
from rag.lexical import LexicalIndex
from rag.models import (
    embedder_folder,
    embedder_onnx_cache,
    embedder_openvino_cache,
    embedder_openvino_int8_cache,
    llm_file,
)
from rag.onnx_export import cached_fp32_model, cached_int8_model, cached_qdq_int8_model
from rag.openai_generator import OpenAICompatibleGenerator
from rag.protocols import Embedder, Generator, Redactor
from rag.retriever import HybridRetriever
from rag.settings import Settings
from rag.store import ChromaStore, open_chroma_client
from rag.types import EmbedderBackend


def _torch_embedder(settings: Settings, folder: Path, threads: int | None) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(folder, batch_size=settings.embed_batch_size, threads=threads)


def _onnx_int8_embedder(settings: Settings, folder: Path, threads: int | None) -> SentenceTransformerEmbedder:
    model = cached_int8_model(folder, embedder_onnx_cache(settings))
    return SentenceTransformerEmbedder(folder, batch_size=settings.embed_batch_size, onnx_model=model, threads=threads)


def _openvino_embedder(settings: Settings, folder: Path, threads: int | None) -> SentenceTransformerEmbedder:
    model = cached_fp32_model(folder, embedder_openvino_cache(settings))
    return SentenceTransformerEmbedder(
        folder, batch_size=settings.embed_batch_size, openvino_model=model, threads=threads
    )


def _openvino_int8_embedder(settings: Settings, folder: Path, threads: int | None) -> SentenceTransformerEmbedder:
    model = cached_qdq_int8_model(folder, embedder_openvino_int8_cache(settings))
    return SentenceTransformerEmbedder(
        folder, batch_size=settings.embed_batch_size, openvino_model=model, threads=threads, quantized=True
    )


EmbedderFactory = Callable[[Settings, Path, int | None], SentenceTransformerEmbedder]

# One entry per backend: a new backend is a value of EmbedderBackend and a factory here.
EMBEDDER_BACKENDS: dict[EmbedderBackend, EmbedderFactory] = {
    EmbedderBackend.TORCH: _torch_embedder,
    EmbedderBackend.ONNX_INT8: _onnx_int8_embedder,
    EmbedderBackend.OPENVINO: _openvino_embedder,
    EmbedderBackend.OPENVINO_INT8: _openvino_int8_embedder,
}


def load_embedder(settings: Settings, threads: int | None = None) -> SentenceTransformerEmbedder:
    """The embedder the settings name; ``threads`` overrides ``embed_threads`` (ingestion's worker split)."""
    factory = EMBEDDER_BACKENDS[EmbedderBackend(settings.embedder_backend)]
    return factory(settings, embedder_folder(settings), threads or settings.embed_threads)


def open_store(settings: Settings) -> ChromaStore:
    """The vector store; it reads chunk texts on a connection of its own to the lexical index (so that a search's
    texts do not wait behind an upload's writes), which it closes with itself."""
    client = open_chroma_client(settings.store_dir, settings.chroma_url, settings.chroma_token)
    texts = LexicalIndex(settings.lexical_path)
    return ChromaStore(client, texts=texts.texts, closers=[texts.close])


def load_generator(settings: Settings) -> Generator:
    if settings.llm_base_url:
        return OpenAICompatibleGenerator(
            settings.llm_base_url,
            model=settings.llm_model_name,
            api_key=settings.llm_api_key,
            temperature=settings.llm_temperature,
            allowed_hosts=settings.llm_allowed_hosts,
        )
    # The bundled model is a base model: "auto" gives it the few-shot completion prompt.
    use_chat = settings.llm_prompt_style == "chat" or (
        settings.llm_prompt_style == "auto" and settings.llm_path is not None
    )
    return LlamaGenerator(
        llm_file(settings),
        n_ctx=settings.llm_context,
        n_threads=settings.llm_threads,
        temperature=settings.llm_temperature,
        use_chat_template=use_chat,
    )


def build_answers(
    settings: Settings, *, redactor: Redactor, retriever: HybridRetriever, embedder: Embedder, generator: Generator
) -> AnswerService:
    """The answer service the settings describe, on already-loaded models."""
    evidence = EvidenceSelector(
        embedder,
        generator=generator,
        weights=EvidenceWeights(model=settings.evidence_model_weight),
        min_score=settings.evidence_min_score,
    )
    return AnswerService(
        redactor=redactor,
        retriever=retriever,
        generator=generator,
        evidence=evidence,
        mode=settings.answer_mode,
        top_k=settings.top_k,
        min_similarity=settings.min_similarity,
        max_tokens=settings.llm_max_tokens,
        max_question_chars=settings.max_question_chars,
    )
