"""Article metadata helpers: dates, publisher fallback, URLs, stable ids and hashes."""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from index.text import utc_day_start
from ingest.limits import MAX_DATE_CHARS, MAX_URL_CHARS
from ingest.safe_text import strip_unsafe

_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")
# DNS: a host name is at most 253 characters, each dot-separated label at most 63.
_MAX_HOST_CHARS, _MAX_LABEL_CHARS = 253, 63
# An epoch number: 9-10 digits are seconds (1973-2286), 12-13 milliseconds; anything
# else (99999, 1e17) is no date. A fraction is ignored.
_EPOCH = re.compile(r"^(\d{9,10}|\d{12,13})(?:\.\d+)?$")
_ALL_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")
_YYYYMMDD = re.compile(r"^\d{8}$")
# Published dates are kept from 1900 (older than the news archives ingested; earlier is a
# zero or a typo) to two days after today in UTC (a time zone ahead of UTC may already be
# on tomorrow; later is a typo or a placeholder).
MIN_DATE = date(1900, 1, 1)
_FUTURE_DAYS = 2
# Schemes that are never an article's address (a link to them in the chat would run or leak).
_BAD_SCHEME = re.compile(r"(?i)^(?:javascript|vbscript|data|file|blob|about|chrome):")
# Two different defaults: a field dateutil filled in from the default (not from the
# string) comes out different in the two parses, so it was never in the string.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def max_date() -> date:
    """The latest publication date accepted: two days after today (UTC)."""
    return datetime.now(timezone.utc).date() + timedelta(days=_FUTURE_DAYS)


def parse_date(value: str) -> tuple[str, int] | None:
    """Parse a publication date in any common format.

    Returns (ISO date "YYYY-MM-DD", epoch seconds of that date at 00:00 UTC), or None
    when `value` is empty, holds no date with at least a year and a month, or a date
    outside MIN_DATE..max_date(). Epoch seconds and milliseconds are read when their
    digits make a date in that range. The date is taken as written (a "+05:00" offset
    does not move it to another day).
    """
    value = (value or "").strip()
    if not value or len(value) > MAX_DATE_CHARS:
        return None
    epoch = _EPOCH.match(value)
    if epoch:
        digits = epoch.group(1)
        day = epoch_date(int(digits) / 1000 if len(digits) > 11 else int(digits))
    elif _ALL_DIGITS.match(value) and not _YYYYMMDD.match(value):
        return None  # "99999", "2023": a number, not a date
    else:
        day = _parse_with_dateutil(value)
    if day is None or not MIN_DATE <= day <= max_date():
        return None
    return day.isoformat(), utc_day_start(day)


def epoch_date(seconds: float) -> date | None:
    """The UTC date of epoch `seconds`, or None when it is no number or out of range."""
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    try:
        day = datetime.fromtimestamp(seconds, timezone.utc).date()
    except (OverflowError, OSError, ValueError):
        return None
    return day if MIN_DATE <= day <= max_date() else None


def epoch_number_date(value: float) -> date | None:
    """The date of a JSON/YAML number read as epoch seconds (9-10 digits) or milliseconds
    (12-13 digits); None for any other number (99999, 1e17, inf, nan)."""
    if not 0 < value < 1e14:  # also false for nan; no str() of a 5,000-digit int
        return None
    digits = len(str(int(value)))
    if digits in (9, 10):
        return epoch_date(value)
    if digits in (12, 13):
        return epoch_date(value / 1000)
    return None


def _parse_with_dateutil(value: str) -> date | None:
    from dateutil import parser

    for fuzzy in (False, True):
        try:
            first, second = (
                parser.parse(value, default=d, fuzzy=fuzzy, ignoretz=True) for d in _DEFAULTS
            )
        except (ValueError, OverflowError, TypeError):
            continue
        if first.year != second.year or first.month != second.month:
            return None  # no year or month in the string: refuse to guess
        return first.date()  # a missing day defaults to the 1st
    return None


def source_from_url(url: str) -> str:
    """Publisher fallback from a URL's host: "https://www.usatoday.com/x" -> "usatoday.com".

    Empty when the URL has no host that DNS could hold (over 253 characters, a label over 63).
    """
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
    if len(host) > _MAX_HOST_CHARS or any(len(label) > _MAX_LABEL_CHARS for label in host.split(".")):
        return ""
    return host if _HOST.fullmatch(host) else ""


def clean_url(url: str) -> str:
    """The URL as stored: control characters and spaces removed; empty when it is longer
    than MAX_URL_CHARS or uses a scheme that is no web address (javascript:, data:, file:)."""
    url = strip_unsafe(url or "").replace(" ", "")
    if len(url) > MAX_URL_CHARS or _BAD_SCHEME.match(url):
        return ""
    return url


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


def text_hash(text: str) -> str:
    """sha256 hex of the clean text alone: the same article under another name or URL."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(text: str, meta: dict) -> str:
    """sha256 hex of the clean text and the metadata values, so a metadata edit is a change."""
    payload = json.dumps(meta, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{text}\x00{payload}".encode("utf-8")).hexdigest()
