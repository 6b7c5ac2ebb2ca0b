"""The index store: Chroma chunks plus a manifest of articles, kept in Chroma itself.

Writes follow a small write-ahead protocol so that an ingest killed at any point leaves
nothing half-visible: an article's manifest entry is marked `writing` before its chunks
change and `done` after; readers only ever see `done` articles. One writer at a time
holds the index's writer lease (index.lease) and, on taking it, removes whatever a dead
writer left `writing`. The manifest lives beside the chunks (same Chroma), so a server
is the one source of truth. Reads and batch writes go through index.connection, which
keeps several processes on one embedded folder consistent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.connection import Collections, NoIndexError, StoreError, connect
from index.hits import Hit
from index.lease import Notify, WriterLease
from index.records import DONE, WRITING, ArticleRecord, ChunkRecord, IndexStats, chunk_metadata

__all__ = [
    "DONE", "WRITING", "ArticleRecord", "ChunkRecord", "EmbedderMismatchError", "IndexStats", "IndexStore",
    "NoIndexError", "StoreError", "StoreOptions", "chunk_metadata",
]

# The chunk collection's metadata key naming the embedder (settings value) that made its vectors.
EMBEDDER_KEY = "newsdesk:embedder"
# Indexes written before the key existed were all made by the fp32 torch MiniLM.
LEGACY_EMBEDDER = "minilm"
# Manifest records carry no meaningful vector; Chroma still wants one.
_PLACEHOLDER_VECTOR = [1.0]


@dataclass(frozen=True)
class StoreOptions:
    """Where an index lives and which embedder's vectors it holds.

    `folder` is the index folder (the embedded Chroma data and the keyword cache live under
    it); with `chroma_url` set, the chunks and manifest live on that Chroma server instead.
    `embedder` is the key of the embedder that writes and queries; with `follow_index`, an
    index that already holds vectors answers with the embedder that built it.
    """

    folder: Path = Path(".newsdesk/index")
    chroma_url: str | None = None
    collection: str = "newsdesk"
    embedder: str = "minilm-int8"
    follow_index: bool = True


class EmbedderMismatchError(StoreError):
    """The index holds vectors from another embedder than the settings name."""


class IndexStore:
    """Chunks and manifest for one newsdesk index (embedded folder or Chroma server).

    Everything outside this class reads and writes the index through its methods; the
    Chroma collections stay inside, reached through the connection's `reading()` (a
    consistent view) and `writing()` (one batch, this writer alone).
    """

    def __init__(self, options: StoreOptions, *, create: bool = True) -> None:
        """Open the index; with `create=False` a missing embedded index raises NoIndexError."""
        self.options = options
        self.folder = Path(options.folder)
        self._conn = connect(self.folder, options.chroma_url, options.collection, create=create)
        self._lease: WriterLease | None = None
        built = self.built_with()
        # An index answers with the embedder that built it unless the user names another.
        self.embedder = built if built and options.follow_index else options.embedder

    @property
    def location(self) -> str:
        """Where the index lives, for messages."""
        return self.options.chroma_url or str(self.folder.resolve())

    # -- the one writer ----------------------------------------------------------------

    def _new_lease(self) -> WriterLease:
        server = getattr(self._conn, "client", None)
        return WriterLease(self.folder, server_client=server, collection=self.options.collection)

    @contextlib.contextmanager
    def writer(self, *, wait: float = 600.0, notify: Notify | None = None) -> Iterator[list[str]]:
        """Hold the writer lease for the block (waiting up to `wait` s for another writer).

        Yields the doc_ids a dead writer had left half-written, removed on taking the lease.
        """
        if self._lease is not None:  # already the writer (nested use)
            yield []
            return
        lease = self._new_lease()
        lease.acquire(wait, notify)
        self._lease = lease
        try:
            yield self._remove_stale()
        finally:
            self._lease = None
            lease.release()

    def reconcile(self) -> list[str]:
        """Remove what a dead writer left `writing`; does nothing while a live writer holds the lease."""
        if self._lease is not None:
            return self._remove_stale()
        lease = self._new_lease()
        if not lease.try_acquire():
            return []
        try:
            return self._remove_stale()
        finally:
            lease.release()

    def _remove_stale(self) -> list[str]:
        with self._conn.reading() as cols:
            stale = list(cols.manifest.get(where={"state": WRITING}, include=[])["ids"])
        if stale:
            with self._conn.writing() as cols:
                cols.chunks.delete(where={"doc_id": {"$in": stale}})
                cols.manifest.delete(ids=stale)
        return stale

    # -- which embedder made the vectors ---------------------------------------------

    def built_with(self) -> str | None:
        """The embedder (settings value) whose vectors the index holds; None while it holds none."""
        with self._conn.reading() as cols:
            return _built_with(cols)

    def require_embedder(self, embedder: str) -> None:
        """Raise EmbedderMismatchError unless vectors from `embedder` belong in this index."""
        with self._conn.reading() as cols:
            self._require(cols, embedder)

    def _require(self, cols: Collections, embedder: str) -> None:
        built = _built_with(cols)
        if built is not None and built != embedder:
            raise EmbedderMismatchError(
                f"index {self.location} was built with embedder {built}; "
                f"set NEWSDESK_EMBEDDER={built} or re-ingest into a new --index"
            )

    # -- reading articles --------------------------------------------------------------

    def articles(self, *, with_text: bool = False) -> dict[str, ArticleRecord]:
        """Every completed article in the manifest, by doc_id."""
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        with self._conn.reading() as cols:
            got = cols.manifest.get(where={"state": DONE}, include=include)
        docs = got.get("documents") or [None] * len(got["ids"])
        return {
            doc_id: ArticleRecord.from_chroma(meta, text)
            for doc_id, meta, text in zip(got["ids"], got["metadatas"], docs)
        }

    def article(self, doc_id: str) -> ArticleRecord | None:
        """One completed article with its text, or None."""
        with self._conn.reading() as cols:
            got = cols.manifest.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"] or got["metadatas"][0].get("state") != DONE:
            return None
        return ArticleRecord.from_chroma(got["metadatas"][0], got["documents"][0])

    def is_empty(self) -> bool:
        """True when the manifest holds no article at all (done or being written)."""
        with self._conn.reading() as cols:
            return cols.manifest.count() == 0

    def chunk_count(self) -> int:
        """How many chunks the index holds."""
        with self._conn.reading() as cols:
            return cols.chunks.count()

    def change_signal(self) -> tuple[int, int]:
        """(manifest entries, chunks): cheap numbers that change with almost every write."""
        with self._conn.reading() as cols:
            return cols.manifest.count(), cols.chunks.count()

    def manifest_hashes(self) -> list[tuple[str, str]]:
        """(doc_id, content hash) of every completed article, in no particular order."""
        with self._conn.reading() as cols:
            # Filtering on state here is about twice as fast as a Chroma `where`.
            got = cols.manifest.get(include=["metadatas"])
        return [(i, m.get("hash", "")) for i, m in zip(got["ids"], got["metadatas"]) if m.get("state") == DONE]

    def stats(self) -> IndexStats:
        """Counts, sources, date range and size of the index (completed articles only)."""
        with self._conn.reading() as cols:
            got = cols.manifest.get(include=["metadatas"])
            chunks = cols.chunks.count()
        records = [ArticleRecord.from_chroma(m, None) for m in got["metadatas"] if m.get("state") == DONE]
        sources: dict[str, int] = {}
        for rec in records:
            sources[rec.source or "(unknown)"] = sources.get(rec.source or "(unknown)", 0) + 1
        dates = sorted(rec.published_at for rec in records if rec.published_at)
        size = None
        if not self.options.chroma_url:
            size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return IndexStats(
            articles=len(records),
            chunks=chunks,
            sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
            first_date=dates[0] if dates else "",
            last_date=dates[-1] if dates else "",
            size_bytes=size,
            location=self.location,
            writing=len(got["ids"]) - len(records),
        )

    # -- reading chunks ----------------------------------------------------------------

    def iter_chunks(self, page: int = 2000) -> list[Hit]:
        """Every chunk of every completed article, decoded, read in one consistent view."""
        out: list[Hit] = []
        with self._conn.reading() as cols:
            done = _articles_by_id(cols.manifest.get(where={"state": DONE}, include=["metadatas", "documents"]))
            offset = 0
            while True:
                got = cols.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
                if not got["ids"]:
                    return out
                offset += len(got["ids"])
                for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                    article = done.get(meta.get("doc_id"))
                    if article is not None:  # an article still being written is not visible yet
                        out.append(Hit.from_store(chunk_id, text, meta, 0.0, article))

    def hits(self, scored: Sequence[tuple[str, float]]) -> list[Hit]:
        """Hits for (chunk_id, score) pairs, read in one call, in the given order.

        A chunk deleted since its id was found is skipped.
        """
        if not scored:
            return []
        with self._conn.reading() as cols:
            got = cols.chunks.get(ids=[cid for cid, _ in scored], include=["documents", "metadatas"])
            doc_ids = sorted({str(meta.get("doc_id", "")) for meta in got["metadatas"]})
            # Article texts only when a chunk has no text of its own (indexes written before
            # chunks stopped keeping a copy have it): reading them was 10-15 ms of a search.
            texts = any(doc is None for doc in got["documents"])
            include = ["metadatas", "documents"] if texts else ["metadatas"]
            articles = _articles_by_id(cols.manifest.get(ids=doc_ids, include=include))
        found = {cid: (doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}
        return [
            Hit.from_store(cid, *found[cid], score, articles.get(str(found[cid][1].get("doc_id", ""))))
            for cid, score in scored
            if cid in found
        ]

    def nearest(self, vector: Sequence[float], k: int) -> dict[str, float]:
        """Cosine similarity of the `k` chunks nearest `vector`, by chunk id, best first."""
        with self._conn.reading() as cols:
            got = cols.chunks.query(query_embeddings=[list(vector)], n_results=k, include=["distances"])
        # The collection's space is cosine: distance = 1 - cosine.
        return {cid: 1.0 - float(dist) for cid, dist in zip(got["ids"][0], got["distances"][0])}

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of these chunks (those that exist), with their ids."""
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        with self._conn.reading() as cols:
            got = cols.chunks.get(ids=list(ids), include=["embeddings"])
        return list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)

    # -- writing -------------------------------------------------------------------

    def write_articles(
        self,
        articles: list[ArticleRecord],
        chunks: list[ChunkRecord],
        vectors: np.ndarray,
    ) -> None:
        """Replace these articles' chunks with new ones, all or nothing as seen by readers.

        The vectors must come from the store's embedder (checked against the one that
        built the index, and recorded on the first write).
        """
        if not articles:
            return
        ids = [a.doc_id for a in articles]
        for a in articles:
            a.n_chunks = sum(1 for c in chunks if c.doc_id == a.doc_id)
        by_id = {a.doc_id: a for a in articles}
        metas = [chunk_metadata(c, by_id[c.doc_id]) for c in chunks]
        with self._conn.writing() as cols:
            self._require(cols, self.embedder)
            _record_embedder(cols, self.embedder)
            for a in articles:
                a.state = WRITING
            cols.manifest.upsert(
                ids=ids,
                embeddings=[_PLACEHOLDER_VECTOR] * len(articles),
                documents=[a.text for a in articles],
                metadatas=[a.metadata() for a in articles],
            )
            cols.chunks.delete(where={"doc_id": {"$in": ids}})
            step = cols.client.get_max_batch_size()
            for i in range(0, len(chunks), step):
                cols.chunks.add(
                    ids=[c.chunk_id() for c in chunks[i : i + step]],
                    embeddings=vectors[i : i + step],
                    metadatas=metas[i : i + step],
                )
            # Only the state changes now; the text was written with the `writing` mark.
            cols.manifest.update(ids=ids, metadatas=[{"state": DONE}] * len(ids))
        for a in articles:
            a.state = DONE

    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """Remove articles and their chunks; returns the ids that existed."""
        wanted = list(doc_ids)
        if not wanted:
            return []
        with self._conn.writing() as cols:
            found = cols.manifest.get(ids=wanted, include=[])["ids"]
            if found:
                cols.manifest.update(ids=found, metadatas=[{"state": WRITING}] * len(found))
                cols.chunks.delete(where={"doc_id": {"$in": found}})
                cols.manifest.delete(ids=found)
        return list(found)


def _articles_by_id(got: dict) -> dict[str, tuple[dict, str]]:
    """(manifest metadata, text) by doc_id, from a manifest `get` of metadatas (and documents: else texts are "")."""
    texts = got.get("documents") or [None] * len(got["ids"])
    return {doc_id: (meta, text or "") for doc_id, meta, text in zip(got["ids"], got["metadatas"], texts)}


def _built_with(cols: Collections) -> str | None:
    if not cols.chunks.count():
        return None
    return str((cols.chunks.metadata or {}).get(EMBEDDER_KEY) or LEGACY_EMBEDDER)


def _record_embedder(cols: Collections, embedder: str) -> None:
    if (cols.chunks.metadata or {}).get(EMBEDDER_KEY) == embedder:
        return
    # Chroma refuses any hnsw:* key on modify (the space is fixed at creation and kept).
    kept = {k: v for k, v in (cols.chunks.metadata or {}).items() if not k.startswith("hnsw:")}
    cols.chunks.modify(metadata={**kept, EMBEDDER_KEY: embedder})
