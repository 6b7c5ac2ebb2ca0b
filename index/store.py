"""The index store: Chroma chunks plus a manifest of articles, kept in Chroma itself.

Writes follow a small write-ahead protocol so that an ingest killed at any point leaves
nothing half-visible: an article's manifest entry is marked `writing` before its chunks
change and `done` after; `reconcile()` removes whatever a dead writer left `writing`.
The manifest lives beside the chunks (same Chroma), so a server is the one source of truth.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from index.errors import NewsdeskError
from index.hits import Hit

WRITING = "writing"
DONE = "done"
# The chunk collection's metadata key naming the embedder (settings value) that made its vectors.
EMBEDDER_KEY = "newsdesk:embedder"
# Indexes written before the key existed were all made by the fp32 torch MiniLM.
LEGACY_EMBEDDER = "minilm"
# Manifest records carry no meaningful vector; Chroma still wants one.
_PLACEHOLDER_VECTOR = [1.0]


class StoreError(NewsdeskError):
    """The index can't be opened or written; the message is one line."""


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


@dataclass
class ArticleRecord:
    """One article's manifest entry; its clean text is stored with it."""

    doc_id: str
    hash: str
    title: str = ""
    source: str = ""
    published_at: str = ""
    published_ts: int | None = None
    url: str = ""
    author: str = ""
    path: str = ""
    locator: str = ""
    n_chunks: int = 0
    state: str = DONE
    text: str = field(default="", repr=False)

    def metadata(self) -> dict[str, Any]:
        """Chroma metadata: no None values, and no text."""
        meta = {k: v for k, v in asdict(self).items() if k != "text" and v is not None}
        return meta

    @classmethod
    def from_chroma(cls, meta: dict[str, Any], text: str | None) -> ArticleRecord:
        """Rebuild a record from what Chroma returned."""
        known = {k: meta[k] for k in cls.__dataclass_fields__ if k in meta and k != "text"}
        return cls(**known, text=text or "")


@dataclass
class ChunkRecord:
    """One chunk ready to store: `text` is `article_text[start:end]`."""

    doc_id: str
    index: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]]

    def chunk_id(self) -> str:
        """Chroma id of the chunk."""
        return f"{self.doc_id}:{self.index}"


@dataclass
class IndexStats:
    """What `newsdesk index stats` prints."""

    articles: int
    chunks: int
    sources: dict[str, int]
    first_date: str
    last_date: str
    size_bytes: int | None
    location: str


class NoIndexError(StoreError):
    """A reading command found no index where the settings point."""


class EmbedderMismatchError(StoreError):
    """The index holds vectors from another embedder than the settings name."""


def _client(options: StoreOptions, create: bool):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if options.chroma_url:
        url = urlparse(options.chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
            client.heartbeat()
        except Exception as exc:  # chromadb raises several types for "not there"
            raise StoreError(
                f"cannot reach the Chroma server at {options.chroma_url} ({type(exc).__name__})"
                " - start it (`chroma run`) or fix NEWSDESK_CHROMA_URL"
            ) from None
        return client
    path = Path(options.folder) / "chroma"
    if not create and not path.is_dir():
        raise NoIndexError(f"no articles indexed yet - run `newsdesk ingest PATH` (no index at {path.parent})")
    try:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the index folder ({exc.strerror}) - check --index") from None


class IndexStore:
    """Chunks and manifest for one newsdesk index (embedded folder or Chroma server).

    Everything outside this class reads and writes the index through its methods; the
    Chroma collections themselves (`_chunks`, `_manifest`) stay inside.
    """

    def __init__(self, options: StoreOptions, *, create: bool = True) -> None:
        """Open the index; with `create=False` a missing embedded index raises NoIndexError."""
        self.options = options
        self.folder = Path(options.folder)
        self._client = _client(options, create)
        self._chunks = self._client.get_or_create_collection(
            f"{options.collection}-chunks",
            embedding_function=None,
            metadata={"hnsw:space": "cosine"},
        )
        self._manifest = self._client.get_or_create_collection(
            f"{options.collection}-manifest", embedding_function=None
        )
        built = self.built_with()
        # An index answers with the embedder that built it unless the user names another.
        self.embedder = built if built and options.follow_index else options.embedder

    @property
    def location(self) -> str:
        """Where the index lives, for messages."""
        return self.options.chroma_url or str(self.folder.resolve())

    # -- which embedder made the vectors ---------------------------------------------

    def built_with(self) -> str | None:
        """The embedder (settings value) whose vectors the index holds; None while it holds none."""
        if not self._chunks.count():
            return None
        return str((self._chunks.metadata or {}).get(EMBEDDER_KEY) or LEGACY_EMBEDDER)

    def require_embedder(self, embedder: str) -> None:
        """Raise EmbedderMismatchError unless vectors from `embedder` belong in this index."""
        built = self.built_with()
        if built is not None and built != embedder:
            raise EmbedderMismatchError(
                f"index {self.location} was built with embedder {built}; "
                f"set NEWSDESK_EMBEDDER={built} or re-ingest into a new --index"
            )

    def _record_embedder(self, embedder: str) -> None:
        if (self._chunks.metadata or {}).get(EMBEDDER_KEY) == embedder:
            return
        # Chroma refuses any hnsw:* key on modify (the space is fixed at creation and kept).
        kept = {k: v for k, v in (self._chunks.metadata or {}).items() if not k.startswith("hnsw:")}
        self._chunks.modify(metadata={**kept, EMBEDDER_KEY: embedder})

    # -- reading articles --------------------------------------------------------------

    def articles(self, *, with_text: bool = False) -> dict[str, ArticleRecord]:
        """Every completed article in the manifest, by doc_id."""
        include = ["metadatas", "documents"] if with_text else ["metadatas"]
        got = self._manifest.get(where={"state": DONE}, include=include)
        docs = got.get("documents") or [None] * len(got["ids"])
        return {
            doc_id: ArticleRecord.from_chroma(meta, text)
            for doc_id, meta, text in zip(got["ids"], got["metadatas"], docs)
        }

    def article(self, doc_id: str) -> ArticleRecord | None:
        """One completed article with its text, or None."""
        got = self._manifest.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"] or got["metadatas"][0].get("state") != DONE:
            return None
        return ArticleRecord.from_chroma(got["metadatas"][0], got["documents"][0])

    def is_empty(self) -> bool:
        """True when the manifest holds no article at all (done or being written)."""
        return self._manifest.count() == 0

    def chunk_count(self) -> int:
        """How many chunks the index holds."""
        return self._chunks.count()

    def change_signal(self) -> tuple[int, int]:
        """(manifest entries, chunks): cheap numbers that change with almost every write."""
        return self._manifest.count(), self._chunks.count()

    def manifest_hashes(self) -> list[tuple[str, str]]:
        """(doc_id, content hash) of every completed article, in no particular order."""
        # Filtering on state here is about twice as fast as a Chroma `where`.
        got = self._manifest.get(include=["metadatas"])
        return [(i, m.get("hash", "")) for i, m in zip(got["ids"], got["metadatas"]) if m.get("state") == DONE]

    def stats(self) -> IndexStats:
        """Counts, sources, date range and size of the index."""
        records = self.articles().values()
        sources: dict[str, int] = {}
        for rec in records:
            sources[rec.source or "(unknown)"] = sources.get(rec.source or "(unknown)", 0) + 1
        dates = sorted(rec.published_at for rec in records if rec.published_at)
        size = None
        if not self.options.chroma_url:
            size = sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())
        return IndexStats(
            articles=len(records),
            chunks=self._chunks.count(),
            sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
            first_date=dates[0] if dates else "",
            last_date=dates[-1] if dates else "",
            size_bytes=size,
            location=self.location,
        )

    # -- reading chunks ----------------------------------------------------------------

    def iter_chunks(self, page: int = 2000) -> Iterator[Hit]:
        """Every chunk of every completed article, decoded, `page` at a time from Chroma."""
        done = set(self._manifest.get(where={"state": DONE}, include=[])["ids"])
        offset = 0
        while True:
            got = self._chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                return
            offset += len(got["ids"])
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                if meta.get("doc_id") in done:  # an article still being written is not visible yet
                    yield Hit.from_store(chunk_id, text, meta, 0.0)

    def hits(self, scored: Sequence[tuple[str, float]]) -> list[Hit]:
        """Hits for (chunk_id, score) pairs, read in one call, in the given order.

        A chunk deleted since its id was found is skipped.
        """
        if not scored:
            return []
        got = self._chunks.get(ids=[cid for cid, _ in scored], include=["documents", "metadatas"])
        found = {cid: (doc, meta) for cid, doc, meta in zip(got["ids"], got["documents"], got["metadatas"])}
        return [Hit.from_store(cid, *found[cid], score) for cid, score in scored if cid in found]

    def nearest(self, vector: Sequence[float], k: int) -> dict[str, float]:
        """Cosine similarity of the `k` chunks nearest `vector`, by chunk id, best first."""
        got = self._chunks.query(query_embeddings=[list(vector)], n_results=k, include=["distances"])
        # The collection's space is cosine: distance = 1 - cosine.
        return {cid: 1.0 - float(dist) for cid, dist in zip(got["ids"][0], got["distances"][0])}

    def vectors(self, ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """The stored vectors of these chunks (those that exist), with their ids."""
        if not ids:
            return [], np.zeros((0, 0), dtype=np.float32)
        got = self._chunks.get(ids=list(ids), include=["embeddings"])
        return list(got["ids"]), np.asarray(got["embeddings"], dtype=np.float32)

    # -- writing -------------------------------------------------------------------

    def reconcile(self) -> list[str]:
        """Finish what an interrupted writer left: drop articles still marked `writing`."""
        got = self._manifest.get(where={"state": WRITING}, include=[])
        stale = list(got["ids"])
        if stale:
            self._chunks.delete(where={"doc_id": {"$in": stale}})
            self._manifest.delete(ids=stale)
        return stale

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
        self.require_embedder(self.embedder)
        self._record_embedder(self.embedder)
        ids = [a.doc_id for a in articles]
        for a in articles:
            a.n_chunks = sum(1 for c in chunks if c.doc_id == a.doc_id)
        self._mark_writing(articles)
        self._chunks.delete(where={"doc_id": {"$in": ids}})
        by_id = {a.doc_id: a for a in articles}
        metas = [chunk_metadata(c, by_id[c.doc_id]) for c in chunks]
        step = self._client.get_max_batch_size()
        for i in range(0, len(chunks), step):
            self._chunks.add(
                ids=[c.chunk_id() for c in chunks[i : i + step]],
                embeddings=vectors[i : i + step],
                documents=[c.text for c in chunks[i : i + step]],
                metadatas=metas[i : i + step],
            )
        # Only the state changes now; the text was written with the `writing` mark.
        self._manifest.update(ids=ids, metadatas=[{"state": DONE}] * len(ids))
        for a in articles:
            a.state = DONE

    def remove(self, doc_ids: Iterable[str]) -> list[str]:
        """Remove articles and their chunks; returns the ids that existed."""
        wanted = list(doc_ids)
        if not wanted:
            return []
        found = self._manifest.get(ids=wanted, include=[])["ids"]
        if found:
            self._manifest.update(ids=found, metadatas=[{"state": WRITING}] * len(found))
            self._chunks.delete(where={"doc_id": {"$in": found}})
            self._manifest.delete(ids=found)
        return list(found)

    def _mark_writing(self, articles: list[ArticleRecord]) -> None:
        for a in articles:
            a.state = WRITING
        self._manifest.upsert(
            ids=[a.doc_id for a in articles],
            embeddings=[_PLACEHOLDER_VECTOR] * len(articles),
            documents=[a.text for a in articles],
            metadatas=[a.metadata() for a in articles],
        )


def chunk_metadata(chunk: ChunkRecord, article: ArticleRecord) -> dict[str, Any]:
    """What Chroma keeps beside a chunk (decoded back by `index.hits.Hit.from_store`)."""
    meta: dict[str, Any] = {
        "doc_id": chunk.doc_id,
        "chunk": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps(chunk.sentences, separators=(",", ":")),
        "title": article.title,
        "source": article.source,
        "published_at": article.published_at,
        "url": article.url,
        "author": article.author,
    }
    if article.published_ts is not None:
        meta["published_ts"] = article.published_ts
    return meta
