"""The records that flow through ingest: what a reader hands over, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.errors import NewsdeskError
from ingest.safe_text import escape_unsafe


@dataclass
class RawArticle:
    """One article as a reader found it, before cleaning.

    `path` is the resolved file it came from ("" for a web page or a feed item);
    `locator` says where inside the file (e.g. "line 3" of a JSONL file), empty for
    one-article files and web pages.
    """

    text: str
    title: str = ""
    source: str = ""
    published_at: str = ""
    url: str = ""
    author: str = ""
    path: str = ""
    locator: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        """The file (and line) this article came from, or its URL, for messages: one safe
        line, with control characters in the name escaped ("\\n", "\\x1b")."""
        if not self.path:
            return escape_unsafe(self.locator or self.url)
        return where_label(self.path, self.locator)


@dataclass
class ReadFailure:
    """A file, or one record inside it, that could not be read; `reason` is one line."""

    path: str
    reason: str
    locator: str = ""

    @property
    def where(self) -> str:
        """The file (and line) that failed, for messages: one safe line, as RawArticle.where."""
        return where_label(self.path, self.locator)


def where_label(path: str, locator: str = "") -> str:
    """"file" or "file:line 3" for messages, control characters in the name escaped."""
    return escape_unsafe(f"{path}:{locator}" if locator else path)


class ReadError(NewsdeskError):
    """Raised by a reader when a whole file cannot be read; the message is one line."""


def unexpected_reason(exc: BaseException) -> str:
    """The one-line reason for an error no reader expects (a parser bug, RecursionError,
    MemoryError): it fails this file or record only."""
    lines = str(exc).strip().splitlines()
    detail = f": {lines[0][:200]}" if lines else ""
    return f"could not be read ({type(exc).__name__}{detail}) - the file is probably malformed; check or remove it"
