"""Sentence-transformers embeddings from a local model folder."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt


class SentenceTransformerEmbedder:
    """Embeds with a local sentence-transformers model; also the tokenizer that bounds chunks."""

    def __init__(self, folder: Path, batch_size: int = 32) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        self._batch_size = batch_size
        self.dimension: int = int(self._model.get_embedding_dimension() or 0)
        # The model truncates beyond this many tokens, special tokens included.
        self.max_tokens: int = int(self._model.max_seq_length or 256) - 2
        self._tokenizer = self._model.tokenizer

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def token_spans(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        if not texts:
            return []
        encoded = self._tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True, verbose=False)
        return [[(int(a), int(b)) for a, b in offsets] for offsets in encoded["offset_mapping"]]
