"""A LlamaIndex embedding model around any newsdesk embedder (duck-typed, no newsdesk import)."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr


class TextEmbedder(Protocol):
    """The part of newsdesk.embedding.Embedder retrieval uses."""

    name: str

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class EmbedderAdapter(BaseEmbedding):
    """Lets LlamaIndex retrievers embed queries and texts with our embedder.

    Queries are embedded as they are: chunks were embedded with their title, publisher
    and date in front (see ingest.chunking.header_line), which questions naming those match.
    """

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: TextEmbedder, **kwargs: Any) -> None:
        super().__init__(model_name=getattr(embedder, "name", "newsdesk"), **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "NewsdeskEmbedderAdapter"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed(list(texts)).tolist()
