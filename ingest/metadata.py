"""Article metadata helpers: dates, publisher fallback, stable ids and content hashes."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from index.text import utc_day_start

_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_EPOCH_DIGITS = re.compile(r"^\d{9,13}$")
_MIN_YEAR, _MAX_YEAR = 1900, 2100
# Two different defaults: a field dateutil filled in from the default (not from the
# string) comes out different in the two parses, so it was never in the string.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def parse_date(value: str) -> tuple[str, int] | None:
    """Parse a publication date in any common format.

    Returns (ISO date "YYYY-MM-DD", epoch seconds of that date at 00:00 UTC), or None
    when `value` is empty or holds no date with at least a year and a month. The date
    is taken as written (a "+05:00" offset does not move it to another day).
    """
    value = (value or "").strip()
    if not value:
        return None
    if _EPOCH_DIGITS.match(value):
        seconds = int(value) / 1000 if len(value) > 11 else int(value)
        day = datetime.fromtimestamp(seconds, timezone.utc).date()
    else:
        day = _parse_with_dateutil(value)
    if day is None or not _MIN_YEAR <= day.year <= _MAX_YEAR:
        return None
    return day.isoformat(), utc_day_start(day)


def _parse_with_dateutil(value: str) -> date | None:
    from dateutil import parser

    for fuzzy in (False, True):
        try:
            first, second = (
                parser.parse(value, default=d, fuzzy=fuzzy, ignoretz=True) for d in _DEFAULTS
            )
        except (ValueError, OverflowError):
            continue
        if first.year != second.year or first.month != second.month:
            return None  # no year or month in the string: refuse to guess
        return first.date()  # a missing day defaults to the 1st
    return None


def source_from_url(url: str) -> str:
    """Publisher fallback from a URL's host: "https://www.usatoday.com/x" -> "usatoday.com"."""
    url = (url or "").strip()
    if not url:
        return ""
    if "//" not in url:
        url = "//" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = re.sub(r"^www\d*\.", "", host.lower())
    return host if _HOST.fullmatch(host) else ""


def normalise_url(url: str) -> str:
    """`url` with scheme and host lowercased, no fragment, no trailing slash, no utm_* params."""
    url = (url or "").strip()
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith("utm_")]
    )
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def make_doc_id(url: str, path: str, text: str) -> str:
    """A stable, short article id: from the URL if any, else the file path, else the text.

    The prefix says which: "u-", "p-" or "c-", then 16 hex characters of a sha256.
    """
    if url and url.strip():
        prefix, key = "u-", normalise_url(url)
    elif path and path.strip():
        prefix, key = "p-", path.strip()
    else:
        prefix, key = "c-", text
    return prefix + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def content_hash(text: str, meta: dict) -> str:
    """sha256 hex of the clean text and the metadata values, so a metadata edit is a change."""
    payload = json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{text}\x00{payload}".encode("utf-8")).hexdigest()
