"""One article from what a reader found to a manifest record, and from a record to chunks.

Preparing applies the per-article limits (longest line, longest article), cleans the
text, runs the quality gate (quality.py) and checks the metadata: shown fields lose
control characters and are cut to length, URLs that are no web address are dropped,
dates outside the accepted range are left empty.
"""

from __future__ import annotations

from index.embedders import Embedder, PieceEmbedder
from index.store import ArticleRecord, ChunkRecord
from ingest import quality
from ingest.article import RawArticle, ReadError
from ingest.chunking import header_line, make_chunks
from ingest.clean import clean_text
from ingest.limits import MAX_AUTHOR_CHARS, MAX_SOURCE_CHARS, MAX_TITLE_CHARS, check_lines
from ingest.metadata import clean_url, content_hash, make_doc_id, parse_date, source_from_url, text_hash
from ingest.safe_text import clip, strip_unsafe
from ingest.sentences import split_sentences

_TITLE_FROM_TEXT_CHARS = 120


class ArticleRejected(ValueError):
    """An article that is not indexed (too long, no text left, not article text); the
    message is the one-line reason."""


def prepare_article(raw: RawArticle) -> ArticleRecord:
    """Clean a raw article and fill its checked metadata.

    Raises ArticleRejected (a ValueError) when the text breaks a limit, no text is left
    after cleaning, or what is left does not read like article text.
    """
    try:
        check_lines(raw.text)
    except ReadError as exc:
        raise ArticleRejected(str(exc)) from None
    text = clean_text(raw.text)
    if not text.strip():
        raise ArticleRejected("no article text left after removing boilerplate")
    problem = quality.problem(text)
    if problem:
        raise ArticleRejected(problem)
    url = clean_url(raw.url)
    date = parse_date(raw.published_at) if raw.published_at else None
    record = ArticleRecord(
        doc_id=make_doc_id(url, raw.path if not raw.locator else "", text),
        hash="",
        title=clip(strip_unsafe(raw.title), MAX_TITLE_CHARS) or _title_from_text(text),
        source=clip(strip_unsafe(raw.source), MAX_SOURCE_CHARS) or source_from_url(url),
        published_at=date[0] if date else "",
        published_ts=date[1] if date else None,
        url=url,
        author=clip(strip_unsafe(raw.author), MAX_AUTHOR_CHARS),
        path=raw.path,
        locator=raw.locator,
        text_hash=text_hash(text),
        text=text,
    )
    record.hash = content_hash(
        text,
        {k: getattr(record, k) for k in ("title", "source", "published_at", "url", "author")},
    )
    return record


def _title_from_text(text: str) -> str:
    first = strip_unsafe(text.strip().split("\n", 1)[0])
    if len(first) <= _TITLE_FROM_TEXT_CHARS:
        return first
    return first[: _TITLE_FROM_TEXT_CHARS - 3].rsplit(" ", 1)[0] + "..."


def chunk_article(
    record: ArticleRecord, embedder: Embedder, max_tokens: int, prefix: str = "title"
) -> tuple[list[ChunkRecord], list[str], list[list[int]] | None]:
    """Sentence-aligned chunks of one article, the texts to embed for them (`prefix` names
    the metadata in front of each, see ingest.chunking.PREFIXES) and, when the embedder
    takes word pieces, those texts as word pieces (else None)."""
    header = header_line(record.title, record.source, record.published_at, prefix)
    tokenize = embedder.tokenize if isinstance(embedder, PieceEmbedder) else None
    chunks = make_chunks(
        record.text,
        split_sentences(record.text),
        header,
        min(max_tokens, embedder.max_tokens),
        embedder.count_tokens,
        tokenize,
    )
    records = [ChunkRecord(record.doc_id, c.index, c.start, c.end, c.text, c.sentences) for c in chunks]
    pieces = [c.embed_ids or [] for c in chunks] if tokenize is not None else None
    return records, [c.embed_text for c in chunks], pieces
