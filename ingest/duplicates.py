"""The same article text under another file name or URL: indexed once, the others skipped.

Articles are compared by `text_hash` (sha256 of the clean text), against those read
earlier in the run and those already in the index. An article whose own doc_id is
indexed is never a duplicate (it is unchanged or updated), so a rerun is stable.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from index.store import ArticleRecord
from ingest.article import where_label
from ingest.metadata import text_hash


class SameText:
    """Which articles repeat a text seen earlier in this run or already indexed."""

    def __init__(self, known: dict[str, ArticleRecord], load_texts: Callable[[], dict[str, ArticleRecord]]) -> None:
        """`known` is the index's manifest by doc_id; `load_texts` reads it with texts, and is
        called at most once, only when an index from before text hashes needs them."""
        self._known = known
        self._load_texts = load_texts
        self._indexed: dict[str, str] | None = None  # text hash -> doc_id
        self._this_run: dict[str, str] = {}  # text hash -> where it was read
        self.originals: set[str] = set()  # indexed doc_ids that a skipped copy repeats: keep them

    def remember(self, record: ArticleRecord, where: str) -> None:
        """`record` is indexed (or stays indexed) in this run; later copies of it are skipped."""
        self._this_run.setdefault(record.text_hash, where)

    def duplicate_of(self, record: ArticleRecord) -> str | None:
        """The one-line reason to skip `record` as a copy, or None to index it."""
        if record.doc_id in self._known:
            return None  # its own entry: unchanged or updated, never a copy of itself
        earlier = self._this_run.get(record.text_hash)
        if earlier is not None:
            return f"same text as {earlier}"
        other_id = self._indexed_hashes().get(record.text_hash)
        if other_id is None:
            return None
        other = self._known[other_id]
        if other.path and (other.path, other.locator) == (record.path, record.locator):
            return None  # this file's earlier version under another id (its URL changed)
        if other.path and not os.path.exists(other.path):
            return None  # moved or renamed: the old entry is stale (--prune removes it)
        self.originals.add(other_id)
        return f"same text as the indexed article {other_id} ({where_label(other.path, other.locator)})"

    def _indexed_hashes(self) -> dict[str, str]:
        if self._indexed is None:
            records = self._known
            if any(not rec.text_hash for rec in records.values()):
                records = self._load_texts()  # indexed before text hashes were kept
            self._indexed = {}
            for doc_id, rec in sorted(records.items()):
                if doc_id in self._known:
                    self._indexed.setdefault(rec.text_hash or text_hash(rec.text), doc_id)
        return self._indexed
