"""The `ingest` command's work: read, clean, compare with the manifest, chunk, embed, write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from index.embedders import Embedder
from index.keyword import refresh
from index.store import ArticleRecord, ChunkRecord, IndexStore
from ingest.article import RawArticle, ReadFailure
from ingest.chunking import header_line, make_chunks
from ingest.clean import clean_text
from ingest.metadata import content_hash, make_doc_id, parse_date, source_from_url
from ingest.readers import iter_files, read_file
from ingest.sentences import split_sentences


@dataclass(frozen=True)
class IngestOptions:
    """How articles are cut and written: chunk size in embedder tokens (title prefix included)
    and articles per atomic write."""

    chunk_tokens: int = 200
    batch_articles: int = 16


class Progress(Protocol):
    """How the pipeline tells a CLI or UI what it is doing."""

    def scanned(self, files: int, articles: int) -> None:
        """Reading is under way: files and articles seen so far."""

    def start(self, total_articles: int) -> None:
        """Embedding begins for this many new or changed articles."""

    def advance(self, articles: int, chunks: int) -> None:
        """This many more articles (and their chunks) are written."""


class _Silent:
    def scanned(self, files: int, articles: int) -> None:
        pass

    def start(self, total_articles: int) -> None:
        pass

    def advance(self, articles: int, chunks: int) -> None:
        pass


@dataclass
class IngestReport:
    """What an ingest did: counts per outcome and one line per failure."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    recovered: list[str] = field(default_factory=list)
    chunks_written: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed


def prepare_article(raw: RawArticle) -> ArticleRecord:
    """Clean a raw article and fill its metadata; raises ValueError when no text is left."""
    text = clean_text(raw.text)
    if not text.strip():
        raise ValueError("no article text left after removing boilerplate")
    title = " ".join(raw.title.split()) or _title_from_text(text)
    date = parse_date(raw.published_at) if raw.published_at else None
    source = " ".join(raw.source.split()) or (source_from_url(raw.url) if raw.url else "")
    record = ArticleRecord(
        doc_id=make_doc_id(raw.url, raw.path if not raw.locator else "", text),
        hash="",
        title=title,
        source=source,
        published_at=date[0] if date else "",
        published_ts=date[1] if date else None,
        url=raw.url.strip(),
        author=" ".join(raw.author.split()),
        path=raw.path,
        locator=raw.locator,
        text=text,
    )
    record.hash = content_hash(
        text,
        {k: getattr(record, k) for k in ("title", "source", "published_at", "url", "author")},
    )
    return record


def _title_from_text(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."


def chunk_article(
    record: ArticleRecord, embedder: Embedder, max_tokens: int
) -> tuple[list[ChunkRecord], list[str]]:
    """Sentence-aligned chunks of one article and the texts to embed for them."""
    header = header_line(record.title, record.source, record.published_at)
    chunks = make_chunks(
        record.text,
        split_sentences(record.text),
        header,
        min(max_tokens, embedder.max_tokens),
        embedder.count_tokens,
    )
    return [
        ChunkRecord(record.doc_id, c.index, c.start, c.end, c.text, c.sentences)
        for c in chunks
    ], [c.embed_text for c in chunks]


def ingest_paths(
    paths: list[Path],
    store: IndexStore,
    embedder_factory: Callable[[], Embedder],
    options: IngestOptions = IngestOptions(),
    *,
    fields: dict[str, str] | None = None,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Bring the index in `store` in line with the articles under `paths`.

    Unchanged articles (same content hash) are skipped without calling `embedder_factory`
    (so the model never loads); changed ones have their chunks replaced; bad files are
    reported, never fatal. The embedder must be the one the store's index is built with.
    """
    progress = progress or _Silent()
    report = IngestReport(recovered=store.reconcile())
    known = store.articles()

    pending: list[ArticleRecord] = []
    seen: dict[str, str] = {}
    scanned_files: set[str] = set()
    n_files = 0
    for item in iter_files(paths):
        if isinstance(item, ReadFailure):
            report.failed.append((item.where, item.reason))
            continue
        n_files += 1
        scanned_files.add(str(item.resolve()))
        for raw in read_file(item, fields):
            if isinstance(raw, ReadFailure):
                report.failed.append((raw.where, raw.reason))
                continue
            try:
                record = prepare_article(raw)
            except ValueError as exc:
                report.failed.append((raw.where, str(exc)))
                continue
            if record.doc_id in seen:
                report.skipped.append((raw.where, f"same article as {seen[record.doc_id]}"))
                continue
            seen[record.doc_id] = raw.where
            old = known.get(record.doc_id)
            if old is not None and old.hash == record.hash:
                report.unchanged.append(record.doc_id)
            else:
                pending.append(record)
        progress.scanned(n_files, len(seen))

    if prune:
        gone = [
            doc_id
            for doc_id, rec in known.items()
            if doc_id not in seen and rec.path and (rec.path in scanned_files or not Path(rec.path).exists())
        ]
        report.pruned = store.remove(gone)

    if pending:
        store.require_embedder(store.embedder)  # before loading a model whose vectors can't go in
        _embed_and_write(pending, known, store, embedder_factory(), options, report, progress)
    if pending or report.pruned or report.recovered:
        refresh(store)
    return report


def _embed_and_write(
    pending: list[ArticleRecord],
    known: dict[str, ArticleRecord],
    store: IndexStore,
    embedder: Embedder,
    options: IngestOptions,
    report: IngestReport,
    progress: Progress,
) -> None:
    progress.start(len(pending))
    step = options.batch_articles
    for i in range(0, len(pending), step):
        batch = pending[i : i + step]
        chunks: list[ChunkRecord] = []
        texts: list[str] = []
        for record in batch:
            article_chunks, embed_texts = chunk_article(record, embedder, options.chunk_tokens)
            chunks.extend(article_chunks)
            texts.extend(embed_texts)
        vectors = embedder.embed(texts)
        store.write_articles(batch, chunks, vectors)
        for record in batch:
            (report.updated if record.doc_id in known else report.added).append(record.doc_id)
        report.chunks_written += len(chunks)
        progress.advance(len(batch), len(chunks))
