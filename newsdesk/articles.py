"""What the index holds, for front ends: adding articles, an overview, stats, an article's
paragraph, removing articles.

The CLI and the chat window read and change the index through these functions only, so
they never depend on the store or the ingest pipeline (ARCHITECTURE.md: app -> newsdesk).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from index.embedders import Embedder
from index.hits import SearchFilters
from index.store import IndexStats, IndexStore, NoIndexError
from ingest.pipeline import IngestReport, Progress, ingest_paths
from ingest.readers import SUPPORTED_SUFFIXES
from newsdesk.components import embedder_for, open_store
from newsdesk.settings import Settings

# Parsers log their complaints about broken files; the report's line already says it.
_NOISY_LOGGERS = ("pypdf", "trafilatura", "htmldate")


@dataclass
class Overview:
    """How many articles are indexed, from which publishers, over which dates."""

    articles: int = 0
    sources: dict[str, int] = field(default_factory=dict)  # publisher -> articles
    unknown_source: int = 0  # articles with no publisher
    first_date: str = ""
    last_date: str = ""


@dataclass
class Passage:
    """The paragraph around a cited sentence: `before + sentence + after` is the paragraph."""

    before: str
    sentence: str
    after: str


def supported_suffixes() -> tuple[str, ...]:
    """The file types ingest reads (uploads are held to the same list)."""
    return SUPPORTED_SUFFIXES


def add_articles(
    paths: list[Path],
    settings: Settings,
    *,
    fields: dict[str, str] | None = None,
    prune: bool = False,
    progress: Progress | None = None,
    store: IndexStore | None = None,
    embedder_factory: Callable[[], Embedder] | None = None,
    notify: Callable[[str], None] | None = None,
) -> IngestReport:
    """Index the articles under `paths` (new and changed ones; unchanged ones are skipped).

    The index is created when missing. The embedder is the index's own (or the one the
    settings name for a new index) and is only loaded when something needs embedding.
    Another writer of the same index is waited for; `notify` hears that we wait.
    """
    for noisy in _NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    store = store or open_store(settings, create=True)
    factory = embedder_factory or (lambda: embedder_for(store, settings))
    return ingest_paths(
        paths, store, factory, settings.ingest_options(), fields=fields, prune=prune, progress=progress, notify=notify
    )


def stats(settings: Settings) -> IndexStats:
    """Counts, sources, dates and size of the index (what a dead writer left is cleared first;
    a live writer's articles count as `writing`)."""
    store = open_store(settings)
    store.reconcile()
    return store.stats()


def remove_articles(
    settings: Settings, doc_ids: list[str], notify: Callable[[str], None] | None = None
) -> list[str]:
    """Remove these articles and their chunks, as the index's one writer; returns the ids that were indexed."""
    store = open_store(settings)
    with store.writer(wait=settings.ingest_options().writer_wait, notify=notify):
        return store.remove(doc_ids)


def overview(settings: Settings) -> Overview:
    """Counts of the index; an empty Overview when nothing is indexed yet."""
    try:
        records = open_store(settings).articles().values()
    except NoIndexError:
        return Overview()
    sources: dict[str, int] = {}
    for rec in records:
        if rec.source:
            sources[rec.source] = sources.get(rec.source, 0) + 1
    dates = sorted(rec.published_at for rec in records if rec.published_at)
    return Overview(
        articles=len(records),
        sources=dict(sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))),
        unknown_source=sum(1 for rec in records if not rec.source),
        first_date=dates[0] if dates else "",
        last_date=dates[-1] if dates else "",
    )


def paragraph(settings: Settings, doc_id: str, start: int, end: int) -> Passage | None:
    """The paragraph of article `doc_id` holding the text at `[start, end)`, or None."""
    try:
        record = open_store(settings).article(doc_id)
    except NoIndexError:
        return None
    if record is None or not (0 <= start < end <= len(record.text)):
        return None
    return passage_in(record.text, start, end)


def passage_in(text: str, start: int, end: int) -> Passage:
    """Split the line (paragraph) of `text` around `[start, end)` into before/sentence/after."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    if line_end == -1:
        line_end = len(text)
    return Passage(text[line_start:start], text[start:end], text[end:line_end])


def make_filters(since: date | None, until: date | None, sources: tuple[str, ...]) -> SearchFilters:
    """The retrieval filters for a date range and publishers (None/empty = no limit)."""
    return SearchFilters(since=since, until=until, sources=sources)
