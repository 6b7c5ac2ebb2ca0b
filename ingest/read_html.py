"""Reader for web pages (.html, .htm): the article text and metadata, found by trafilatura."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.article import RawArticle, ReadError
from ingest.decode import file_text
from ingest.limits import check_time
from ingest.titles import title_from_filename

_NO_HTML_TEXT = "no article text found in the HTML - is it an article page, not an index or login page?"
_PROSE = re.compile(r"\w[.!?][\"”’')]*(?:\s|$)")
_MIN_FALLBACK_WORDS = 20


def read_html(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    """The article in a web page, with its title, site, date, URL and author, found by trafilatura."""
    article = html_article(file_text(path))
    article.title = article.title or title_from_filename(path)
    yield article


def html_article(html: str) -> RawArticle:
    """The article in the HTML of a web page (a file or a fetched page); the title is "" when
    the page gives none. Raises ReadError when no article text is found."""
    doc = _extract_html(html, fast=True)
    if not _doc_text(doc):
        check_time()
        # trafilatura's fallback extractors also find pages' navigation ("Home |
        # About"); accept what they find only when it reads like prose.
        doc = _extract_html(html, fast=False)
        text = _doc_text(doc)
        if len(text.split()) < _MIN_FALLBACK_WORDS or not _PROSE.search(text):
            raise ReadError(_NO_HTML_TEXT)
    title = " ".join((doc.title or "").split())
    # trafilatura gives one block per line; make each block a paragraph.
    blocks = [b.strip() for b in _doc_text(doc).split("\n") if b.strip()]
    if title and blocks and " ".join(blocks[0].split()) == title:
        blocks = blocks[1:]
    if not blocks:
        raise ReadError(_NO_HTML_TEXT)
    return RawArticle(
        text="\n\n".join(blocks),
        title=title,
        source=doc.sitename or "",
        published_at=doc.date or "",
        url=doc.url or "",
        author=doc.author or "",
    )


def _extract_html(html: str, *, fast: bool) -> Any:
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html,
            fast=fast,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
        )
    except Exception as exc:  # trafilatura/lxml errors vary; the user needs one line
        raise ReadError(f"the HTML could not be parsed ({type(exc).__name__}) - check the file is a web page") from None


def _doc_text(doc: Any) -> str:
    return (getattr(doc, "text", None) or "").strip()
