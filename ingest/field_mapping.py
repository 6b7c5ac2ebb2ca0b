"""Mapping a JSON object or Markdown front matter onto RawArticle fields.

Each of our fields is looked up under the key --fields names, else under DEFAULT_KEYS in
order; values are converted to text (names joined, dates and epoch numbers as text for
parse_date to check), and the remaining scalar keys are kept in `extra`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from ingest.article import RawArticle, ReadError
from ingest.metadata import epoch_number_date

# Keys tried, in order, for each of our fields when a JSON object (or front matter)
# does not say otherwise through --fields.
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("body", "text", "content", "article", "maintext"),
    "title": ("title", "headline"),
    "published_at": ("published_at", "publish_date", "date", "published", "pubDate"),
    "url": ("url", "link"),
    "author": ("author", "authors", "byline"),
    "source": ("source", "publisher", "site_name", "source_name"),
}


def has_text(obj: Mapping[str, Any], fields: dict[str, str]) -> bool:
    """Whether `obj` holds article text under the --fields key or one of the default keys."""
    keys = (fields["text"],) if "text" in fields else DEFAULT_KEYS["text"]
    return any(_as_text(obj.get(k)) for k in keys)


def article_from_mapping(obj: Mapping[str, Any], fields: dict[str, str], *, text_required: bool) -> RawArticle:
    """A RawArticle from a JSON object or front matter; other scalar keys go to `extra`."""
    values: dict[str, str] = {}
    used: set[str] = set()
    for ours, defaults in DEFAULT_KEYS.items():
        keys = (fields[ours],) if ours in fields else defaults
        used.update(keys)
        convert = _CONVERTERS.get(ours, _as_text)
        values[ours] = next((v for v in (convert(obj.get(k)) for k in keys) if v), "")
    if text_required and not values["text"].strip():
        if "text" in fields:
            raise ReadError(f"no article text in key '{fields['text']}' - check --fields text=KEY")
        present = [k for k in DEFAULT_KEYS["text"] if k in obj]
        if present:
            raise ReadError(f"the '{present[0]}' field is empty - no article text to ingest")
        raise ReadError(
            f"no article text (none of {', '.join(DEFAULT_KEYS['text'])}) - name the key with --fields text=KEY"
        )
    extra = {
        str(k): _scalar(v)
        for k, v in obj.items()
        if k not in used and v is not None and _scalar(v) is not None
    }
    return RawArticle(**values, extra=extra)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n\n".join(v.strip() for v in value if v.strip())  # a list of paragraphs
    if isinstance(value, dict):
        name = value.get("name")  # {"name": ...} of a person or publisher, never deeper
        return name.strip() if isinstance(name, str) else ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _as_names(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(n for n in (_as_text(v) for v in value) if n)
    return _as_text(value)


def _as_date(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        day = epoch_number_date(value)  # None for 99999, 1e17, inf, nan
        return day.isoformat() if day else ""
    if isinstance(value, (date, datetime)):  # YAML front matter dates
        return value.isoformat()
    return _as_text(value)


_CONVERTERS: dict[str, Callable[[Any], str]] = {"author": _as_names, "published_at": _as_date}


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return None
