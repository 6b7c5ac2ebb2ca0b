"""What a search takes and gives: `SearchFilters` in, typed `Hit`s out.

A Hit is decoded once, here, from what the store keeps; layers above read its fields and
never the store's own metadata encoding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from index.errors import UsageError
from index.text import utc_day_start


class FilterError(UsageError):
    """The filters can match nothing as given (e.g. `since` after `until`)."""


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
            raise FilterError(f"the date range is empty: since {self.since} is after until {self.until}")
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


@dataclass(frozen=True)
class Sentence:
    """One sentence of a hit: the article text at `[start, end)`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk: its text, where it sits in its article, the article's fields, its score.

    `start`/`end` and each sentence span are offsets into the stored article text;
    `text` is `article_text[start:end]`.
    """

    chunk_id: str
    doc_id: str
    text: str
    chunk: int  # position of the chunk in its article
    start: int
    end: int
    spans: tuple[tuple[int, int], ...]
    title: str = ""
    source: str = ""
    published_at: str = ""
    published_ts: int | None = None
    url: str = ""
    author: str = ""
    score: float = 0.0

    @classmethod
    def from_store(
        cls, chunk_id: str, text: str | None, meta: dict[str, Any], score: float, article: tuple[dict[str, Any], str] | None = None
    ) -> Hit:
        """Decode a chunk as the store keeps it (see index.records.chunk_metadata).

        `article` is its article's manifest metadata and text: they give the chunk's text
        (`text[start:end]`) and the article's fields. Indexes written before chunks stopped
        repeating them keep both in the chunk, which is used when `article` is None.
        """
        article_meta, article_text = article if article is not None else ({}, "")
        fields = {**meta, **article_meta}
        start, end = int(meta.get("start", 0)), int(meta.get("end", 0))
        ts = fields.get("published_ts")
        return cls(
            chunk_id=chunk_id,
            doc_id=str(meta.get("doc_id", "")),
            text=text or article_text[start:end],
            chunk=int(meta.get("chunk", 0)),
            start=start,
            end=end,
            spans=tuple((int(a), int(b)) for a, b in json.loads(meta.get("sentences") or "[]")),
            title=str(fields.get("title", "")),
            source=str(fields.get("source", "")),
            published_at=str(fields.get("published_at", "")),
            published_ts=int(ts) if ts is not None else None,
            url=str(fields.get("url", "")),
            author=str(fields.get("author", "")),
            score=float(score),
        )

    def sentences(self) -> list[Sentence]:
        """The chunk's sentences with their article offsets (blank ones left out)."""
        out = []
        for start, end in self.spans:
            piece = self.text[start - self.start : end - self.start]
            if piece.strip():
                out.append(Sentence(start, end, piece))
        return out
