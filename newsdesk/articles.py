"""What the index holds, for front ends: adding articles (from files, pages and feeds),
keeping them current (`watch`), an overview, stats, an article's paragraph, removing articles.

The CLI and the chat window read and change the index through these functions only, so
they never depend on the store or the ingest pipeline (ARCHITECTURE.md: app -> newsdesk).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

from index.embedders import Embedder
from index.errors import NewsdeskError, UsageError
from index.hits import SearchFilters
from index.store import IndexStats, IndexStore, NoIndexError
from ingest.fetch import FetchOptions, is_web_address
from ingest.metadata import parse_date
from ingest.pipeline import IngestReport, MetaDefaults, Progress, WebSources, ingest_paths
from ingest.readers import SUPPORTED_SUFFIXES
from newsdesk.components import embedder_for, open_store
from newsdesk.settings import Settings

__all__ = [
    "FEED_SUFFIXES",
    "FetchOptions",
    "IngestReport",
    "MetaDefaults",
    "Overview",
    "Passage",
    "Round",
    "Stats",
    "WebSources",
    "add_articles",
    "batch_defaults",
    "is_web_address",
    "make_filters",
    "overview",
    "paragraph",
    "passage_in",
    "remove_articles",
    "stats",
    "supported_suffixes",
    "watch",
]

# Local files that `watch` reads as feeds rather than as articles.
FEED_SUFFIXES = (".rss", ".atom", ".xml")

# Parsers log their complaints about broken files; the report's line already says it.
_NOISY_LOGGERS = ("pypdf", "trafilatura", "htmldate")


@dataclass
class Overview:
    """How many articles are indexed, from which publishers, over which dates."""

    articles: int = 0
    sources: dict[str, int] = field(default_factory=dict)  # publisher -> articles
    unknown_source: int = 0  # articles with no publisher
    undated: int = 0  # articles with no publication date (left out by any date filter)
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
    web: WebSources | None = None,
    defaults: MetaDefaults | None = None,
) -> IngestReport:
    """Index the articles under `paths` and from `web` (pages and feed items): new and
    changed ones; unchanged ones are skipped.

    The index is created when missing. The embedder is the index's own (or the one the
    settings name for a new index) and is only loaded when something needs embedding.
    Another writer of the same index is waited for; `notify` hears that we wait.
    `defaults` give a publisher and a date to articles that have none.
    """
    for noisy in _NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    store = store or open_store(settings, create=True)
    factory = embedder_factory or (lambda: embedder_for(store, settings))
    return ingest_paths(
        paths, store, factory, settings.ingest_options(),
        fields=fields, prune=prune, progress=progress, notify=notify, web=web, defaults=defaults,
    )


def batch_defaults(source: str | None, day: date | None, what: str = "--date") -> MetaDefaults:
    """The publisher and date given for a batch (`ingest --source --date`, the upload form);
    a UsageError (one line naming `what`) when the date is outside the accepted range."""
    published = ""
    if day is not None:
        checked = parse_date(day.isoformat())
        if checked is None:
            raise UsageError(f"{what}: {day.isoformat()} is out of range - give a date from 1900-01-01 to today")
        published = checked[0]
    return MetaDefaults(source=" ".join((source or "").split()), published_at=published)


@dataclass
class Round:
    """One round of `watch`: its number, and its report or the one-line error that stopped it."""

    number: int
    report: IngestReport | None = None
    error: str = ""


def watch(
    paths: list[Path],
    settings: Settings,
    *,
    interval: float,
    rounds: int | None = None,
    web: WebSources | None = None,
    defaults: MetaDefaults | None = None,
    prune: bool = False,
    notify: Callable[[str], None] | None = None,
    sleep: Callable[[float], object] = time.sleep,
    stopped: Callable[[], bool] = lambda: False,
) -> Iterator[Round]:
    """Ingest `paths` and `web` again every `interval` seconds (from one round's start to
    the next), `rounds` times or until stopped; yields each Round when it is done.

    Each round is an ordinary ingest: the manifest skips what is unchanged and feed items
    already indexed are not fetched, so a quiet round costs a folder scan and a feed
    fetch. The writer lease is held during a round only, so other writers (the chat's
    uploads) write between rounds. The embedder is loaded once, when first needed. A
    round that fails on the index (unreachable, another writer too long) is reported and
    the next one tries again; a usage error (a wrong setting) stops the watch. When
    `stopped()` turns true the watch ends after the round under way (`sleep` should wake
    up early then, e.g. `Event.wait`).
    """
    store: IndexStore | None = None
    loaded: list[Embedder] = []

    def embedder() -> Embedder:
        if not loaded:
            loaded.append(embedder_for(store, settings))
        return loaded[0]

    number = 0
    while rounds is None or number < rounds:
        number += 1
        started = time.monotonic()
        try:
            store = store or open_store(settings, create=True)
            report = add_articles(
                paths, settings, prune=prune, store=store, embedder_factory=embedder, notify=notify, web=web, defaults=defaults
            )
            yield Round(number, report)
        except UsageError:
            raise
        except NewsdeskError as exc:
            yield Round(number, error=exc.message)
        if (rounds is not None and number >= rounds) or stopped():
            return
        sleep(max(0.0, interval - (time.monotonic() - started)))
        if stopped():
            return


@dataclass
class Stats(IndexStats):
    """The index's stats, with how many articles have no publication date."""

    undated: int = 0


def stats(settings: Settings) -> Stats:
    """Counts, sources, dates, undated articles and size of the index (what a dead writer
    left is cleared first; a live writer's articles count as `writing`)."""
    store = open_store(settings)
    store.reconcile()
    base = store.stats()
    undated = sum(1 for rec in store.articles().values() if not rec.published_at)
    return Stats(**asdict(base), undated=undated)


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
        undated=sum(1 for rec in records if not rec.published_at),
        first_date=dates[0] if dates else "",
        last_date=dates[-1] if dates else "",
    )


def paragraph(settings: Settings, doc_id: str, start: int, end: int) -> Passage | None:
    """The paragraph of article `doc_id` holding the text at `[start, end)`, or None (also
    for a computed fact of an Answer: no doc_id, no offsets)."""
    if not doc_id or end <= start:
        return None
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
