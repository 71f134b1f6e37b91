"""Export a sentence-transformers model folder to ONNX, once, into a cache under the data dir.

Two exports, all local and offline, both starting from the folder's transformer traced to ONNX by torch's
TorchScript exporter with eager attention:

- fp32 (the ``openvino`` backend): the traced graph as it is; OpenVINO optimises it when it compiles it,
  and computes in bfloat16 on CPUs that do so natively (AVX512_BF16, AMX);
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

from filelock import FileLock

from rag.errors import ConfigurationError

logger = logging.getLogger(__name__)

RECIPE = "torchscript-eager+ort-fusion+dynamic-qint8-per-channel/1"
FP32_RECIPE = "torchscript-eager-fp32/1"
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
    return _cached(folder, cache_dir, RECIPE, lambda source, out: export_int8(source, out))


def cached_fp32_model(folder: Path, cache_dir: Path) -> Path:
    """The fp32 ONNX export of ``folder`` in ``cache_dir``, exported first if it is not there yet."""
    return _cached(folder, cache_dir, FP32_RECIPE, lambda source, out: export_fp32(source, out))


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
        import onnx
        from onnxruntime.quantization import QuantType, quantize_dynamic
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
    import torch
    from transformers import AutoModel, AutoTokenizer

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
    import onnx
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(source), model_type="bert", num_heads=config.num_attention_heads, hidden_size=config.hidden_size
    )
    optimized.save_model_to_file(str(path))
    fused_attention = sum(node.op_type == "Attention" for node in onnx.load(str(path)).graph.node)
    logger.info("fused %d attention blocks", fused_attention)
    return path
