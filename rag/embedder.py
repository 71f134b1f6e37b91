"""Sentence-transformers embeddings from a local model folder, computed by torch (fp32), ONNX Runtime (int8)
or OpenVINO (the fp32 graph, in bfloat16 where the CPU computes it natively)."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from rag.errors import ConfigurationError
from rag.types import EmbedderBackend


class _Encoder(Protocol):
    dimension: int
    max_seq_length: int
    tokenizer: Any
    # Held around every call into ``tokenizer``, the encoder's own included (see SentenceTransformerEmbedder).
    tokenizer_lock: threading.Lock

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]: ...


class SentenceTransformerEmbedder:
    """Embeds with a local sentence-transformers model; also the tokenizer that bounds chunks.

    With ``onnx_model`` (an int8 export of the same folder, see rag/onnx_export.py) the vectors come from
    ONNX Runtime instead of torch, with ``openvino_model`` (its fp32 export, or its int8 QDQ export with
    ``quantized``) from OpenVINO; tokenizer, truncation, pooling and normalization stay the model's own.
    ``threads`` bounds the threads of ONNX Runtime and OpenVINO (default: one per core).

    Safe to share between threads: the server embeds queries on request threads while its upload path chunks
    (``token_spans``) and embeds. Hugging Face's fast tokenizer is not: each call sets its truncation (on to
    embed, off to measure chunks) on the one Rust object, so concurrent calls raise "Already borrowed" or
    tokenize with the other call's truncation (chunks cut short, queries past the model's length). Every
    call into it holds the encoder's ``tokenizer_lock``; inference runs outside it, except torch's, which
    tokenizes inside ``encode``.
    """

    def __init__(
        self,
        folder: Path,
        batch_size: int = 32,
        onnx_model: Path | None = None,
        openvino_model: Path | None = None,
        threads: int | None = None,
        quantized: bool = False,
    ) -> None:
        self._encoder: _Encoder
        if openvino_model is not None:
            self.backend = EmbedderBackend.OPENVINO_INT8 if quantized else EmbedderBackend.OPENVINO
            self._encoder = _OpenVinoEncoder(folder, openvino_model, batch_size, threads, quantized)
        elif onnx_model is not None:
            self.backend = EmbedderBackend.ONNX_INT8
            self._encoder = _OnnxEncoder(folder, onnx_model, batch_size, threads)
        else:
            self.backend = EmbedderBackend.TORCH
            self._encoder = _TorchEncoder(folder, batch_size)
        self.dimension: int = self._encoder.dimension
        # The model truncates beyond this many tokens, special tokens included.
        self.max_tokens: int = self._encoder.max_seq_length - 2
        self._tokenizer = self._encoder.tokenizer

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encoder.encode(list(texts))

    def token_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        if not texts:
            return []
        with self._encoder.tokenizer_lock:
            encoded = self._tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [[(int(a), int(b)) for a, b in offsets] for offsets in encoded["offset_mapping"]]


class _TorchEncoder:
    def __init__(self, folder: Path, batch_size: int) -> None:
        from sentence_transformers import SentenceTransformer  # deferred: heavy (torch)

        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        self.dimension = int(self._model.get_embedding_dimension() or 0)
        self.max_seq_length = int(self._model.max_seq_length or 256)
        self.tokenizer = self._model.tokenizer
        self.tokenizer_lock = threading.Lock()
        # Every call runs on this one thread. torch keeps a team of OpenMP threads for each thread it
        # computed on, for as long as that thread lives, and the OpenMP runtime stops spinning at barriers
        # while it manages more threads than there are cores: calls from the server's many request threads
        # would leave a team on each. (llama.cpp built with OpenMP shared that runtime and generated at 62%
        # of its speed.) A thread per call would avoid that too, but pays about 10 ms per query for torch's
        # per-thread start.
        self._torch_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enclave-torch")

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        vectors = self._torch_thread.submit(self._encode_holding_tokenizer, texts).result()
        return np.asarray(vectors, dtype=np.float32)

    def _encode_holding_tokenizer(self, texts: list[str]) -> Any:
        # sentence-transformers tokenizes inside encode(), batch by batch: the whole call holds the lock.
        with self.tokenizer_lock:
            return self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )


class _ExportedEncoder:
    """An exported transformer run by an inference engine; the folder's tokenizer and pooling around it."""

    dimension: int
    _inputs: list[str]

    def __init__(self, folder: Path, batch_size: int) -> None:
        from transformers import AutoTokenizer  # deferred: heavy (transformers)

        self._pooling = _pooling_mode(folder)
        config = _read_json(folder / "sentence_bert_config.json")
        self._lower_case = bool(config.get("do_lower_case", False))
        self.tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self.tokenizer_lock = threading.Lock()
        self.max_seq_length = int(config.get("max_seq_length") or min(self.tokenizer.model_max_length, 512))
        self._batch_size = batch_size
        if self.tokenizer.pad_token_id is None:
            raise ConfigurationError(
                f"the tokenizer of {folder} has no padding token, which batches need: "
                "set ENCLAVE_EMBEDDER_BACKEND=torch"
            )

    def _hidden(self, feeds: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        """The last hidden state of one batch."""
        raise NotImplementedError

    def encode(self, texts: list[str]) -> npt.NDArray[np.float32]:
        if self._lower_case:
            texts = [text.lower() for text in texts]
        with self.tokenizer_lock:
            encoded = self.tokenizer(texts, truncation=True, max_length=self.max_seq_length, verbose=False)
        # Longest first by tokens, so that a batch pads to the same length: sorted by characters, as
        # sentence-transformers does, chunks cut at a token bound padded ~15% more tokens than they held. The text
        # breaks ties so that a vector does not depend on the order of the inputs.
        lengths = [len(ids) for ids in encoded["input_ids"]]
        order = sorted(range(len(texts)), key=lambda i: (-lengths[i], texts[i]))
        result = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(texts), self._batch_size):
            batch = order[start : start + self._batch_size]
            with self.tokenizer_lock:
                padded = self.tokenizer.pad(
                    {name: [rows[i] for i in batch] for name, rows in encoded.items()}, return_tensors="np"
                )
            feeds = {name: np.asarray(padded[name], dtype=np.int64) for name in self._inputs}
            result[batch] = _pool(self._hidden(feeds), feeds["attention_mask"], self._pooling)
        norms = np.linalg.norm(result, axis=1, keepdims=True)
        return np.asarray(result / np.clip(norms, 1e-12, None), dtype=np.float32)


class _OnnxEncoder(_ExportedEncoder):
    """The int8 export in ONNX Runtime."""

    def __init__(self, folder: Path, model: Path, batch_size: int, threads: int | None = None) -> None:
        import onnxruntime as ort  # deferred: heavy, only for the ONNX backends

        super().__init__(folder, batch_size)
        options = ort.SessionOptions()
        # Idle worker threads would otherwise spin between batches, taking CPU from the redactor and the LLM.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = [item.name for item in self._session.get_inputs()]
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def _hidden(self, feeds: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        return np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)


class _OpenVinoEncoder(_ExportedEncoder):
    """The fp32 export compiled by OpenVINO for this CPU.

    OpenVINO picks the precision it computes in: bfloat16 where the CPU has native bfloat16 arithmetic
    (AVX512_BF16, AMX), which keeps MiniLM's vectors within 1e-4 of fp32 in cosine, fp32 elsewhere.
    ``precision`` says which one it took.
    """

    def __init__(
        self, folder: Path, model: Path, batch_size: int, threads: int | None = None, quantized: bool = False
    ) -> None:
        import openvino as ov  # deferred: heavy, only for the OpenVINO backends

        super().__init__(folder, batch_size)
        # LATENCY: one stream that uses every core for each batch, which is how ingestion and queries call it.
        # No pinning: OpenVINO pins its threads to the first cores, so the embedders of two processes (an
        # ingestion worker's and the ingesting process's) would share one core and run at half speed.
        config: dict[str, Any] = {"PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": False}
        if threads:
            config["INFERENCE_NUM_THREADS"] = threads
        core = ov.Core()
        self._compiled = core.compile_model(core.read_model(str(model)), "CPU", config)
        self._inputs = [port.get_any_name() for port in self._compiled.inputs]
        self.dimension = int(self._compiled.outputs[0].get_partial_shape()[-1].get_length())
        hint = str(self._compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name())
        self.precision = f"int8+{hint}" if quantized else hint

    def _hidden(self, feeds: dict[str, npt.NDArray[np.int64]]) -> npt.NDArray[np.float32]:
        # One request per call: the server embeds queries from several threads at once.
        request = self._compiled.create_infer_request()
        return np.asarray(request.infer(feeds)[0], dtype=np.float32)


_POOLING_KEYS = {"pooling_mode_mean_tokens": "mean", "pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max"}


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text("utf-8"))
    return data if isinstance(data, dict) else {}


def _pooling_mode(folder: Path) -> str:
    """The folder's pooling, if it is one this backend reproduces: Transformer, Pooling, optional Normalize."""
    modules = json.loads((folder / "modules.json").read_text("utf-8")) if (folder / "modules.json").is_file() else []
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(kind != "Normalize" for kind in kinds[2:]):
        raise ConfigurationError(
            f"the onnx-int8 and openvino embedders run Transformer + Pooling (+ Normalize) models; {folder} has "
            f"{', '.join(kinds) or 'no modules.json'}: set ENCLAVE_EMBEDDER_BACKEND=torch"
        )
    pooling = _read_json(folder / modules[1]["path"] / "config.json")
    if pooling.get("pooling_mode") in ("mean", "cls", "max"):  # the single-key form of newer configs
        return str(pooling["pooling_mode"])
    chosen = [mode for key, mode in _POOLING_KEYS.items() if pooling.get(key)]
    others = [
        key for key, value in pooling.items() if key.startswith("pooling_mode") and value and key not in _POOLING_KEYS
    ]
    if len(chosen) != 1 or others:
        raise ConfigurationError(
            f"the onnx-int8 and openvino embedders support mean, cls or max pooling; {folder} asks for {pooling}: "
            "set ENCLAVE_EMBEDDER_BACKEND=torch"
        )
    return chosen[0]


def _pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64], mode: str) -> npt.NDArray[np.float32]:
    if mode == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(np.float32)
    if mode == "max":
        return np.where(weights > 0, hidden, -1e9).max(axis=1)
    return (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
