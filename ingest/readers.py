"""Readers: turn files (.txt .md .html .json/.jsonl .pdf) into RawArticle records.

This module finds the files, parses --fields and picks the reader for each file by its
suffix; the readers themselves are in read_text.py (.txt, .md), read_html.py,
read_json.py (.json, .jsonl) and read_pdf.py. Readers find the text and the metadata;
they do not clean boilerplate (see clean.py). A file that cannot be read becomes one
ReadFailure with a one-line reason that says what is wrong and what to do; a broken
record inside a JSON/JSONL file becomes a ReadFailure for that record only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.article import RawArticle, ReadError, ReadFailure
from ingest.decode import decode_bytes
from ingest.read_html import read_html
from ingest.read_json import read_json, read_jsonl
from ingest.read_pdf import read_pdf
from ingest.read_text import read_markdown, read_txt
from ingest.titles import title_from_filename

__all__ = [
    "FIELDS",
    "SUPPORTED_SUFFIXES",
    "decode_bytes",
    "iter_files",
    "parse_fields",
    "read_file",
    "readable_articles",
    "title_from_filename",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf")
FIELDS = ("text", "title", "source", "published_at", "url", "author")


# --- finding files -------------------------------------------------------------------


def iter_files(paths: list[Path]) -> Iterator[Path | ReadFailure]:
    """Yield the article files under `paths` (files or folders, folders recursively).

    Folders are walked in sorted order, skipping hidden files and folders and files of
    unsupported types. A missing path, or a file named explicitly with an unsupported
    type, yields a ReadFailure. Each file is yielded once.
    """
    seen: set[Path] = set()
    for path in paths:
        path = Path(path)
        if not path.exists():
            yield ReadFailure(str(path), "no such file or folder - check the path")
            continue
        if path.is_dir():
            candidates = _walk(path)
        elif _suffix(path) in SUPPORTED_SUFFIXES:
            candidates = [path]
        else:
            yield ReadFailure(str(path), _unsupported(path))
            continue
        for file in candidates:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        found.extend(
            Path(root, name)
            for name in files
            if not name.startswith(".") and _suffix(Path(name)) in SUPPORTED_SUFFIXES
        )
    return sorted(found, key=lambda p: p.relative_to(folder).parts)


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _unsupported(path: Path) -> str:
    kind = f"'{path.suffix}'" if path.suffix else "(no extension)"
    return f"unsupported file type {kind} - use one of {' '.join(SUPPORTED_SUFFIXES)}"


# --- --fields ------------------------------------------------------------------------


def parse_fields(spec: str) -> dict[str, str]:
    """Parse a `--fields` spec such as "text=body,published_at=publish_date".

    Returns {our field: the JSON key}. Our fields are text, title, source,
    published_at, url and author. Raises ValueError (one line, naming the bad part) on
    an unknown field or a malformed pair.
    """
    mapping: dict[str, str] = {}
    for part in (spec or "").split(","):
        if not part.strip():
            continue
        ours, sep, key = (s.strip() for s in part.partition("="))
        if not sep or not ours or not key or "=" in key:
            raise ValueError(f"bad --fields entry '{part.strip()}': write FIELD=KEY, e.g. text=body")
        if ours not in FIELDS:
            raise ValueError(f"unknown field '{ours}' in --fields: use one of {', '.join(FIELDS)}")
        if ours in mapping:
            raise ValueError(f"field '{ours}' is given twice in --fields")
        mapping[ours] = key
    return mapping


# --- reading one file ----------------------------------------------------------------

_READERS: dict[str, Callable[[Path, dict[str, str]], Iterator[RawArticle | ReadFailure]]] = {
    ".txt": read_txt,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".html": read_html,
    ".htm": read_html,
    ".json": read_json,
    ".jsonl": read_jsonl,
    ".pdf": read_pdf,
}


def read_file(path: Path, fields: dict[str, str] | None = None) -> Iterator[RawArticle | ReadFailure]:
    """Yield the articles in one file, or ReadFailures for what could not be read.

    The reader is chosen by suffix. `fields` maps our field names to JSON keys and
    overrides the default keys (JSON and JSONL files, and Markdown front matter).
    """
    path = Path(path)
    where = str(path.resolve())
    reader = _READERS.get(_suffix(path))
    if reader is None:
        yield ReadFailure(where, _unsupported(path))
        return
    try:
        for item in reader(path, fields or {}):
            item.path = where
            yield item
    except ReadError as exc:
        yield ReadFailure(where, str(exc))
    except OSError as exc:
        yield ReadFailure(where, f"cannot read the file ({exc.strerror or exc}) - check it exists and is readable")


def readable_articles(paths: list[Path]) -> Iterator[RawArticle]:
    """Every article the readers get from `paths`, in order; what fails to read is left out
    (for tools that measure on a corpus; ingest reports failures instead)."""
    for path in iter_files(paths):
        if isinstance(path, Path):
            yield from (item for item in read_file(path) if isinstance(item, RawArticle))
