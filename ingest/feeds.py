"""RSS and Atom feeds: parsed by feedparser into items (link, title, date, author, text).

feedparser is given bytes only (given a string it would open a URL or a file itself), the
feed's own URL for resolving relative links, and at most MAX_FEED_ITEMS items are taken.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from xml.sax import SAXException

from ingest.article import ReadError
from ingest.limits import MAX_FEED_ITEMS
from ingest.safe_text import strip_unsafe

_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section", "article"})
_SKIP_TAGS = frozenset({"script", "style", "noscript", "iframe", "object", "svg"})


@dataclass
class FeedItem:
    """One item of a feed: its link (absolute, or "" when it has none usable), metadata, and
    its own text (content, else summary) as plain paragraphs."""

    number: int
    link: str = ""
    title: str = ""
    published_at: str = ""  # ISO date, "" when the item has none
    author: str = ""
    text: str = ""


@dataclass
class Feed:
    """A parsed feed: its title, items, and `problem` when the XML was broken part-way
    (the items before the break are kept)."""

    title: str = ""
    items: list[FeedItem] = field(default_factory=list)
    problem: str = ""


def parse_feed(body: bytes, url: str = "", content_type: str = "") -> Feed:
    """Parse RSS or Atom bytes; raises ReadError "broken feed (...)" when they are no feed.

    `url` is where the feed came from (relative item links are resolved against it).
    """
    if not body.strip():
        raise ReadError("broken feed (empty)")
    import feedparser

    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    try:
        parsed = feedparser.parse(body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
    except Exception as exc:  # feedparser's parsers raise assorted types on hostile input
        raise ReadError(f"broken feed ({type(exc).__name__})") from None
    xml_error = _xml_error(parsed)
    if not parsed.get("version"):
        raise ReadError(f"broken feed (not RSS or Atom{': ' + xml_error if xml_error else ''})")
    entries = list(parsed.get("entries") or [])[:MAX_FEED_ITEMS]
    items = [_item(n, entry) for n, entry in enumerate(entries, 1)]
    problem = f"broken feed ({xml_error}) - read the {len(items)} item(s) before the error" if xml_error else ""
    if xml_error:  # the item the XML broke inside is cut short: keep only whole-looking ones
        items = [item for item in items if item.link or item.text]
    title = strip_unsafe(str(parsed.get("feed", {}).get("title") or ""))
    return Feed(title=title, items=items, problem=problem)


def _xml_error(parsed: Any) -> str:
    """The XML syntax error feedparser met, or "" (its other "bozo" notes, such as a
    mislabelled encoding, do not make a feed broken)."""
    if not parsed.get("bozo"):
        return ""
    exc = parsed.get("bozo_exception")
    if not isinstance(exc, SAXException):
        return ""
    line = getattr(exc, "getLineNumber", lambda: None)()
    message = str(getattr(exc, "getMessage", lambda: exc)()).strip()[:120]
    return f"XML error: {message}" + (f" at line {line}" if line else "")


def _item(number: int, entry: Any) -> FeedItem:
    link = str(entry.get("link") or "").strip()
    if not link.lower().startswith(("http://", "https://")):
        link = ""  # relative in a feed file, or another scheme: no page to fetch
    author = (entry.get("author_detail") or {}).get("name") or entry.get("author") or ""
    content = entry.get("content") or []
    html = (content[0].get("value") if content else "") or entry.get("summary") or ""
    return FeedItem(
        number=number,
        link=link,
        title=strip_unsafe(str(entry.get("title") or "")),
        published_at=_struct_date(entry.get("published_parsed") or entry.get("updated_parsed")),
        author=strip_unsafe(str(author)),
        text=html_to_text(str(html)),
    )


def _struct_date(value: Any) -> str:
    if not value:
        return ""
    try:
        return time.strftime("%Y-%m-%d", value)
    except (TypeError, ValueError):
        return ""


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment (a feed item's content): one paragraph per block."""
    if "<" not in html:
        return "\n\n".join(" ".join(p.split()) for p in html.split("\n\n") if p.strip())
    parser = _Text()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; anything it still raises leaves what it read
        pass
    return parser.text()


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._blocks: list[list[str]] = [[]]
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self._blocks.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self._blocks.append([])

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._blocks[-1].append(data)

    def text(self) -> str:
        paragraphs = (" ".join("".join(block).split()) for block in self._blocks)
        return "\n\n".join(p for p in paragraphs if p)
