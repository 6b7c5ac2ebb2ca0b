"""The records that flow through ingest: what a reader hands over, and what it reports."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.errors import NewsdeskError


@dataclass
class RawArticle:
    """One article as a reader found it, before cleaning.

    `path` is the resolved file it came from; `locator` says where inside the file
    (e.g. "line 3" of a JSONL file), empty for one-article files.
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
        """The file (and line) this article came from, for messages."""
        return f"{self.path}:{self.locator}" if self.locator else self.path


@dataclass
class ReadFailure:
    """A file, or one record inside it, that could not be read; `reason` is one line."""

    path: str
    reason: str
    locator: str = ""

    @property
    def where(self) -> str:
        """The file (and line) that failed, for messages."""
        return f"{self.path}:{self.locator}" if self.locator else self.path


class ReadError(NewsdeskError):
    """Raised by a reader when a whole file cannot be read; the message is one line."""
