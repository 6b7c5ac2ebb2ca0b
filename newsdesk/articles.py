"""What the index holds, for front ends: an overview, an article's paragraph, adding articles.

The UI reads and adds articles through these functions only, so it never depends on the
ingest or index internals (DESIGN: app -> newsdesk -> index).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import date

    from index.retrieve import SearchFilters
    from ingest.pipeline import IngestReport, Progress
    from newsdesk.settings import Settings



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
    from ingest.readers import SUPPORTED_SUFFIXES

    return SUPPORTED_SUFFIXES


def overview(settings: Settings) -> Overview:
    """Counts of the index; an empty Overview when nothing is indexed yet."""
    from index.store import IndexStore, NoIndexError

    try:
        records = IndexStore(settings, create=False).articles().values()
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
    from index.store import IndexStore, NoIndexError

    try:
        record = IndexStore(settings, create=False).article(doc_id)
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


def add_articles(paths: list[Path], settings: Settings, progress: Progress | None = None) -> IngestReport:
    """Index these files with the same code and messages as `newsdesk ingest`."""
    from ingest.pipeline import ingest_paths

    # Parsers log their complaints about broken files; the report's line already says it.
    for noisy in ("pypdf", "trafilatura", "htmldate"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    return ingest_paths(paths, settings, progress=progress)


def make_filters(since: date | None, until: date | None, sources: tuple[str, ...]) -> SearchFilters:
    """The retrieval filters for a date range and publishers (None/empty = no limit)."""
    from index.retrieve import SearchFilters

    return SearchFilters(since=since, until=until, sources=sources)


def user_errors() -> tuple[type[Exception], ...]:
    """The exception types whose message is a one-line problem the user can fix."""
    from index.store import StoreError
    from newsdesk.engine import EngineError
    from newsdesk.llms import LLMError

    return (EngineError, LLMError, StoreError, ValueError)

