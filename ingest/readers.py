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
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.article import RawArticle, ReadError, ReadFailure, unexpected_reason
from ingest.decode import decode_bytes
from ingest.file_access import os_error_reason, real_path, stat_problem
from ingest.read_html import read_html
from ingest.read_json import read_json, read_jsonl
from ingest.read_pdf import read_pdf
from ingest.read_text import read_markdown, read_txt
from ingest.safe_text import escape_unsafe
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
    unsupported types; symbolic links to folders are not followed. A missing path, a file
    named explicitly with an unsupported type, and anything that is not a readable regular
    file (a FIFO, a device, a symlink loop, a broken link, no permission, a name that is
    not UTF-8) yields a ReadFailure with the reason. Each file is yielded once.
    """
    seen: set[str] = set()
    for path in paths:
        path = Path(path)
        problem = _name_problem(path)
        is_dir = False
        if problem is None:
            try:
                is_dir = stat.S_ISDIR(os.stat(path).st_mode)
            except OSError as exc:
                problem = os_error_reason(path, exc)
        if problem:
            yield ReadFailure(str(path), problem)
            continue
        if is_dir:
            candidates = _walk(path)
        elif _suffix(path) in SUPPORTED_SUFFIXES:
            candidates = [path]
        else:
            yield ReadFailure(str(path), _unsupported(path))
            continue
        for file in candidates:
            if isinstance(file, ReadFailure):
                yield file
                continue
            key = real_path(file)
            if key in seen:
                continue
            seen.add(key)
            problem = _name_problem(file) or stat_problem(file)
            yield ReadFailure(str(file), problem) if problem else file


def _name_problem(path: Path) -> str | None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:  # undecodable bytes kept as surrogates: the index stores UTF-8 only
        return "the file name is not valid UTF-8 - rename the file"
    return None


def _walk(folder: Path) -> list[Path | ReadFailure]:
    """The article files under `folder`, sorted; folders that can't be listed as failures.

    Walked with a stack, not recursion (os.walk recurses in Python 3.11, so a folder tree
    a thousand levels deep would raise RecursionError); links to folders are not followed.
    """
    found: list[tuple[tuple[str, ...], Path | ReadFailure]] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as entries:
                listed = list(entries)
        except OSError as exc:
            found.append((_parts(current, folder), ReadFailure(str(current), os_error_reason(current, exc))))
            continue
        for entry in listed:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            if _is_real_dir(entry):
                stack.append(path)
            elif _suffix(path) in SUPPORTED_SUFFIXES and not _is_linked_dir(entry):
                found.append((_parts(path, folder), path))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def _is_real_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_linked_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:
        return False


def _parts(path: Path, folder: Path) -> tuple[str, ...]:
    return path.relative_to(folder).parts


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _unsupported(path: Path) -> str:
    kind = f"'{escape_unsafe(path.suffix)}'" if path.suffix else "(no extension)"
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
    overrides the default keys (JSON and JSONL files, and Markdown front matter). Only a
    regular file within the size limit is read; whatever goes wrong becomes a ReadFailure.
    """
    path = Path(path)
    where = real_path(path)
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
        yield ReadFailure(where, os_error_reason(path, exc))
    except Exception as exc:  # a parser bug, RecursionError, MemoryError: this file fails, not the run
        yield ReadFailure(where, unexpected_reason(exc))


def readable_articles(paths: list[Path]) -> Iterator[RawArticle]:
    """Every article the readers get from `paths`, in order; what fails to read is left out
    (for tools that measure on a corpus; ingest reports failures instead)."""
    for path in iter_files(paths):
        if isinstance(path, Path):
            yield from (item for item in read_file(path) if isinstance(item, RawArticle))
