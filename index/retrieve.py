"""Hybrid retrieval on LlamaIndex: dense (Chroma) + BM25, fused, with the same filters on both sides.

    retriever = HybridRetriever(store, embedder, settings)    # loads BM25 and the vector index once
    nodes = retriever.search("What did the TechCrunch article say ...", filters, top_k=8)

or, for one-off calls, `retrieve(question, store, embedder, settings, filters)`.
Every result is a NodeWithScore whose TextNode has id = chunk id, text = chunk text and
metadata = the chunk's Chroma metadata (doc_id, chunk, start, end, sentences as JSON, title,
source, published_at, published_ts when known, url, author), whichever side found it.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from llama_index.core import VectorStoreIndex
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import (
    FilterCondition,
    FilterOperator,
    MetadataFilter,
    MetadataFilters,
)

from index.embedding_adapter import EmbedderAdapter, TextEmbedder
from index.fusion import FusionConfig, SourceMatcher, boost_factors, clauses, cover, fuse, scaled, spread
from index.keyword import NO_DATE, KeywordIndex, LiveKeywordIndex, utc_day_start

if TYPE_CHECKING:
    from index.store import IndexStore

# Kept out of what an LLM or an embedder sees when LlamaIndex renders a node.
_HIDDEN_KEYS = ["doc_id", "chunk", "start", "end", "sentences", "published_ts", "url", "author"]


@dataclass(frozen=True)
class SearchFilters:
    """Restrict retrieval to a publication date range and/or to some publishers.

    Dates are inclusive days. An article without a known date is excluded as soon as
    either date bound is set.
    """

    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the date range is empty: since {self.since} is after until {self.until}")
        object.__setattr__(self, "sources", tuple(s for s in self.sources if s))

    @property
    def empty(self) -> bool:
        """True when nothing is filtered."""
        return self.since is None and self.until is None and not self.sources

    def ts_range(self) -> tuple[int | None, int | None]:
        """Inclusive (lowest, highest) published_ts allowed; None for an open side."""
        low = utc_day_start(self.since) if self.since else None
        # published_ts is the day's 00:00 UTC, so the last allowed day starts at `until`.
        high = utc_day_start(self.until) if self.until else None
        return low, high

    def where(self) -> dict[str, Any] | None:
        """The Chroma `where` clause for these filters, or None when nothing is filtered."""
        clauses: list[dict[str, Any]] = []
        low, high = self.ts_range()
        if low is not None:
            clauses.append({"published_ts": {"$gte": low}})
        if high is not None:
            clauses.append({"published_ts": {"$lte": high}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def metadata_filters(self) -> MetadataFilters | None:
        """The same clause as LlamaIndex MetadataFilters (the Chroma store turns it into `where()`)."""
        items: list[MetadataFilter] = []
        low, high = self.ts_range()
        if low is not None:
            items.append(MetadataFilter(key="published_ts", operator=FilterOperator.GTE, value=low))
        if high is not None:
            items.append(MetadataFilter(key="published_ts", operator=FilterOperator.LTE, value=high))
        if self.sources:
            items.append(MetadataFilter(key="source", operator=FilterOperator.IN, value=list(self.sources)))
        return MetadataFilters(filters=items, condition=FilterCondition.AND) if items else None


def make_node(chunk_id: str, text: str, metadata: dict[str, Any]) -> TextNode:
    """The TextNode every retriever here returns for one chunk."""
    return TextNode(
        id_=chunk_id,
        text=text,
        metadata=dict(metadata),
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
    )


def fetch_nodes(store: IndexStore, scored: Sequence[tuple[str, float]]) -> list[NodeWithScore]:
    """Nodes for (chunk_id, score) pairs, read from Chroma in one call, in the given order."""
    if not scored:
        return []
    got = store.chunks.get(ids=[cid for cid, _ in scored], include=["documents", "metadatas"])
    found = {cid: (doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}
    return [NodeWithScore(node=make_node(cid, *found[cid]), score=score) for cid, score in scored if cid in found]


class BM25Retriever(BaseRetriever):
    """LlamaIndex retriever over the keyword index; filters are applied before ranking."""

    def __init__(
        self,
        store: IndexStore,
        keyword: LiveKeywordIndex,
        top_k: int = 8,
        filters: SearchFilters | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._keyword = keyword
        self.top_k = top_k
        self.filters = filters

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        hits = self._keyword.get().search(query_bundle.query_str, self.top_k, self.filters)
        return fetch_nodes(self._store, hits)


def dense_retriever(
    vector_index: VectorStoreIndex, top_k: int, filters: SearchFilters | None = None
) -> BaseRetriever:
    """LlamaIndex's vector retriever over the Chroma chunks, with the filters as Chroma `where`."""
    return vector_index.as_retriever(
        similarity_top_k=top_k, filters=filters.metadata_filters() if filters else None
    )


def vector_index_for(store: IndexStore, embed_model: EmbedderAdapter) -> VectorStoreIndex:
    """A VectorStoreIndex over the store's existing chunk collection (nothing is re-embedded)."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    return VectorStoreIndex.from_vector_store(
        ChromaVectorStore(chroma_collection=store.chunks), embed_model=embed_model
    )


class HybridRetriever(BaseRetriever):
    """Dense + BM25 retrieval fused into one ranking; build once, call many times.

    `filters` and `top_k` given here are the defaults of `retrieve()` (LlamaIndex's API);
    `search()` takes them per call. The keyword index follows the store (rebuilt when an
    ingest changed it), and the embedder is loaded once.
    """

    def __init__(
        self,
        store: IndexStore,
        embedder: TextEmbedder,
        settings: Any,
        *,
        filters: SearchFilters | None = None,
        top_k: int | None = None,
        fusion: FusionConfig | None = None,
        keyword: LiveKeywordIndex | None = None,
    ) -> None:
        super().__init__()
        store.require_embedder(settings.embedder)
        self.store = store
        self.settings = settings
        self.filters = filters
        self.top_k = top_k or settings.top_k
        self.fusion = fusion or FusionConfig()
        self.embed_model = EmbedderAdapter(embedder)
        self.keyword = keyword or LiveKeywordIndex(store, settings)
        self.vector_index = vector_index_for(store, self.embed_model)
        self._matchers: dict[str, SourceMatcher] = {}

    def with_fusion(self, fusion: FusionConfig) -> HybridRetriever:
        """A retriever sharing this one's loaded indexes, fusing another way (for experiments)."""
        other = copy.copy(self)
        other.fusion = fusion
        return other

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.search(query_bundle.query_str, self.filters, self.top_k)

    def search(
        self, question: str, filters: SearchFilters | None = None, top_k: int | None = None
    ) -> list[NodeWithScore]:
        """The best `top_k` chunks for `question` among those the filters allow, best first."""
        top_k = top_k or self.top_k
        if filters is not None and filters.empty:
            filters = None
        config = self.fusion
        n = max(config.candidates, top_k)
        keyword = self.keyword.get()

        nodes: dict[str, TextNode] = {}
        dense: dict[str, float] = {}
        query_vector = None
        if config.method != "bm25":
            query_vector = self.embed_model.get_query_embedding(question)
            bundle = QueryBundle(query_str=question, embedding=query_vector)
            for hit in dense_retriever(self.vector_index, n, filters).retrieve(bundle):
                # Chroma's LlamaIndex store reports exp(-cosine distance); give back the cosine.
                dense[hit.node.node_id] = 1.0 + math.log(max(hit.score or 0.0, 1e-300))
                nodes[hit.node.node_id] = make_node(hit.node.node_id, hit.node.get_content(), hit.node.metadata)
        bm25_all = keyword.scores(question, filters) if config.method != "dense" else None
        bm25_top = dict(keyword.top(bm25_all, n)) if bm25_all is not None else {}

        pool = list(dense) + [cid for cid in bm25_top if cid not in dense]
        if not pool:
            return []
        if config.method in ("convex", "rrf") and query_vector is not None:
            # Every candidate gets both sides' scores: BM25's come from the full score
            # array, the cosine of candidates only BM25 found from their stored vectors.
            self._fill_cosines([cid for cid in pool if cid not in dense], dense, query_vector)
        rows = [keyword.row(cid) for cid in pool]
        d = np.array([dense.get(cid, 0.0) for cid in pool])
        b = np.array([float(bm25_all[r]) if bm25_all is not None and r is not None else 0.0 for r in rows])
        fused = fuse(
            d, b, config,
            dense_found=np.array([cid in nodes for cid in pool]),
            bm25_found=np.array([cid in bm25_top for cid in pool]),
        )
        factor = self._boosts(question, pool, rows, nodes, keyword, config)
        if factor is not None:
            fused = fused * factor
        aspects = self._clause_aspects(question, rows, keyword, filters, factor, config)
        order = cover(fused, aspects, config.clause_weight, top_k)
        docs = [keyword.doc_ids[r] if r is not None else cid.rsplit(":", 1)[0] for cid, r in zip(pool, rows)]
        order = spread(order, docs, config.per_article)[:top_k]

        missing = [pool[i] for i in order if pool[i] not in nodes]
        if missing:
            got = self.store.chunks.get(ids=missing, include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                nodes[cid] = make_node(cid, text, meta)
        # A chunk deleted since the keyword index was built is skipped.
        return [NodeWithScore(node=nodes[pool[i]], score=float(fused[i])) for i in order if pool[i] in nodes]

    def _fill_cosines(self, ids: list[str], dense: dict[str, float], query_vector: list[float]) -> None:
        if not ids:
            return
        got = self.store.chunks.get(ids=ids, include=["embeddings"])
        if len(got["ids"]):
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
            cosines = vectors @ np.asarray(query_vector, dtype=np.float32)
            dense.update(zip(got["ids"], (float(c) for c in cosines)))

    def _boosts(
        self,
        question: str,
        pool: list[str],
        rows: list[int | None],
        nodes: dict[str, TextNode],
        keyword: KeywordIndex,
        config: FusionConfig,
    ) -> np.ndarray | None:
        if config.source_boost <= 0 and config.date_boost <= 0:
            return None
        matcher = self._matchers.get(keyword.fingerprint)
        if matcher is None:
            # One matcher per keyword index: the publishers change only when it is rebuilt.
            matcher = SourceMatcher(keyword.sources)
            self._matchers = {keyword.fingerprint: matcher}
        codes = np.full(len(pool), -1, dtype=np.int64)
        stamps = np.full(len(pool), NO_DATE, dtype=np.int64)
        code_of: dict[str, int] | None = None
        for i, (cid, row) in enumerate(zip(pool, rows)):
            if row is not None:
                codes[i], stamps[i] = keyword.source_codes[row], keyword.published_ts[row]
            elif cid in nodes:  # newer than the keyword index: read its own metadata
                code_of = code_of or {name: c for c, name in enumerate(keyword.sources)}
                meta = nodes[cid].metadata
                codes[i] = code_of.get(meta.get("source", ""), -1)
                stamps[i] = meta.get("published_ts", NO_DATE)
        return boost_factors(question, codes, stamps, matcher, config)

    def _clause_aspects(
        self,
        question: str,
        rows: list[int | None],
        keyword: KeywordIndex,
        filters: SearchFilters | None,
        factor: np.ndarray | None,
        config: FusionConfig,
    ) -> np.ndarray:
        if config.clause_weight <= 0 or config.method == "dense":
            return np.zeros((0, len(rows)))
        parts = clauses(question, lambda text: len(keyword.tokenizer.query(text)))
        if len(parts) < 2:
            return np.zeros((0, len(rows)))
        aspects = []
        for part in parts:
            scores = keyword.scores(part, filters)
            row_scores = scaled(np.array([float(scores[r]) if r is not None else 0.0 for r in rows]))
            aspects.append(row_scores * factor if factor is not None else row_scores)
        return np.stack(aspects)


def build_retriever(
    store: IndexStore,
    embedder: TextEmbedder,
    settings: Any,
    *,
    filters: SearchFilters | None = None,
    top_k: int | None = None,
    fusion: FusionConfig | None = None,
) -> HybridRetriever:
    """A HybridRetriever to keep and reuse: the keyword index and the embedder load once."""
    return HybridRetriever(store, embedder, settings, filters=filters, top_k=top_k, fusion=fusion)


def retrieve(
    question: str,
    store: IndexStore,
    embedder: TextEmbedder,
    settings: Any,
    filters: SearchFilters | None = None,
    top_k: int | None = None,
) -> list[NodeWithScore]:
    """One-off hybrid retrieval; callers asking many questions should keep a `build_retriever()`."""
    return build_retriever(store, embedder, settings).search(question, filters, top_k)
