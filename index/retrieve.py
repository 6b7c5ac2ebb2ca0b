"""Hybrid retrieval on LlamaIndex: dense (Chroma) + BM25, fused, with the same filters on both sides.

    retriever = HybridRetriever(store, embedder, settings)    # loads BM25 and the vector index once
    nodes = retriever.search("What did the TechCrunch article say ...", filters, top_k=8)

or, for one-off calls, `retrieve(question, store, embedder, settings, filters)`.
Every result is a NodeWithScore whose TextNode has id = chunk id, text = chunk text and
metadata = the chunk's Chroma metadata (doc_id, chunk, start, end, sentences as JSON, title,
source, published_at, published_ts when known, url, author), whichever side found it.
"""

from __future__ import annotations

import calendar
import copy
import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Sequence

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
from index.keyword import KeywordIndex, LiveKeywordIndex, utc_day_start

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


@dataclass(frozen=True)
class FusionConfig:
    """How the two sides are combined; the defaults are what measured best (eval/retrieval_experiment.py).

    method: 'rrf' (weighted reciprocal rank fusion), 'convex' (weighted sum of scores
    scaled to [0, 1] by each side's best candidate), or 'dense' / 'bm25' (one side only).
    candidates: chunks taken from each side before fusing.
    source_boost / date_boost: multiply the fused score of chunks whose publisher / date
    the question names by (1 + boost).
    per_article: most chunks of one article in the results (0 = no limit); extra chunks
    of an article are moved after the chunks of other articles, not dropped.
    """

    method: Literal["rrf", "convex", "dense", "bm25"] = "convex"
    candidates: int = 50
    bm25_weight: float = 0.6
    rrf_k: int = 60
    source_boost: float = 0.5
    date_boost: float = 0.25
    per_article: int = 0


def make_node(chunk_id: str, text: str, metadata: dict[str, Any], score: float | None) -> NodeWithScore:
    """The NodeWithScore both sides return for one chunk."""
    node = TextNode(
        id_=chunk_id,
        text=text,
        metadata=dict(metadata),
        excluded_embed_metadata_keys=list(_HIDDEN_KEYS),
        excluded_llm_metadata_keys=list(_HIDDEN_KEYS),
    )
    return NodeWithScore(node=node, score=score)


def fetch_nodes(store: IndexStore, scored: Sequence[tuple[str, float]]) -> list[NodeWithScore]:
    """Nodes for (chunk_id, score) pairs, read from Chroma in one call, in the given order."""
    if not scored:
        return []
    got = store.chunks.get(ids=[cid for cid, _ in scored], include=["documents", "metadatas"])
    found = {cid: (doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}
    return [make_node(cid, *found[cid], score) for cid, score in scored if cid in found]


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


# -- what a question names: publishers and dates ----------------------------------------

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(rf"(?i)\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"(?i)\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s*,?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"(?i)\b{_MONTH}\s+(?:of\s+)?(?P<year>\d{{4}})\b"),
]
_SPLIT_SOURCE = re.compile(r"\s+[-|:\u2013\u2014]\s+")


def _alias_pattern(alias: str) -> re.Pattern[str] | None:
    """Each word's first letter as written in the source name, the rest in any case:
    'TechCrunch' matches 'Techcrunch', 'The Age' needs a capital A (not 'the age of')."""
    words = alias.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    if not words or len(" ".join(words)) < 3:
        return None
    body = r"\s+".join(re.escape(w[0]) + (f"(?i:{re.escape(w[1:])})" if len(w) > 1 else "") for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)")


@dataclass
class SourceMatcher:
    """Finds the publishers of the index that a question names."""

    sources: list[str]
    _patterns: list[tuple[int, re.Pattern[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for code, name in enumerate(self.sources):
            aliases = {name, _SPLIT_SOURCE.split(name)[0]}
            if "." in name and " " not in name:  # a host name such as usatoday.com
                aliases.add(name.split(".")[0])
            for alias in aliases:
                pattern = _alias_pattern(alias)
                if pattern is not None:
                    self._patterns.append((code, pattern))

    def codes(self, question: str) -> set[int]:
        """Codes (positions in `sources`) of the publishers named in `question`."""
        return {code for code, pattern in self._patterns if pattern.search(question)}


def named_dates(question: str) -> list[tuple[int, int]]:
    """Inclusive published_ts ranges of the days or months a question names."""
    ranges: list[tuple[int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(question):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue  # "Oct 2023" inside "5th Oct 2023" is not a second, month-wide date
            taken.append(m.span())
            parts = m.groupdict()
            month = int(parts["mnum"]) if parts.get("mnum") else _MONTHS[parts["month"].lower()]
            year = int(parts["year"])
            try:
                if parts.get("day"):
                    start = utc_day_start(date(year, month, int(parts["day"])))
                    ranges.append((start, start))
                else:
                    last = calendar.monthrange(year, month)[1]
                    ranges.append((utc_day_start(date(year, month, 1)), utc_day_start(date(year, month, last))))
            except ValueError:
                continue  # "February 30": not a date
    return ranges


# -- fusion ------------------------------------------------------------------------------


def _rank_scores(ranked: Sequence[str], k: int) -> dict[str, float]:
    return {cid: 1.0 / (k + rank) for rank, cid in enumerate(ranked, 1)}


def _scaled(scores: dict[str, float]) -> dict[str, float]:
    """Scores divided by the best one, so each side's best candidate scores 1."""
    best = max(scores.values(), default=0.0)
    return {cid: s / best for cid, s in scores.items()} if best > 0 else dict.fromkeys(scores, 0.0)


def fuse(
    dense: dict[str, float],
    bm25: dict[str, float],
    config: FusionConfig,
) -> dict[str, float]:
    """Fused score per chunk id from each side's candidates (dict order = that side's ranking)."""
    w = config.bm25_weight
    if config.method == "dense":
        return dict(dense)
    if config.method == "bm25":
        return dict(bm25)
    if config.method == "rrf":
        d, b = _rank_scores(list(dense), config.rrf_k), _rank_scores(list(bm25), config.rrf_k)
    else:
        d, b = _scaled({c: max(s, 0.0) for c, s in dense.items()}), _scaled(bm25)
    return {cid: (1 - w) * d.get(cid, 0.0) + w * b.get(cid, 0.0) for cid in {**dense, **bm25}}


def _spread(ranked: list[str], doc_of: dict[str, str], per_article: int) -> list[str]:
    """At most `per_article` chunks of one article first; the others keep their order after."""
    if per_article <= 0:
        return ranked
    seen: dict[str, int] = {}
    first, rest = [], []
    for cid in ranked:
        doc = doc_of.get(cid, cid.rsplit(":", 1)[0])
        seen[doc] = seen.get(doc, 0) + 1
        (first if seen[doc] <= per_article else rest).append(cid)
    return first + rest


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

        dense: dict[str, float] = {}
        nodes: dict[str, NodeWithScore] = {}
        if config.method != "bm25":
            for hit in self._dense(question, n, filters):
                # Chroma's LlamaIndex store reports exp(-cosine distance); give back the cosine.
                dense[hit.node.node_id] = 1.0 + math.log(max(hit.score or 0.0, 1e-12))
                nodes[hit.node.node_id] = make_node(
                    hit.node.node_id, hit.node.get_content(), hit.node.metadata, None
                )
        bm25: dict[str, float] = {}
        if config.method != "dense":
            bm25 = dict(keyword.search(question, n, filters))

        fused = fuse(dense, bm25, config)
        fused = self._boost(question, fused, keyword, config)
        ranked = sorted(fused, key=lambda cid: -fused[cid])
        doc_of = {cid: keyword.doc_ids[r] for cid in ranked if (r := keyword.row(cid)) is not None}
        ranked = _spread(ranked, doc_of, config.per_article)[:top_k]

        missing = [(cid, fused[cid]) for cid in ranked if cid not in nodes]
        nodes.update({n.node.node_id: n for n in fetch_nodes(self.store, missing)})
        out = []
        for cid in ranked:
            if cid in nodes:
                out.append(NodeWithScore(node=nodes[cid].node, score=float(fused[cid])))
        return out

    def _dense(self, question: str, n: int, filters: SearchFilters | None) -> list[NodeWithScore]:
        retriever = dense_retriever(self.vector_index, n, filters)
        return retriever.retrieve(question)

    def _boost(
        self, question: str, fused: dict[str, float], keyword: KeywordIndex, config: FusionConfig
    ) -> dict[str, float]:
        if not fused or (config.source_boost <= 0 and config.date_boost <= 0):
            return fused
        matcher = self._matchers.get(keyword.fingerprint)
        if matcher is None:
            matcher = self._matchers[keyword.fingerprint] = SourceMatcher(keyword.sources)
        codes = matcher.codes(question) if config.source_boost > 0 else set()
        days = named_dates(question) if config.date_boost > 0 else []
        if not codes and not days:
            return fused
        out = {}
        for cid, score in fused.items():
            row = keyword.row(cid)
            factor = 1.0
            if row is not None:
                if codes and int(keyword.source_codes[row]) in codes:
                    factor += config.source_boost
                ts = int(keyword.published_ts[row])
                if days and any(lo <= ts <= hi for lo, hi in days):
                    factor += config.date_boost
            out[cid] = score * factor
        return out


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
