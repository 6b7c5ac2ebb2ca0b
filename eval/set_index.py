"""The index an eval set is asked over: one folder per set, article source and embedder.

Built on first use with the normal ingest pipeline and reused afterwards: ingest's
manifest skips every unchanged article, so a rerun embeds nothing (and a changed
articles file re-embeds only what changed). The folder name carries the embedder
settings, so switching embedder never reuses vectors made by another one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.sets import REPO, EvalSet
from newsdesk.articles import add_articles
from newsdesk.components import embedder_for, open_store

DEFAULT_CACHE = REPO / ".newsdesk" / "eval"


def embedder_tag(settings: Any) -> str:
    """The settings that change the vectors, as a folder-name part (e.g. 'minilm-c200')."""
    parts = [str(getattr(settings, name)) for name in sorted(type(settings).model_fields)
             if name.startswith("embedder")]
    tag = parts + [f"c{settings.chunk_tokens}"]
    if settings.chunk_prefix != "title-source-date":  # folders of the older recipe keep their names
        tag.append(f"p{settings.chunk_prefix}")
    return "-".join(tag).replace("/", "_")


def index_folder(evalset: EvalSet, settings: Any, cache: Path) -> Path:
    """Where `evalset`'s index lives under `cache`."""
    return Path(cache) / f"{evalset.name}-{embedder_tag(settings)}-{evalset.fingerprint()}"


@dataclass
class SetIndex:
    """An opened set index: its settings (index pointing at the folder), store, embedder, ingest numbers."""

    settings: Any
    store: Any
    embedder: Any
    articles: int
    chunks: int
    added: int
    unchanged: int
    failed: int
    ingest_seconds: float


def open_set_index(evalset: EvalSet, settings: Any, cache: Path, log=print) -> SetIndex:
    """Ingest `evalset`'s articles into its folder (only what changed) and open it."""
    folder = index_folder(evalset, settings, cache)
    settings = settings.model_copy(update={"index": folder})
    store = open_store(settings, create=True)
    embedder: list[Any] = []

    def lazy_embedder() -> Any:
        if not embedder:
            embedder.append(embedder_for(store, settings))
        return embedder[0]

    log(f"index {folder}: checking {evalset.articles} against its manifest")
    started = time.perf_counter()
    report = add_articles([evalset.articles], settings, store=store, embedder_factory=lazy_embedder, prune=True)
    seconds = time.perf_counter() - started
    log(
        f"index {folder.name}: {len(report.added) + len(report.updated)} embedded, "
        f"{len(report.unchanged)} unchanged, {len(report.failed)} failed in {seconds:.1f}s"
    )
    stats = store.stats()
    return SetIndex(
        settings=settings,
        store=store,
        embedder=lazy_embedder(),
        articles=stats.articles,
        chunks=stats.chunks,
        added=len(report.added) + len(report.updated),
        unchanged=len(report.unchanged),
        failed=len(report.failed),
        ingest_seconds=seconds,
    )
