"""Metadata for articles that lack it: a batch's publisher and date, then a date from the text.

What the article itself gives (front matter, a header block, the page's metadata, a feed
item's date) always wins; `MetaDefaults` (`ingest --source --date`, the upload form's
fields) fills only what is still empty, and a dateline in the text (text_dates.py) dates
what nothing else dated.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.article import RawArticle
from ingest.metadata import parse_date
from ingest.text_dates import date_from_text


@dataclass(frozen=True)
class MetaDefaults:
    """A publisher and a date (YYYY-MM-DD) for articles that give none; "" for no default.
    `date_from_text` reads a dateline when no date is given at all."""

    source: str = ""
    published_at: str = ""
    date_from_text: bool = True


def fill_in(raw: RawArticle, defaults: MetaDefaults | None) -> None:
    """Give `raw` the default publisher and date where it has none (in place)."""
    defaults = defaults or MetaDefaults()
    if not raw.source.strip() and defaults.source.strip():
        raw.source = defaults.source.strip()
    if raw.published_at and parse_date(raw.published_at):
        return
    if defaults.published_at:
        raw.published_at = defaults.published_at
    elif defaults.date_from_text:
        raw.published_at = date_from_text(raw.text) or raw.published_at
