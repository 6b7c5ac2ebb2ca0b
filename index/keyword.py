"""BM25 keyword index over every chunk in Chroma, cached on disk beside the index.

Chroma is the source of truth; the files under `<index folder>/bm25/` are only a cache.
The cache records a fingerprint of the manifest (sorted doc_id/hash pairs of completed
articles, the chunk count and the tokenizer), so a cache that is missing, stale (another
ingest, another machine writing to the same Chroma server) or built by another tokenizer
is rebuilt from Chroma on first use. Each chunk is indexed with its article's title,
publisher and date in front, so "the TechCrunch article of October 5" matches on words.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from index.store import IndexStore
from index.text import Tokenizer, date_words

log = logging.getLogger(__name__)

CACHE_DIR = "bm25"
NO_DATE = np.iinfo(np.int64).min


class Filters(Protocol):
    """What the keyword side needs from search filters (index.hits.SearchFilters)."""

    @property
    def sources(self) -> Sequence[str]: ...

    def ts_range(self) -> tuple[int | None, int | None]:
        """Inclusive (lowest, highest) published_ts allowed; None for an open side."""
        ...


def indexed_text(text: str, title: str, source: str, published_at: str) -> str:
    """What BM25 sees for a chunk: title, publisher and date words, then the chunk text."""
    header = [title, source, date_words(published_at)]
    return "\n".join([*[h for h in header if h], text])


def fingerprint(store: IndexStore, tokenizer_name: str) -> str:
    """A digest of what the keyword index must reflect: completed articles, chunk count, tokenizer."""
    pairs = sorted(f"{doc_id}\x00{digest}" for doc_id, digest in store.manifest_hashes())
    digest = hashlib.sha256(tokenizer_name.encode())
    digest.update(str(store.chunk_count()).encode())
    for pair in pairs:
        digest.update(pair.encode())
        digest.update(b"\n")
    return digest.hexdigest()


@dataclass
class KeywordIndex:
    """BM25 over all chunks plus per-chunk publisher and date for filtering and boosts."""

    fingerprint: str
    tokenizer: Tokenizer
    ids: list[str]
    doc_ids: list[str]
    published_ts: np.ndarray  # int64, NO_DATE when unknown
    source_codes: np.ndarray  # int32 index into `sources`
    sources: list[str]
    bm25: Any = None  # bm25s.BM25, None when the index holds no chunk

    def __post_init__(self) -> None:
        self._row = {chunk_id: i for i, chunk_id in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def row(self, chunk_id: str) -> int | None:
        """Position of a chunk in the arrays, or None when the index does not hold it."""
        return self._row.get(chunk_id)

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean array of the chunks the filters allow, or None when nothing is filtered."""
        if filters is None:
            return None
        low, high = filters.ts_range()
        keep = np.ones(len(self.ids), dtype=bool)
        if low is not None or high is not None:
            known = self.published_ts != NO_DATE
            keep &= known
            if low is not None:
                keep &= self.published_ts >= low
            if high is not None:
                keep &= self.published_ts <= high
        if filters.sources:
            allowed = set(filters.sources)
            wanted = [i for i, s in enumerate(self.sources) if s in allowed]
            keep &= np.isin(self.source_codes, np.asarray(wanted, dtype=np.int32))
        if low is None and high is None and not filters.sources:
            return None
        return keep

    def scores(self, query: str, filters: Filters | None = None) -> np.ndarray:
        """BM25 score of every chunk for `query` (0 for chunks the filters exclude)."""
        out = np.zeros(len(self.ids), dtype=np.float32)
        if self.bm25 is None:
            return out
        vocab = self.bm25.vocab_dict
        terms = [vocab[t] for t in self.tokenizer.query(query) if t in vocab]
        if not terms:
            return out
        out = np.asarray(self.bm25.get_scores_from_ids(terms), dtype=np.float32)
        keep = self.mask(filters)
        if keep is not None:
            out = np.where(keep, out, 0.0).astype(np.float32)
        return out

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Top `k` (chunk_id, BM25 score) for `query` among chunks the filters allow, best first.

        Chunks sharing no term with the query are never returned.
        """
        return self.top(self.scores(query, filters), k)

    def top(self, scores: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Best `k` (chunk_id, score) of a score array, positive scores only."""
        if k <= 0 or not len(scores):
            return []
        k = min(k, len(scores))
        part = np.argpartition(-scores, k - 1)[:k]
        part = part[np.argsort(-scores[part], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in part if scores[i] > 0]


def _import_bm25s() -> Any:
    import bm25s

    # bm25s sets its own logger to DEBUG on import, so once anything installs a root
    # handler (logging.basicConfig, as some libraries do) "DEBUG:bm25s:Building index
    # from tokens" lands on the terminal. Set here, when it is used, not on our import.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


def build(store: IndexStore, tokenizer: Tokenizer | None = None) -> KeywordIndex:
    """Build the keyword index from every chunk of every completed article in the store."""
    bm25s = _import_bm25s()

    tokenizer = tokenizer or Tokenizer()
    # Fingerprint first: a write that lands while we read makes the next check rebuild.
    digest = fingerprint(store, tokenizer.name)
    ids: list[str] = []
    doc_ids: list[str] = []
    stamps: list[int] = []
    codes: list[int] = []
    sources: dict[str, int] = {}
    corpus: list[list[str]] = []
    for hit in store.iter_chunks():
        ids.append(hit.chunk_id)
        doc_ids.append(hit.doc_id)
        stamps.append(hit.published_ts if hit.published_ts is not None else NO_DATE)
        codes.append(sources.setdefault(hit.source, len(sources)))
        corpus.append(tokenizer(indexed_text(hit.text, hit.title, hit.source, hit.published_at)))
    bm25 = None
    if ids:
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
    return KeywordIndex(
        fingerprint=digest,
        tokenizer=tokenizer,
        ids=ids,
        doc_ids=doc_ids,
        published_ts=np.asarray(stamps, dtype=np.int64),
        source_codes=np.asarray(codes, dtype=np.int32),
        sources=list(sources),
        bm25=bm25,
    )


def cache_dir(store: IndexStore) -> Path:
    """Where the keyword cache of this index lives."""
    return store.folder / CACHE_DIR


def save(index: KeywordIndex, folder: Path) -> None:
    """Write the index to `folder`, replacing what was there in one rename."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    if index.bm25 is not None:
        index.bm25.save(str(tmp / "bm25"), show_progress=False)
    np.save(tmp / "published_ts.npy", index.published_ts)
    np.save(tmp / "source_codes.npy", index.source_codes)
    (tmp / "chunks.json").write_text(
        json.dumps({"ids": index.ids, "doc_ids": index.doc_ids, "sources": index.sources}),
        encoding="utf-8",
    )
    # Written last: a folder without it is never loaded.
    (tmp / "meta.json").write_text(
        json.dumps({"fingerprint": index.fingerprint, "tokenizer": index.tokenizer.name}),
        encoding="utf-8",
    )
    old = folder.with_name(f"{folder.name}.old-{os.getpid()}-{threading.get_ident()}")
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def load(folder: Path, tokenizer: Tokenizer | None = None) -> KeywordIndex | None:
    """The cached index in `folder`, or None when it is absent, unreadable or from another tokenizer."""
    bm25s = _import_bm25s()

    tokenizer = tokenizer or Tokenizer()
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("tokenizer") != tokenizer.name:
            return None
        chunks = json.loads((folder / "chunks.json").read_text(encoding="utf-8"))
        bm25 = None
        if chunks["ids"]:
            bm25 = bm25s.BM25.load(str(folder / "bm25"), show_progress=False, verbosity=0)
        return KeywordIndex(
            fingerprint=meta["fingerprint"],
            tokenizer=tokenizer,
            ids=chunks["ids"],
            doc_ids=chunks["doc_ids"],
            published_ts=np.load(folder / "published_ts.npy"),
            source_codes=np.load(folder / "source_codes.npy"),
            sources=chunks["sources"],
            bm25=bm25,
        )
    except (OSError, ValueError, KeyError) as exc:
        log.info("keyword cache at %s unusable (%s); rebuilding", folder, exc)
        return None


def refresh(store: IndexStore, *, current: KeywordIndex | None = None) -> KeywordIndex:
    """The keyword index matching the store now: `current` or the cache if fresh, else rebuilt and saved.

    Ingest calls this after writing; retrieval calls it when it loads. A cache folder
    that cannot be written (read-only index) leaves the rebuilt index in memory only.
    """
    tokenizer = current.tokenizer if current is not None else Tokenizer()
    wanted = fingerprint(store, tokenizer.name)
    if current is not None and current.fingerprint == wanted:
        return current
    folder = cache_dir(store)
    cached = load(folder, tokenizer)
    if cached is not None and cached.fingerprint == wanted:
        return cached
    index = build(store, tokenizer)
    try:
        save(index, folder)
    except OSError as exc:
        log.warning("cannot write the keyword cache at %s (%s); using it from memory", folder, exc)
    return index


class LiveKeywordIndex:
    """A keyword index that a long-lived process keeps in step with the store.

    The full fingerprint reads every manifest record (about 0.5 s at 4,500 articles), so
    it runs when the index is first loaded and then at most every `full_recheck_seconds`.
    In between, at most every `recheck_seconds` (by default on every search: it costs about
    a millisecond, and search answers only from this index's snapshot, so a stale one would
    hide an article just added), a cheap signal is compared: the article and chunk counts
    and the cache file's stamp (an ingest on this machine rewrites it).
    Only an in-place edit by another machine on a shared Chroma server waits for the
    full check.
    """

    def __init__(
        self,
        store: IndexStore,
        recheck_seconds: float = 0.0,
        full_recheck_seconds: float = 300.0,
    ) -> None:
        self._store = store
        self._recheck = recheck_seconds
        self._full_recheck = full_recheck_seconds
        self._lock = threading.Lock()
        self._index: KeywordIndex | None = None
        self._signal: tuple[Any, ...] = ()
        self._checked = self._fully_checked = 0.0

    def _cheap_signal(self) -> tuple[Any, ...]:
        try:
            stamp = (cache_dir(self._store) / "meta.json").stat().st_mtime_ns
        except OSError:
            stamp = None
        return (*self._store.change_signal(), stamp)

    def get(self) -> KeywordIndex:
        """The current index, rebuilt (or reloaded) first when the store has changed."""
        with self._lock:
            now = time.monotonic()
            if self._index is not None and now - self._checked < self._recheck:
                return self._index
            signal = self._cheap_signal()
            if (
                self._index is None
                or signal != self._signal
                or now - self._fully_checked >= self._full_recheck
            ):
                self._index = refresh(self._store, current=self._index)
                signal = self._cheap_signal()  # refresh may have rewritten the cache
                self._fully_checked = time.monotonic()
            self._signal = signal
            self._checked = time.monotonic()
            return self._index

