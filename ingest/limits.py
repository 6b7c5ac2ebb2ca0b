"""Limits on what one file or article may cost, and the per-file reading-time budget.

Each value is the bound a hostile or broken file meets before it can hang the run or eat
the machine's memory; real articles stay far below every one (figures measured on the
4,684 articles of data/sample, MultiHop-RAG and RealTimeQA).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from ingest.article import ReadError

MB = 1024 * 1024

# One article per file (.txt .md .html .pdf): the chat upload stops at 20 MB already, and
# the largest real article file is under 1 MB; 50 MB still admits a PDF full of images.
MAX_ARTICLE_FILE_BYTES = 50 * MB
# Many articles per file (.json .jsonl): RealTimeQA's articles.jsonl is 52 MB for 4,456
# articles and reading it peaks at 285 MB (3-4x its size over the interpreter's own), so
# 256 MB stays near 1 GB.
MAX_COLLECTION_FILE_BYTES = 256 * MB
_COLLECTION_SUFFIXES = (".json", ".jsonl")
# trafilatura returns nothing for a page over 20,000,000 characters; say so instead.
MAX_HTML_FILE_BYTES = 19 * MB
_HTML_SUFFIXES = (".html", ".htm")

# The longest paragraph among the real articles is 31,802 characters; a "line" six times
# that is minified markup, base64 or a dump, and sentence splitting grows with it.
MAX_LINE_CHARS = 200_000
# The longest real article is 100,000 characters (RealTimeQA); ten times that is a book,
# and its chunks would drown every other article in search results.
MAX_ARTICLE_CHARS = 1_000_000

# JSON and YAML nest a few levels in real articles (an author object, a list of tags);
# 64 leaves room and keeps every walk over the data far from Python's recursion limit.
MAX_NESTING = 64
# A date string longer than this is prose, not a date, and dateutil's fuzzy parse of it
# is slow; real ones are up to 25 characters ("2023-09-26T17:01:22+00:00"), a wordy
# "Updated: October 31, 2025 10:00 AM ET" 37.
MAX_DATE_CHARS = 100

# Shown metadata, cut to length: the longest real title is 183 characters and the longest
# publisher 59 (4,684 articles); beyond that a field is a paragraph pasted into the wrong key.
MAX_TITLE_CHARS = 300
MAX_SOURCE_CHARS = 200
MAX_AUTHOR_CHARS = 300
# Browsers and sitemaps stop at about 2,000 characters; a longer "URL" is dropped.
MAX_URL_CHARS = 2048

# A news feed lists tens of items (often 20-100); a "feed" of thousands is an archive dump
# or an attack, and each item may cost a page fetch.
MAX_FEED_ITEMS = 500

# Reading and preparing one file may take this long, plus some time per MB: reading and
# preparing all of RealTimeQA's 52 MB takes 14 s here (its budget: 164 s), so the budget
# is a backstop for a parser that goes super-linear (a crafted PDF or page).
READ_SECONDS = 60.0
READ_SECONDS_PER_MB = 2.0

_deadline: ContextVar[tuple[float, float] | None] = ContextVar("newsdesk_read_deadline", default=None)


def max_file_bytes(path: Path) -> int:
    """The largest file of this type ingest reads."""
    suffix = path.suffix.lower()
    if suffix in _COLLECTION_SUFFIXES:
        return MAX_COLLECTION_FILE_BYTES
    return MAX_HTML_FILE_BYTES if suffix in _HTML_SUFFIXES else MAX_ARTICLE_FILE_BYTES


def megabytes(n: int) -> str:
    """A byte count for messages: "52.3 MB"."""
    return f"{n / MB:.1f} MB"


@contextmanager
def time_budget(size_bytes: int) -> Iterator[None]:
    """Within the block, `check_time()` fails once reading a file of this size ran too long."""
    budget = READ_SECONDS + READ_SECONDS_PER_MB * size_bytes / MB
    token = _deadline.set((time.monotonic() + budget, budget))
    try:
        yield
    finally:
        _deadline.reset(token)


def check_time() -> None:
    """Raise ReadError when the reading-time budget of the current file is spent."""
    current = _deadline.get()
    if current is not None and time.monotonic() > current[0]:
        raise ReadError(f"gave up after {current[1]:.0f} s of reading - the file is too slow to parse; split or simplify it")


def check_lines(text: str, what: str = "the article text") -> None:
    """Raise ReadError when `text` has an overlong line or is too long for one article."""
    if len(text) > MAX_LINE_CHARS:  # only then can one of its lines be too long
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > MAX_LINE_CHARS:
                raise ReadError(
                    f"{what} has a line of {len(line):,} characters (line {number}), over the {MAX_LINE_CHARS:,} limit"
                    " - is it minified, base64 or binary data? Put line breaks between paragraphs"
                )
    if len(text) > MAX_ARTICLE_CHARS:
        raise ReadError(
            f"{what} is {len(text):,} characters long, over the {MAX_ARTICLE_CHARS:,} limit for one article"
            " - split it into one file per article"
        )


def nesting_depth(value: object, limit: int = MAX_NESTING) -> int:
    """How deeply lists and dicts nest in `value`, counted without recursion; stops past `limit`.

    A container met twice (a YAML alias) is walked once, so shared or cyclic data ends too.
    """
    deepest = 0
    walked: set[int] = set()
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: object = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if id(item) in walked:
            continue
        walked.add(id(item))
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((child, depth + 1) for child in children)  # type: ignore[union-attr]
    return deepest
