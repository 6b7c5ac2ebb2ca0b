"""Question vectors computed once per run, so every dense pipeline searches with the same
vector and the side-by-side table times the searches, not the same embedding three times."""

from __future__ import annotations

import time
from typing import Any

import numpy as np


class PrimedEmbedder:
    """Wraps an embedder: texts given to `prime` are embedded in one batch and served from memory."""

    def __init__(self, embedder: Any) -> None:
        self._inner = embedder
        self._vectors: dict[str, np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:  # name, dim, max_tokens, count_tokens...
        return getattr(self._inner, name)

    def prime(self, texts: list[str]) -> float:
        """Embed `texts` in one batch; returns the milliseconds per text it took."""
        todo = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        if not todo:
            return 0.0
        started = time.perf_counter()
        vectors = self._inner.embed(todo)
        self._vectors.update(zip(todo, vectors))
        return (time.perf_counter() - started) * 1000 / len(todo)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Cached vectors when every text was primed, else the wrapped embedder's."""
        if texts and all(t in self._vectors for t in texts):
            return np.stack([self._vectors[t] for t in texts])
        return self._inner.embed(texts)


def time_single_queries(embedder: Any, questions: list[str], n: int = 20) -> list[float]:
    """Milliseconds to embed each of the first `n` questions alone (what a user's question costs)."""
    embedder.embed([questions[0]])
    out = []
    for q in questions[:n]:
        started = time.perf_counter()
        embedder.embed([q])
        out.append((time.perf_counter() - started) * 1000)
    return out
