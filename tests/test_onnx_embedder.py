"""The int8 ONNX and OpenVINO embedders: exported offline once into the data dir, close to torch, usable by the
pipeline."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import rag.onnx_export
from rag.components import load_embedder
from rag.embedder import SentenceTransformerEmbedder
from rag.errors import ConfigurationError
from rag.models import embedder_folder, embedder_onnx_cache, embedder_openvino_cache
from rag.settings import Settings, load_settings

from .conftest import REPO, make_pipeline, small_folder

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="session")
def onnx_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=tmp_path_factory.mktemp("onnx-data"), embedder_backend="onnx-int8")


@pytest.fixture(scope="session")
def onnx_embedder(onnx_settings: Settings) -> tuple[SentenceTransformerEmbedder, float]:
    """Exported into an empty cache (outbound sockets are blocked for the whole session: offline)."""
    began = time.perf_counter()
    embedder = load_embedder(onnx_settings)
    return embedder, time.perf_counter() - began


def _passages() -> list[str]:
    corpus = REPO / "tests" / "data" / "beir_sample" / "corpus.jsonl"
    return [json.loads(line)["text"] for line in corpus.read_text("utf-8").splitlines()]


def test_export_lands_in_the_data_dirs_model_cache(
    onnx_settings: Settings, onnx_embedder: tuple[SentenceTransformerEmbedder, float]
) -> None:
    embedder, seconds = onnx_embedder
    assert embedder.backend == "onnx-int8"
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    exports = list(embedder_onnx_cache(onnx_settings).glob("*/model.onnx"))
    assert len(exports) == 1
    assert exports[0].parent.is_relative_to(onnx_settings.data_dir / "models")
    info = json.loads((exports[0].parent / "export.json").read_text("utf-8"))
    assert info["recipe"] == rag.onnx_export.RECIPE
    assert info["source"] == str(embedder_folder(onnx_settings))
    # Only the finished export is left: no temporary folder, no fp32 intermediate.
    assert sorted(p.name for p in exports[0].parent.iterdir()) == ["export.json", "model.onnx"]
    assert not [p for p in embedder_onnx_cache(onnx_settings).iterdir() if p.name.startswith(".")]
    print(f"export and load: {seconds:.1f} s")


def test_second_load_reuses_the_export(
    onnx_settings: Settings, onnx_embedder: tuple[SentenceTransformerEmbedder, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = next(embedder_onnx_cache(onnx_settings).glob("*/model.onnx"))
    before = model.stat().st_mtime_ns

    def no_export(folder: Path, out: Path) -> None:
        raise AssertionError("exported again although the cache holds this model")

    monkeypatch.setattr(rag.onnx_export, "export_int8", no_export)
    again = load_embedder(onnx_settings)
    assert model.stat().st_mtime_ns == before
    text = ["The nightly backup starts at 01:30."]
    assert np.allclose(again.embed(text), onnx_embedder[0].embed(text))


def test_cache_key_follows_the_folder_contents(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}", "utf-8")
    (folder / "weights.bin").write_bytes(b"\x00" * 64)
    first = rag.onnx_export.folder_digest(folder)
    assert rag.onnx_export.folder_digest(folder) == first
    (folder / "weights.bin").write_bytes(b"\x01" + b"\x00" * 63)
    assert rag.onnx_export.folder_digest(folder) != first


def test_vectors_agree_with_torch(embedder: Any, onnx_embedder: tuple[SentenceTransformerEmbedder, float]) -> None:
    onnx = onnx_embedder[0]
    texts = _passages()
    if embedder.backend != "torch":  # the session's embedder is the default; compare with torch itself
        embedder = SentenceTransformerEmbedder(embedder_folder(Settings()))
    reference, vectors = embedder.embed(texts), onnx.embed(texts)
    assert vectors.shape == reference.shape == (len(texts), embedder.dimension)
    assert onnx.dimension == embedder.dimension
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.mean() > 0.98
    assert cosines.min() > 0.95
    # The order of the inputs does not change a vector (batches are sorted by length inside).
    assert np.allclose(onnx.embed(texts[::-1])[::-1], vectors, atol=1e-5)
    # Chunks are still bounded by the model's own tokenizer.
    assert onnx.max_tokens == embedder.max_tokens
    assert onnx.token_spans(texts[:5]) == embedder.token_spans(texts[:5])
    assert onnx.embed([]).shape == (0, embedder.dimension)


def test_ingest_and_search_with_the_onnx_backend(
    tmp_path: Path, redactor: Any, onnx_embedder: tuple[SentenceTransformerEmbedder, float]
) -> None:
    from rag.retriever import HybridRetriever

    embedder = onnx_embedder[0]
    pipeline = make_pipeline(tmp_path / "data", redactor, embedder)
    report = pipeline.ingest_paths([small_folder(tmp_path)], "default")
    assert report.count("new") == 3 and not report.failures
    retriever = HybridRetriever(embedder, pipeline.store, pipeline.lexical)
    hits = retriever.search("When does the nightly backup start?", "default", top_k=3, mode="dense")
    assert hits[0].source == "procedure.md"
    assert "01:30" in " ".join(hit.text for hit in hits)


def test_models_it_cannot_reproduce_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"},
    ]
    (folder / "modules.json").write_text(json.dumps(modules), "utf-8")
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}), "utf-8")
    with pytest.raises(ConfigurationError, match="ENCLAVE_EMBEDDER_BACKEND=torch"):
        SentenceTransformerEmbedder(folder, onnx_model=tmp_path / "model.onnx")
    (folder / "modules.json").write_text(json.dumps(modules[:2]), "utf-8")
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"pooling_mode_mean_tokens": False, "pooling_mode_weightedmean_tokens": True}), "utf-8"
    )
    with pytest.raises(ConfigurationError, match="pooling"):
        SentenceTransformerEmbedder(folder, onnx_model=tmp_path / "model.onnx")


def test_backend_setting_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("ENCLAVE_EMBEDDER_BACKEND", "onnx-int8")
    assert Settings().embedder_backend == "onnx-int8"
    monkeypatch.setenv("ENCLAVE_EMBEDDER_BACKEND", "tensorrt")
    with pytest.raises(ValidationError):
        Settings()


_RACE = """
import json, sys
import rag
import rag.onnx_export as export
from pathlib import Path

calls = []
original = export.export_int8
export.export_int8 = lambda folder, out: (calls.append(1), original(folder, out))[1]
model = export.cached_int8_model(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"model": str(model), "exported": bool(calls)}))
"""


@pytest.mark.slow
def test_two_processes_export_once(tmp_path: Path) -> None:
    """Two processes asking for the same export at once: one exports, the other waits and loads it."""
    import subprocess
    import sys

    folder, cache = embedder_folder(Settings()), tmp_path / "cache"
    command = [sys.executable, "-c", _RACE, str(folder), str(cache)]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=REPO) for _ in range(2)]
    results = [json.loads(process.communicate(timeout=600)[0]) for process in processes]
    assert all(process.returncode == 0 for process in processes)
    assert sorted(result["exported"] for result in results) == [False, True]
    assert results[0]["model"] == results[1]["model"]
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [Path(results[0]["model"]).parent.name]


@pytest.fixture(scope="session")
def openvino_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return load_settings(data_dir=tmp_path_factory.mktemp("openvino-data"), embedder_backend="openvino")


@pytest.fixture(scope="session")
def openvino_embedder(openvino_settings: Settings) -> SentenceTransformerEmbedder:
    return load_embedder(openvino_settings)


def test_openvino_runs_the_fp32_export_from_the_data_dirs_cache(
    openvino_settings: Settings, openvino_embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert openvino_embedder.backend == "openvino"
    exports = list(embedder_openvino_cache(openvino_settings).glob("*/model.onnx"))
    assert len(exports) == 1
    info = json.loads((exports[0].parent / "export.json").read_text("utf-8"))
    assert info["recipe"] == rag.onnx_export.FP32_RECIPE
    assert sorted(p.name for p in exports[0].parent.iterdir()) == ["export.json", "model.onnx"]
    # The fp32 and int8 exports of one folder are different files under different keys.
    folder = embedder_folder(openvino_settings)
    assert rag.onnx_export.folder_digest(folder, rag.onnx_export.FP32_RECIPE) != rag.onnx_export.folder_digest(folder)

    def no_export(folder: Path, out: Path) -> None:
        raise AssertionError("exported again although the cache holds this model")

    monkeypatch.setattr(rag.onnx_export, "export_fp32", no_export)
    again = load_embedder(openvino_settings, threads=1)
    text = ["The nightly backup starts at 01:30."]
    assert np.allclose(again.embed(text), openvino_embedder.embed(text), atol=1e-3)


def test_openvino_leaves_its_threads_unpinned(openvino_embedder: SentenceTransformerEmbedder) -> None:
    # Pinned, the embedders of an ingestion worker and of the ingesting process share one core (half speed each).
    compiled = openvino_embedder._encoder._compiled  # type: ignore[attr-defined]
    assert compiled.get_property("ENABLE_CPU_PINNING") is False


def test_openvino_vectors_match_torch(embedder: Any, openvino_embedder: SentenceTransformerEmbedder) -> None:
    texts = _passages()
    if embedder.backend != "torch":
        embedder = SentenceTransformerEmbedder(embedder_folder(Settings()))
    reference, vectors = embedder.embed(texts), openvino_embedder.embed(texts)
    assert vectors.shape == reference.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    # fp32, or bfloat16 where the CPU computes in it: either way within a rounding of torch's fp32.
    assert openvino_embedder._encoder.precision in ("f32", "bf16")  # type: ignore[attr-defined]
    assert cosines.min() > 0.999, cosines.min()
    assert np.allclose(openvino_embedder.embed(texts[::-1])[::-1], vectors, atol=1e-3)
    assert openvino_embedder.token_spans(texts[:5]) == embedder.token_spans(texts[:5])
    assert openvino_embedder.embed([]).shape == (0, embedder.dimension)


def test_openvino_embeds_from_several_threads_at_once(openvino_embedder: SentenceTransformerEmbedder) -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = _passages()[:24]
    alone = openvino_embedder.embed(texts)
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda i: openvino_embedder.embed(texts[i : i + 6]), range(0, 24, 6)))
    assert np.allclose(np.vstack(together), alone, atol=1e-3)


def test_openvino_int8_quantizes_the_linear_layers_but_attention_and_the_down_projections(
    tmp_path: Path, embedder: Any
) -> None:
    import onnx

    settings = load_settings(data_dir=tmp_path / "data", embedder_backend="openvino-int8")
    quantized = load_embedder(settings, threads=1)
    assert quantized.backend == "openvino-int8"
    assert quantized._encoder.precision.startswith("int8+")  # type: ignore[attr-defined]
    model = next((settings.models_dir / "embedder-onnx-qdq-int8").glob("*/model.onnx"))
    assert sorted(p.name for p in model.parent.iterdir()) == ["export.json", "model.onnx"]
    graph = onnx.load(str(model)).graph
    produced_by = {output: node for node in graph.node for output in node.output}
    quantized_inputs = []
    for node in graph.node:
        if node.op_type == "MatMul":
            left = produced_by.get(node.input[0])
            quantized_inputs.append((left is not None and left.op_type == "DequantizeLinear", node.name))
    by_name = dict((name, flag) for flag, name in quantized_inputs)
    # MiniLM: 6 layers of query, key, value, attention output, up and down projections, and 2 attention products.
    assert len(by_name) == 6 * 8
    for name, flag in by_name.items():
        down = "/output/dense/" in name and "/attention/" not in name
        product = "/self/MatMul" in name
        assert flag == (not down and not product), name

    texts = _passages()
    reference = SentenceTransformerEmbedder(embedder_folder(Settings())).embed(texts)
    cosines = (quantized.embed(texts) * reference).sum(axis=1)
    assert cosines.mean() > 0.98 and cosines.min() > 0.95


def test_batches_pad_to_their_longest_member_in_tokens(
    openvino_embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    encoder: Any = openvino_embedder._encoder
    # Characters and tokens disagree: common words are one token each, made-up codes several.
    texts = [
        "information management " * 5,
        "q7x9k2z8 w3v5j1 " * 4,
        "The nightly backup starts at 01:30.",
        "Ok.",
        "Ünïcode façade, naïve coöperation.",
        "xq-17/zz#4 " * 5,
        "organisation " * 4,
    ] * 2
    lengths = [len(ids) for ids in encoder.tokenizer(texts)["input_ids"]]
    widths: list[tuple[int, ...]] = []
    hidden = encoder._hidden
    monkeypatch.setattr(encoder, "_batch_size", 4)
    monkeypatch.setattr(encoder, "_hidden", lambda feeds: (widths.append(feeds["input_ids"].shape), hidden(feeds))[1])
    vectors = openvino_embedder.embed(texts)
    by_tokens = sorted(lengths, reverse=True)
    assert widths == [(len(by_tokens[i : i + 4]), by_tokens[i]) for i in range(0, len(texts), 4)]
    # Padding changes no vector: each is what the text gives alone, unpadded.
    alone = np.vstack([openvino_embedder.embed([text]) for text in texts])
    assert np.allclose(vectors, alone, atol=2e-3)
    assert np.allclose(openvino_embedder.embed(texts[::-1])[::-1], vectors, atol=1e-6)
