"""The records an index keeps: an article's manifest entry, a chunk, the index's stats."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

WRITING = "writing"
DONE = "done"


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
    text_hash: str = ""  # sha256 of the clean text alone: finds the same article under another name
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
    writing: int = 0  # articles a writer is writing now (or a dead one left half-written)


def chunk_metadata(chunk: ChunkRecord, article: ArticleRecord) -> dict[str, Any]:
    """What Chroma keeps beside a chunk (decoded back by `index.hits.Hit.from_store`).

    Where the chunk sits in its article, and the two fields a search filters on (so a
    Chroma `where` can filter too); its text is the article's `text[start:end]` and its
    title, url and author are the article's, kept once in the manifest. Repeating them in
    every chunk cost Chroma a full-text and an inverted index entry per chunk, about 40%
    of ingest's write time (eval/reports/ingest_levers.md).
    """
    meta: dict[str, Any] = {
        "doc_id": chunk.doc_id,
        "chunk": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "sentences": json.dumps(chunk.sentences, separators=(",", ":")),
        "source": article.source,
    }
    if article.published_ts is not None:
        meta["published_ts"] = article.published_ts
    return meta
