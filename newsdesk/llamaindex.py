"""newsdesk for LlamaIndex users: the engine as a query engine, retrieval as a retriever,
our embedders as a LlamaIndex embedding model.

    from newsdesk.llamaindex import as_query_engine
    response = as_query_engine(engine).query("Who met in Islamabad?")
    response.metadata["answer"]   # the Answer dict

This is the only module that turns newsdesk's typed hits into LlamaIndex nodes; LlamaIndex
is imported when these are used, not when newsdesk is.
"""

from __future__ import annotations

from typing import Any

from index.embedders import Embedder
from index.hits import Hit, SearchFilters
from index.retrieve import HybridRetriever
from newsdesk.engine import AnswerEngine

# Kept out of what an LLM or an embedder sees when LlamaIndex renders a node.
_HIDDEN_KEYS = ["doc_id", "chunk_id", "chunk", "start", "end", "sentences", "published_ts", "url", "author"]


def hit_to_node(hit: Hit) -> Any:
    """A LlamaIndex NodeWithScore for one hit: id = chunk id, text = chunk text, the article's fields as metadata."""
    from llama_index.core.schema import NodeWithScore, TextNode

    metadata = {
        "doc_id": hit.doc_id,
        "chunk_id": hit.chunk_id,
        "chunk": hit.chunk,
        "start": hit.start,
        "end": hit.end,
        "sentences": [list(span) for span in hit.spans],
        "title": hit.title,
        "source": hit.source,
        "published_at": hit.published_at,
        "url": hit.url,
        "author": hit.author,
    }
    if hit.published_ts is not None:
        metadata["published_ts"] = hit.published_ts
    node = TextNode(
        id_=hit.chunk_id,
        text=hit.text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
    )
    return NodeWithScore(node=node, score=hit.score)


def as_retriever(retriever: HybridRetriever, *, filters: SearchFilters | None = None, top_k: int | None = None) -> Any:
    """A LlamaIndex BaseRetriever over newsdesk's hybrid retrieval, with fixed filters and top_k."""
    from llama_index.core.retrievers import BaseRetriever

    class NewsdeskRetriever(BaseRetriever):
        """Dense + BM25 fused retrieval over a newsdesk index, as LlamaIndex nodes."""

        def _retrieve(self, query_bundle: Any) -> list[Any]:
            hits = retriever.search(query_bundle.query_str, filters, top_k)
            return [hit_to_node(h) for h in hits]

    return NewsdeskRetriever()


def as_query_engine(engine: AnswerEngine) -> Any:
    """A LlamaIndex query engine over `engine`: `.query(q)` gives a Response whose
    `metadata["answer"]` is the Answer dict and whose source nodes are the retrieved chunks."""
    from llama_index.core.base.response.schema import Response
    from llama_index.core.query_engine import CustomQueryEngine
    from llama_index.core.schema import NodeWithScore, TextNode

    class NewsdeskQueryEngine(CustomQueryEngine):
        """Verified, sentence-cited answers as a LlamaIndex query engine."""

        def custom_query(self, query_str: str) -> Response:
            answer = engine.ask(query_str)
            nodes = [
                NodeWithScore(node=TextNode(text=r.text, metadata={"doc_id": r.doc_id, "title": r.title}), score=r.score)
                for r in answer.retrieved
            ]
            return Response(response=answer.answer, source_nodes=nodes, metadata={"answer": answer.to_dict()})

    return NewsdeskQueryEngine()


def embedding_model(embedder: Embedder) -> Any:
    """A LlamaIndex BaseEmbedding that embeds queries and texts with a newsdesk embedder.

    Queries are embedded as they are: chunks were embedded with their article's title in
    front (see ingest.chunking.header_line); publisher and date are matched by the keyword index.
    """
    from llama_index.core.base.embeddings.base import BaseEmbedding
    from pydantic import PrivateAttr

    class NewsdeskEmbedding(BaseEmbedding):
        """A newsdesk embedder behind LlamaIndex's embedding interface."""

        _embedder: Any = PrivateAttr()

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(model_name=getattr(embedder, "name", "newsdesk"), **kwargs)
            self._embedder = embedder

        @classmethod
        def class_name(cls) -> str:
            return "NewsdeskEmbedding"

        def _get_query_embedding(self, query: str) -> list[float]:
            return self._embedder.embed([query])[0].tolist()

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._embedder.embed([text])[0].tolist()

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return self._embedder.embed(list(texts)).tolist()

    return NewsdeskEmbedding()
