"""Export a sentence-transformers model folder to ONNX, once, into a cache under the data dir.

Two exports, all local and offline, both starting from the folder's transformer traced to ONNX by torch's
TorchScript exporter with eager attention:

- fp32 (the ``openvino`` backend): the traced graph as it is; OpenVINO optimises it when it compiles it,
  and computes in bfloat16 on CPUs that do so natively (AVX512_BF16, AMX);
- int8 for OpenVINO (the ``openvino-int8`` backend): ONNX Runtime's static quantization writes QDQ pairs
  around the linear layers' inputs and weights (int8 per output channel, activation ranges calibrated on
  the bundled text rag/data/calibration.txt), which OpenVINO runs as int8 matrix products, the rest in
  bfloat16 or fp32 as above. Two kinds of product stay unquantized: attention's (both sides are
  activations) and the feed-forward down-projection, whose input after GELU has outliers that one scale
  per tensor cannot hold (quantizing it cost 0.07 of cosine agreement with fp32);
- int8 (the ``onnx-int8`` backend): ONNX Runtime's transformer optimizer fuses attention, layer norms and
  GELU (BERT-like encoders), then ONNX Runtime dynamically quantizes the weights of every MatMul and
  Attention to int8, per channel (per-tensor scales cost MiniLM about 0.05 of cosine agreement with fp32,
  per-channel about 0.01).

sentence-transformers' own ONNX tools need optimum-onnx, whose releases require transformers < 4.58
while sentence-transformers 6 requires transformers >= 5, so they cannot be installed together.

The cache is keyed by a digest of the folder's files and the recipe: a new model (or recipe) gets a new
export, an unchanged one is loaded as it is. Exports are written to a temporary folder and renamed into
place under a file lock, so concurrent processes neither race nor see half a model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import warnings
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock

from rag.errors import ConfigurationError

logger = logging.getLogger(__name__)

RECIPE = "torchscript-eager+ort-fusion+dynamic-qint8-per-channel/1"
FP32_RECIPE = "torchscript-eager-fp32/1"
QDQ_RECIPE = "torchscript-eager+ort-static-qdq-int8-linear-minmax/1"
CALIBRATION_TEXT = Path(__file__).resolve().parent / "data" / "calibration.txt"
_CALIBRATION_TOKENS = 128
_CALIBRATION_STRIDE = 16
_CALIBRATION_BATCH = 8
MODEL_FILE = "model.onnx"
INFO_FILE = "export.json"
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Encoders whose graph ONNX Runtime's BERT fusions match; any other model is quantized unfused.
_BERT_LIKE = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "distilbert", "electra"})


def folder_digest(folder: Path, recipe: str = RECIPE) -> str:
    """SHA-256 over the relative path and bytes of every file in ``folder``, and the export recipe."""
    digest = hashlib.sha256(recipe.encode())
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(b"\x00" + str(path.relative_to(folder)).encode() + b"\x00")
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1024 * 1024), b""):
                digest.update(block)
    return digest.hexdigest()


def cached_int8_model(folder: Path, cache_dir: Path) -> Path:
    """The int8 ONNX export of ``folder`` in ``cache_dir``, exported first if it is not there yet."""
    return _cached(folder, cache_dir, RECIPE, export_int8)


def cached_fp32_model(folder: Path, cache_dir: Path) -> Path:
    """The fp32 ONNX export of ``folder`` in ``cache_dir``, exported first if it is not there yet."""
    return _cached(folder, cache_dir, FP32_RECIPE, export_fp32)


def cached_qdq_int8_model(folder: Path, cache_dir: Path) -> Path:
    """The statically quantized (QDQ) int8 export of ``folder`` in ``cache_dir``, exported first if need be."""
    return _cached(folder, cache_dir, QDQ_RECIPE, export_qdq_int8)


def _cached(folder: Path, cache_dir: Path, recipe: str, export: Callable[[Path, Path], None]) -> Path:
    key = folder_digest(folder, recipe)[:20]
    target = cache_dir / key
    model = target / MODEL_FILE
    if model.is_file():
        return model
    cache_dir.mkdir(parents=True, exist_ok=True)
    # No timeout: the holder is a live process exporting (the OS drops the lock of a dead one).
    with FileLock(str(cache_dir / f"{key}.lock")):
        if model.is_file():  # another process exported it while this one waited
            return model
        work = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=cache_dir))
        try:
            export(folder, work)
            if target.exists():  # only a folder left by hand can be incomplete: finished ones are renamed in whole
                shutil.rmtree(target)
            work.rename(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    logger.info("exported %s to %s", folder, model)
    return model


def export_int8(folder: Path, out: Path) -> None:
    """Write ``out/model.onnx`` (int8) and ``out/export.json`` from the sentence-transformers ``folder``."""
    try:
        import onnx  # deferred: heavy, only when a model is exported
        from onnxruntime.quantization import (  # deferred: heavy, only when a model is exported
            QuantType,
            quantize_dynamic,
        )
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise ConfigurationError(f"the onnx-int8 embedder needs the onnx package ({exc})") from exc
    fp32 = out / "fp32.onnx"
    inputs, config = _export_fp32(folder, fp32)
    model_type = str(config.model_type)
    fused = _fuse(fp32, out / "fused.onnx", config) or fp32
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs advice about calibration that does not apply here
    try:
        quantize_dynamic(
            str(fused),
            str(out / MODEL_FILE),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Attention"],
            # Fused operators come from the com.microsoft domain, whose outputs shape inference cannot type.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    for intermediate in {fp32, fused}:
        intermediate.unlink(missing_ok=True)
    _write_info(out, folder, RECIPE, inputs, model_type)


def export_fp32(folder: Path, out: Path) -> None:
    """Write ``out/model.onnx`` (fp32, as traced) and ``out/export.json`` from the sentence-transformers ``folder``."""
    inputs, config = _export_fp32(folder, out / MODEL_FILE)
    _write_info(out, folder, FP32_RECIPE, inputs, str(config.model_type))


def export_qdq_int8(folder: Path, out: Path) -> None:
    """Write ``out/model.onnx`` (QDQ int8 linear layers) and ``out/export.json`` from ``folder``."""
    import onnx  # deferred: heavy, only when a model is exported
    from onnxruntime.quantization import (  # deferred: heavy, only when a model is exported
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )

    fp32 = out / "fp32.onnx"
    inputs, config = _export_fp32(folder, fp32)
    graph = onnx.load(str(fp32), load_external_data=False).graph
    linear = quantizable_matmuls(graph)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs progress and advice at INFO and WARNING
    try:
        quantize_static(
            str(fp32),
            str(out / MODEL_FILE),
            _CalibrationReader(folder, inputs),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            weight_type=QuantType.QInt8,
            activation_type=QuantType.QUInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=linear,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    fp32.unlink(missing_ok=True)
    for leftover in out.glob("*augmented*"):  # the calibrator's instrumented copy of the model
        leftover.unlink()
    _write_info(out, folder, QDQ_RECIPE, inputs, str(config.model_type))


def quantizable_matmuls(graph: Any) -> list[str]:
    """The MatMul nodes worth int8: a weight on the right (so not attention's products of two activations)
    that does not project down (so not the feed-forward output, fed by GELU's outliers)."""
    weights = {init.name: list(init.dims) for init in graph.initializer}
    chosen = []
    for node in graph.node:
        if node.op_type != "MatMul" or len(node.input) != 2 or node.input[1] not in weights:
            continue
        dims = weights[node.input[1]]
        if len(dims) == 2 and dims[0] <= dims[1]:
            chosen.append(node.name)
    return chosen


class _CalibrationReader:
    """Windows of the bundled calibration text, in the model's own tokens, as ONNX Runtime's calibrator reads them."""

    def __init__(self, folder: Path, inputs: list[str]) -> None:
        from transformers import AutoTokenizer  # deferred: heavy (transformers)

        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        ids = tokenizer(CALIBRATION_TEXT.read_text("utf-8"), add_special_tokens=False)["input_ids"]
        body = _CALIBRATION_TOKENS - 2
        windows = [
            tokenizer.decode(ids[start : start + body])
            for start in range(0, max(1, len(ids) - body + 1), _CALIBRATION_STRIDE)
        ]
        self._batches = []
        for start in range(0, len(windows), _CALIBRATION_BATCH):
            encoded = tokenizer(
                windows[start : start + _CALIBRATION_BATCH],
                padding="max_length",
                truncation=True,
                max_length=_CALIBRATION_TOKENS,
                return_tensors="np",
            )
            self._batches.append({name: np.asarray(encoded[name], dtype=np.int64) for name in inputs})
        self._next = iter(self._batches)

    def get_next(self) -> dict[str, Any] | None:
        return next(self._next, None)

    def rewind(self) -> None:
        self._next = iter(self._batches)


def _write_info(out: Path, folder: Path, recipe: str, inputs: list[str], model_type: str) -> None:
    info = {
        "source": str(folder),
        "recipe": recipe,
        "inputs": inputs,
        "model_type": model_type,
        "versions": {name: metadata.version(name) for name in ("torch", "transformers", "onnx", "onnxruntime")},
    }
    (out / INFO_FILE).write_text(json.dumps(info, indent=2), encoding="utf-8")


def _export_fp32(folder: Path, path: Path) -> tuple[list[str], Any]:
    import torch  # deferred: heavy (torch), only when a model is exported
    from transformers import AutoModel, AutoTokenizer  # deferred: heavy (transformers)

    try:
        model = AutoModel.from_pretrained(str(folder), attn_implementation="eager", local_files_only=True).eval()
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot load the transformer in {folder} for export", cause=str(exc)) from exc
    sample = tokenizer(["a short text", "a somewhat longer text to export with"], padding=True, return_tensors="pt")
    names = [name for name in _INPUTS if name in sample]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *tensors: Any) -> Any:
            return self.inner(**dict(zip(names, tensors, strict=True))).last_hidden_state

    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on Python control flow that is constant for encoders
        torch.onnx.export(
            LastHiddenState(model),
            tuple(sample[name] for name in names),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )
    return names, model.config


def _fuse(source: Path, path: Path, config: Any) -> Path | None:
    if config.model_type not in _BERT_LIKE:
        return None
    import onnx  # deferred: heavy, only when a model is exported
    from onnxruntime.transformers.optimizer import optimize_model  # deferred: heavy, only when a model is exported

    optimized = optimize_model(
        str(source), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    optimized.save_model_to_file(str(path))
    fused_attention = sum(node.op_type == "Attention" for node in onnx.load(str(path)).graph.node)
    logger.info("fused %d attention blocks", fused_attention)
    return path
