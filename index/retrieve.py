"""Hybrid retrieval: dense (Chroma) + BM25, fused, with the same filters on both sides.

    retriever = HybridRetriever(store, embedder)        # loads BM25 and the embedder once
    hits = retriever.search("What did the TechCrunch article say ...", filters, top_k=8)

Every result is an `index.hits.Hit` (chunk id, text, sentence spans, the article's fields
and the fused score), whichever side found it. LlamaIndex users get the same results as
nodes through `newsdesk.llamaindex.NewsdeskRetriever`.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from index.embedders import Embedder
from index.fusion import FusionConfig, SourceMatcher, boost_factors, clauses, cover, fuse, scaled, spread
from index.hits import Hit, SearchFilters
from index.keyword import NO_DATE, KeywordIndex, LiveKeywordIndex
from index.store import IndexStore

# Filtered dense search: allowed sets up to this many chunks are scored exactly from their
# stored vectors (reading 300 vectors from Chroma takes about 20 ms) ...
EXACT_FILTERED_MAX = 300
# ... larger ones from at most this many unfiltered neighbours (2,000 take about 20 ms).
MAX_UNFILTERED_K = 2000
DEFAULT_TOP_K = 8


class HybridRetriever:
    """Dense + BM25 retrieval fused into one ranking; build once, call many times.

    `top_k` given here is the default of `search()`. The keyword index follows the store
    (rebuilt when an ingest changed it), and the embedder is loaded once. An embedder whose
    `key` names another embedder than the one that built the index is refused.
    """

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        *,
        top_k: int = DEFAULT_TOP_K,
        fusion: FusionConfig | None = None,
        keyword: LiveKeywordIndex | None = None,
    ) -> None:
        key = getattr(embedder, "key", "")
        if key:
            store.require_embedder(key)
        self.store = store
        self.embedder = embedder
        self.top_k = top_k
        self.fusion = fusion or FusionConfig()
        self.keyword = keyword or LiveKeywordIndex(store)
        self._matchers: dict[str, SourceMatcher] = {}

    def with_fusion(self, fusion: FusionConfig) -> HybridRetriever:
        """A retriever sharing this one's loaded indexes, fusing another way (for experiments)."""
        other = copy.copy(self)
        other.fusion = fusion
        return other

    def search(
        self, question: str, filters: SearchFilters | None = None, top_k: int | None = None
    ) -> list[Hit]:
        """The best `top_k` chunks for `question` among those the filters allow, best first."""
        top_k = top_k or self.top_k
        if filters is not None and filters.empty:
            filters = None
        config = self.fusion
        n = max(config.candidates, top_k)
        keyword = self.keyword.get()

        dense: dict[str, float] = {}
        query_vector = None
        if config.method != "bm25":
            query_vector = self.embedder.embed([question])[0].tolist()
            dense = self._dense(query_vector, n, filters, keyword)
        dense_found = set(dense)
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
            dense_found=np.array([cid in dense_found for cid in pool]),
            bm25_found=np.array([cid in bm25_top for cid in pool]),
        )
        factor = self._boosts(question, rows, keyword, config)
        if factor is not None:
            fused = fused * factor
        aspects = self._clause_aspects(question, rows, keyword, filters, factor, config)
        order = cover(fused, aspects, config.clause_weight, top_k)
        docs = [keyword.doc_ids[r] if r is not None else cid.rsplit(":", 1)[0] for cid, r in zip(pool, rows)]
        order = spread(order, docs, config.per_article)[:top_k]

        # Texts and metadata are read for the final ranking only; a chunk deleted since the
        # keyword index was built is skipped.
        return self.store.hits([(pool[i], float(fused[i])) for i in order])

    def _dense(
        self, query_vector: list[float], n: int, filters: SearchFilters | None, keyword: KeywordIndex
    ) -> dict[str, float]:
        """Cosine of the best `n` chunks the filters allow, by chunk id.

        Chroma is asked for ids and distances only (reading texts and metadata for every
        candidate, as LlamaIndex's Chroma store does, took 42 ms against 5 ms for ids alone,
        top 50 of 40,928 chunks). Filters are applied here with the keyword index's per-chunk date and
        publisher rather than as a Chroma `where`, which took 166-206 ms on the same index:
        a small allowed set is scored exactly from its stored vectors, a larger one by
        asking Chroma for enough unfiltered neighbours that about 2n of them pass.
        """
        total = len(keyword)
        if not total:
            return {}
        keep = keyword.mask(filters)
        if keep is None:
            # The keyword index is the snapshot a search answers from: a chunk it does not
            # hold belongs to an article being written (or newer than the snapshot).
            hits = self._nearest(query_vector, min(n, total))
            return {cid: score for cid, score in hits.items() if keyword.row(cid) is not None}
        allowed = int(keep.sum())
        if not allowed:
            return {}
        if allowed <= EXACT_FILTERED_MAX:
            exact: dict[str, float] = {}
            self._fill_cosines([keyword.ids[i] for i in np.flatnonzero(keep)], exact, query_vector)
            return dict(sorted(exact.items(), key=lambda kv: -kv[1])[:n])
        k = min(total, MAX_UNFILTERED_K, max(n, math.ceil(2 * n * total / allowed)))
        hits = self._nearest(query_vector, k)
        rows = ((cid, keyword.row(cid)) for cid in hits)
        # A chunk newer than the keyword index has no known date or publisher yet: left out.
        return dict(list((cid, hits[cid]) for cid, row in rows if row is not None and keep[row])[:n])

    def _nearest(self, query_vector: list[float], k: int) -> dict[str, float]:
        return self.store.nearest(query_vector, k)

    def _fill_cosines(self, ids: list[str], dense: dict[str, float], query_vector: list[float]) -> None:
        if not ids:
            return
        found, vectors = self.store.vectors(ids)
        if found:
            cosines = vectors @ np.asarray(query_vector, dtype=np.float32)
            dense.update(zip(found, (float(c) for c in cosines)))

    def _boosts(
        self,
        question: str,
        rows: list[int | None],
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
        codes = np.full(len(rows), -1, dtype=np.int64)
        stamps = np.full(len(rows), NO_DATE, dtype=np.int64)
        for i, row in enumerate(rows):
            if row is not None:  # a chunk newer than the keyword index gets no boost
                codes[i], stamps[i] = keyword.source_codes[row], keyword.published_ts[row]
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

