"""The `ingest` command's work: read, clean, compare with the manifest, chunk, embed, write.

Articles come from files and folders, and from the web (pages at URLs, feed items; see
web.py). Each file, each record inside one, each URL and each feed item is read and
prepared behind its own boundary: whatever goes wrong there (a limit, a timeout, a parser
bug, RecursionError, MemoryError) becomes one line in the report naming it and the
reason, and the others are indexed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from index.embedders import Embedder, PieceEmbedder
from index.errors import NewsdeskError
from index.keyword import refresh
from index.store import ArticleRecord, ChunkRecord, IndexStore
from ingest.article import RawArticle, ReadError, ReadFailure, unexpected_reason, where_label
from ingest.duplicates import SameText
from ingest.file_access import real_path
from ingest.limits import time_budget
from ingest.meta_defaults import MetaDefaults, fill_in
from ingest.prepare import ArticleRejected, chunk_article, prepare_article
from ingest.readers import iter_files, read_file
from ingest.safe_text import one_line
from ingest.web import AlreadyIndexed, Note, WebSources, web_articles

__all__ = [
    "ArticleRejected",
    "IngestOptions",
    "IngestReport",
    "MetaDefaults",
    "Progress",
    "WebSources",
    "chunk_article",
    "ingest_paths",
    "prepare_article",
]


@dataclass(frozen=True)
class IngestOptions:
    """How articles are cut and written: chunk size in embedder tokens (title prefix included),
    articles per atomic write, and how long to wait for another writer."""

    chunk_tokens: int = 200
    chunk_prefix: str = "title"  # see ingest.chunking.PREFIXES
    batch_articles: int = 16
    writer_wait: float = 600.0  # seconds to wait for another writer of the same index


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
    notes: list[tuple[str, str]] = field(default_factory=list)  # indexed, with something to say
    chunks_written: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.failed

    def fail(self, where: str, reason: str) -> None:
        """Record a failure: `where` is already a safe label, `reason` is made one safe line."""
        self.failed.append((where, one_line(reason)))


def ingest_paths(
    paths: list[Path],
    store: IndexStore,
    embedder_factory: Callable[[], Embedder],
    options: IngestOptions = IngestOptions(),
    *,
    fields: dict[str, str] | None = None,
    prune: bool = False,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
    web: WebSources | None = None,
    defaults: MetaDefaults | None = None,
) -> IngestReport:
    """Bring the index in `store` in line with the articles under `paths` and from `web`
    (pages and feeds), as its one writer.

    The writer lease is held throughout (another writer is waited for, up to
    `options.writer_wait` seconds; `notify` hears that we wait), and what a dead writer
    left half-written is removed first (`report.recovered`). `defaults` fill in a
    publisher and date where an article gives none. See `_ingest`.
    """
    with store.writer(wait=options.writer_wait, notify=notify) as recovered:
        report = _ingest(
            paths, store, embedder_factory, options,
            fields=fields, prune=prune, progress=progress, web=web or WebSources(), defaults=defaults,
        )
        report.recovered = recovered
        if recovered and not (report.added or report.updated or report.pruned):
            refresh(store)  # the keyword cache still lists what the dead writer left
    return report


def _ingest(
    paths: list[Path],
    store: IndexStore,
    embedder_factory: Callable[[], Embedder],
    options: IngestOptions,
    *,
    fields: dict[str, str] | None,
    prune: bool,
    progress: Progress | None,
    web: WebSources,
    defaults: MetaDefaults | None,
) -> IngestReport:
    """Bring the index in `store` in line with the articles under `paths` and from `web`.

    Unchanged articles (same content hash) are skipped without calling `embedder_factory`
    (so the model never loads); changed ones have their chunks replaced; bad files are
    reported, never fatal. The embedder must be the one the store's index is built with.
    """
    progress = progress or _Silent()
    report = IngestReport()
    known = store.articles()
    scan = _Scan(known, SameText(known, lambda: store.articles(with_text=True)), report, defaults)

    scanned_files: set[str] = set()
    n_files = 0
    for item in iter_files(paths):
        if isinstance(item, ReadFailure):
            report.fail(item.where, item.reason)
            continue
        n_files += 1
        where = real_path(item)
        scanned_files.add(where)
        try:
            with time_budget(_size(item)):
                for raw in read_file(item, fields):
                    scan.take(raw)
        except ReadError as exc:
            report.fail(where_label(where), str(exc))
        except NewsdeskError:
            raise  # the index or settings, not this file: stop with its one line
        except Exception as exc:  # the file boundary: this file fails, the run goes on
            report.fail(where_label(where), unexpected_reason(exc))
        progress.scanned(n_files, len(scan.seen))
    for result in web_articles(web, lambda doc_id: doc_id in known):
        if isinstance(result, AlreadyIndexed):
            report.unchanged.append(result.doc_id)
        elif isinstance(result, Note):
            report.notes.append((result.where, one_line(result.message)))
        else:
            n_files += 1
            scan.take(result)
        progress.scanned(n_files, len(scan.seen))

    if prune:
        gone = [
            doc_id
            for doc_id, rec in known.items()
            if doc_id not in scan.seen
            and doc_id not in scan.same_text.originals
            and rec.path
            and (rec.path in scanned_files or not Path(rec.path).exists())
        ]
        report.pruned = store.remove(gone)
    pending = scan.pending

    if pending:
        store.require_embedder(store.embedder)  # before loading a model whose vectors can't go in
        embedder = embedder_factory()
        # Vectors from another model must not go in under this index's embedder record.
        store.require_embedder(getattr(embedder, "key", "") or store.embedder)
        _embed_and_write(pending, known, store, embedder, options, report, progress)
    if pending or report.pruned:
        refresh(store)
    return report


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


class _Scan:
    """What reading found: each article prepared, compared with the manifest and with the
    articles before it, and sorted into pending (to embed), unchanged, skipped or failed."""

    def __init__(
        self, known: dict[str, ArticleRecord], same_text: SameText, report: IngestReport, defaults: MetaDefaults | None
    ) -> None:
        self.known = known
        self.same_text = same_text
        self.report = report
        self.defaults = defaults
        self.pending: list[ArticleRecord] = []
        self.seen: dict[str, str] = {}  # doc_id -> where it was read

    def take(self, raw: RawArticle | ReadFailure) -> None:
        """Prepare and sort one reader result; its failures go to the report."""
        if isinstance(raw, ReadFailure):
            self.report.fail(raw.where, raw.reason)
            return
        try:
            fill_in(raw, self.defaults)
            record = prepare_article(raw)
        except (ArticleRejected, ReadError) as exc:
            self.report.fail(raw.where, str(exc))
            return
        except NewsdeskError:
            raise
        except Exception as exc:  # the record boundary: RecursionError, MemoryError, a bug
            self.report.fail(raw.where, unexpected_reason(exc))
            return
        if record.doc_id in self.seen:
            self.report.skipped.append((raw.where, f"same article as {self.seen[record.doc_id]}"))
            return
        copy_of = self.same_text.duplicate_of(record)
        if copy_of:
            self.report.skipped.append((raw.where, one_line(copy_of)))
            return
        self.seen[record.doc_id] = raw.where
        self.same_text.remember(record, raw.where)
        old = self.known.get(record.doc_id)
        if old is not None and old.hash == record.hash:
            self.report.unchanged.append(record.doc_id)
        else:
            self.pending.append(record)


def _embed_and_write(
    pending: list[ArticleRecord],
    known: dict[str, ArticleRecord],
    store: IndexStore,
    embedder: Embedder,
    options: IngestOptions,
    report: IngestReport,
    progress: Progress,
) -> None:
    """Chunk, embed and write `pending` batch by batch, in order.

    The embedder runs one batch behind the main thread: while batch k is embedded (native
    code, off the GIL), batch k+1 is chunked and batch k-1 written, so the cores the
    embedder leaves idle do the rest. Each batch is still written whole or not at all.
    """
    from concurrent.futures import Future, ThreadPoolExecutor

    progress.start(len(pending))
    step = options.batch_articles
    in_flight: tuple[list[ArticleRecord], list[ChunkRecord], Future] | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="ingest-embed") as embedding:
        for i in range(0, len(pending), step):
            batch, chunks, texts, pieces = _chunk_batch(pending[i : i + step], embedder, options, report)
            if not batch:
                continue
            # Word pieces when the chunker has them: the texts are not tokenised twice.
            job = embedding.submit(embedder.embed, texts) if pieces is None else embedding.submit(embedder.embed_ids, pieces)
            if in_flight is not None:
                _write(*in_flight, known, store, report, progress)
            in_flight = (batch, chunks, job)
        if in_flight is not None:
            _write(*in_flight, known, store, report, progress)


def _chunk_batch(
    records: list[ArticleRecord], embedder: Embedder, options: IngestOptions, report: IngestReport
) -> tuple[list[ArticleRecord], list[ChunkRecord], list[str], list[list[int]] | None]:
    batch: list[ArticleRecord] = []
    chunks: list[ChunkRecord] = []
    texts: list[str] = []
    pieces: list[list[int]] | None = [] if isinstance(embedder, PieceEmbedder) else None
    for record in records:
        try:
            article_chunks, embed_texts, embed_pieces = chunk_article(
                record, embedder, options.chunk_tokens, options.chunk_prefix
            )
        except NewsdeskError:
            raise
        except Exception as exc:  # e.g. the sentence splitter's regex time limit: this article only
            report.fail(where_label(record.path or record.url, record.locator), unexpected_reason(exc))
            continue
        batch.append(record)
        chunks.extend(article_chunks)
        texts.extend(embed_texts)
        if pieces is not None and embed_pieces is not None:
            pieces.extend(embed_pieces)
    return batch, chunks, texts, pieces


def _write(
    batch: list[ArticleRecord],
    chunks: list[ChunkRecord],
    job,
    known: dict[str, ArticleRecord],
    store: IndexStore,
    report: IngestReport,
    progress: Progress,
) -> None:
    store.write_articles(batch, chunks, job.result())
    for record in batch:
        (report.updated if record.doc_id in known else report.added).append(record.doc_id)
    report.chunks_written += len(chunks)
    progress.advance(len(batch), len(chunks))
