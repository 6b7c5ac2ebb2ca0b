"""Articles from the web: pages at URLs, and the items of RSS/Atom feeds (by URL or file).

A page's URL (as given, or as the feed item links it) is its identity: the doc_id comes
from it, so a page fetched again replaces or keeps its own entry. A feed item whose link
is indexed already is not fetched at all. Each URL and each feed item is read behind its
own failure boundary, as each file is: whatever goes wrong there is one ReadFailure
naming it and the reason, and the others go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ingest.article import RawArticle, ReadError, ReadFailure, unexpected_reason
from ingest.decode import decode_bytes
from ingest.feeds import Feed, FeedItem, parse_feed
from ingest.fetch import FetchOptions, Page, fetch, is_web_address
from ingest.file_access import read_bytes
from ingest.limits import check_lines, time_budget
from ingest.metadata import clean_url, make_doc_id
from ingest.read_html import html_article
from ingest.read_text import text_article
from ingest.safe_text import escape_unsafe

_HTML_TYPES = ("text/html", "application/xhtml+xml", "")
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF)\b")


@dataclass(frozen=True)
class WebSources:
    """What to read from the web: page URLs, and feeds (URLs or feed files)."""

    urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    fetch: FetchOptions = field(default_factory=FetchOptions)

    def __bool__(self) -> bool:
        return bool(self.urls or self.feeds)


@dataclass
class AlreadyIndexed:
    """A feed item whose link is indexed: not fetched again."""

    doc_id: str
    where: str


@dataclass
class Note:
    """Something a report should say about an article that was still indexed."""

    where: str
    message: str


WebResult = RawArticle | ReadFailure | AlreadyIndexed | Note


def url_doc_id(url: str) -> str:
    """The doc_id an article read from `url` gets."""
    return make_doc_id(clean_url(url), "", "")


def web_articles(sources: WebSources, is_indexed: Callable[[str], bool]) -> Iterator[WebResult]:
    """The articles at `sources.urls`, then those of each feed's items, with what failed.

    `is_indexed(doc_id)` says whether an article is in the index already: such a feed item
    is yielded as AlreadyIndexed without fetching its page. A page given as a URL is always
    fetched (the manifest then finds it unchanged, or replaces it).
    """
    done: set[str] = set()
    for url in sources.urls:
        if url_doc_id(url) in done:
            continue
        done.add(url_doc_id(url))
        try:
            yield page_article(url, sources.fetch)
        except ReadError as exc:
            yield ReadFailure(url, str(exc))
        except Exception as exc:  # the URL boundary: a parser bug, RecursionError, MemoryError
            yield ReadFailure(url, unexpected_reason(exc))
    for feed_ref in sources.feeds:
        try:
            feed = read_feed(feed_ref, sources.fetch)
        except ReadError as exc:
            yield ReadFailure(feed_ref, str(exc))
            continue
        except Exception as exc:
            yield ReadFailure(feed_ref, unexpected_reason(exc))
            continue
        if feed.problem:
            yield ReadFailure(feed_ref, feed.problem)
        for item in feed.items:
            doc_id = url_doc_id(item.link) if item.link else ""
            if doc_id and doc_id in done:
                continue
            done.add(doc_id)
            if doc_id and is_indexed(doc_id):
                yield AlreadyIndexed(doc_id, escape_unsafe(item.link))
                continue
            try:
                yield from _item_article(feed, item, feed_ref, sources.fetch)
            except Exception as exc:  # the item boundary
                yield ReadFailure(_item_where(item, feed_ref), unexpected_reason(exc))


def page_article(url: str, options: FetchOptions) -> RawArticle:
    """The article at `url`: fetched, then read as HTML (trafilatura) or plain text.

    The article's url is `url` as given (its identity, even when the page names another
    canonical address or a redirect moved it). Raises ReadError (one line) when it fails.
    """
    page = fetch(url, options)
    with time_budget(len(page.body)):
        text = _page_text(page)
        if page.content_type == "text/plain":
            article = text_article(text)
        elif page.content_type in _HTML_TYPES or "html" in text[:1000].lower():
            article = html_article(text)
        elif _FEED_ROOT.search(text[:2000]):
            raise ReadError(f"a feed, not a page (content type {page.content_type}) - ingest it with --feed URL")
        else:
            raise ReadError(f"not HTML (content type {page.content_type})")
    article.url = url
    article.path = ""
    return article


def read_feed(ref: str, options: FetchOptions) -> Feed:
    """The feed at a URL or in a file; raises ReadError (one line) when it can't be read."""
    if is_web_address(ref):
        page = fetch(ref, options)
        body, url, kind = page.body, page.final_url, page.content_type
    else:
        body, url, kind = read_bytes(Path(ref), options.max_bytes), "", ""
    with time_budget(len(body)):
        return parse_feed(body, url, kind)


def _item_article(feed: Feed, item: FeedItem, feed_ref: str, options: FetchOptions) -> Iterator[WebResult]:
    """The article of one feed item: its page, else its own text when the page fails."""
    article: RawArticle | None = None
    page_problem = ""
    if item.link:
        try:
            article = page_article(item.link, options)
        except ReadError as exc:
            page_problem = str(exc)
    where = _item_where(item, feed_ref)
    if article is None:
        if not item.text.strip():
            yield ReadFailure(where, page_problem or "the item has no link and no text")
            return
        check_lines(item.text)
        article = RawArticle(text=item.text, url=item.link)
        if page_problem:
            yield Note(where, f"the page failed ({page_problem}) - indexed the feed's own text for it")
    article.title = article.title or item.title
    article.published_at = article.published_at or item.published_at
    article.author = article.author or item.author
    article.source = article.source or feed.title
    if not item.link:
        article.locator = where  # no URL to name it by: the feed and the item's number
    yield article


def _item_where(item: FeedItem, feed_ref: str) -> str:
    return escape_unsafe(item.link) if item.link else f"{escape_unsafe(feed_ref)} item {item.number}"


def _page_text(page: Page) -> str:
    if not page.body.strip():
        raise ReadError("no article text (the page is empty)")
    if page.charset:
        try:
            return page.body.decode(page.charset, errors="replace")
        except LookupError:  # a charset Python does not know: guess as for files
            pass
    return decode_bytes(page.body)
