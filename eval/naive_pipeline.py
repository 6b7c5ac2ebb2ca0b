"""The naive pipeline a user would write with LlamaIndex, as a baseline.

`VectorStoreIndex.from_documents` over the raw articles (title, publisher and date as
document metadata, so they are part of what is embedded), split by
`SentenceSplitter(chunk_size=256, chunk_overlap=20)`, embedded with the same MiniLM
through newsdesk.llamaindex.embedding_model, retrieved dense top-k. No cleaning, no BM25, no fusion.
The built index is persisted (LlamaIndex's own storage) and reused while the articles'
bytes are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.readers import readable_articles
from newsdesk.llamaindex import embedding_model

CHUNK_SIZE = 256
CHUNK_OVERLAP = 20
_STAMP = "naive-stamp.json"


def articles_digest(articles: Path) -> str:
    """sha1 over the bytes of every file under `articles` (a file or a folder), in path order."""
    digest = hashlib.sha1()
    files = [articles] if articles.is_file() else sorted(p for p in articles.rglob("*") if p.is_file())
    for path in files:
        digest.update(str(path.relative_to(articles.parent)).encode())
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def documents(articles: Path) -> list[Any]:
    """LlamaIndex Documents from the raw articles (readers only, no cleaning)."""
    from llama_index.core import Document

    docs = []
    for raw in readable_articles([articles]):
        if raw.text.strip():
            meta = {"title": raw.title, "source": raw.source, "published_at": raw.published_at}
            docs.append(Document(text=raw.text, metadata={k: v for k, v in meta.items() if v}))
    return docs


@dataclass
class NaivePipeline:
    """A dense retriever over the naive index; `search` gives ranked passage texts."""

    index: Any
    chunks: int
    build_seconds: float | None  # None when loaded from the cache

    def search(self, question: str, top_k: int) -> list[str]:
        """The top-k chunk texts for `question`, best first."""
        nodes = self.index.as_retriever(similarity_top_k=top_k).retrieve(question)
        return [n.node.get_content() for n in nodes]


def build(articles: Path, embedder: Any) -> tuple[Any, int, float]:
    """Build the naive index in memory: (index, chunks, seconds)."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter

    started = time.perf_counter()
    index = VectorStoreIndex.from_documents(
        documents(articles),
        transformations=[SentenceSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)],
        embed_model=embedding_model(embedder),
    )
    return index, len(index.docstore.docs), time.perf_counter() - started


def open_naive(articles: Path, embedder: Any, folder: Path) -> NaivePipeline:
    """The naive pipeline over `articles`, loaded from `folder` when built from the same bytes."""
    from llama_index.core import StorageContext, load_index_from_storage

    digest = articles_digest(articles)
    stamp = folder / _STAMP
    if stamp.is_file() and json.loads(stamp.read_text()).get("digest") == digest:
        index = load_index_from_storage(
            StorageContext.from_defaults(persist_dir=str(folder)), embed_model=embedding_model(embedder)
        )
        return NaivePipeline(index, len(index.docstore.docs), None)
    index, chunks, seconds = build(articles, embedder)
    if folder.exists():
        shutil.rmtree(folder)
    index.storage_context.persist(persist_dir=str(folder))
    stamp.write_text(json.dumps({"digest": digest, "chunks": chunks, "build_seconds": round(seconds, 1)}))
    return NaivePipeline(index, chunks, seconds)
