"""Readers for JSON (.json) and JSON Lines (.jsonl) files of article records.

Each object is one article (see field_mapping.py for which keys are read); a broken
record becomes a ReadFailure for that record only, unless no record at all is an article.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.article import RawArticle, ReadError, ReadFailure
from ingest.decode import file_text
from ingest.field_mapping import article_from_mapping, has_text
from ingest.limits import MAX_NESTING, check_time, nesting_depth

# A JSON file holding {"articles": [...]} (as news APIs export) is read as that list.
_LIST_KEYS = ("articles", "items", "data", "results", "documents", "docs")
# A JSON integer longer than this stays a string: int() of over 4,300 digits raises, and
# no field of an article is a number that long.
_INT_MAX_CHARS = 40
_TOO_DEEP = "the JSON nests too deeply for Python to parse - an article is one flat object"


def _parse_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= _INT_MAX_CHARS else digits


def _loads(text: str) -> Any:
    """json.loads, with overlong integers kept as text; RecursionError on deep nesting."""
    return json.loads(text, parse_int=_parse_int)


def read_json(path: Path, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    """The articles in a JSON file: one object, a list of objects, or a list wrapped in an object."""
    text = file_text(path)
    try:
        data = _loads(text)
    except RecursionError:
        raise ReadError(_TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Several objects one after another: really JSON Lines.
            yield from _records_from_lines(text, fields)
            return
        raise ReadError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} - fix the file"
        ) from None
    if isinstance(data, dict) and not has_text(data, fields):
        nested = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
        if nested is not None:
            data = nested
    if isinstance(data, dict):
        yield _record(data, fields, "")
    elif isinstance(data, list):
        if not data:
            raise ReadError("the JSON list is empty - nothing to ingest")
        yield from _unless_all_failed(_items(data, fields))
    else:
        raise ReadError("the JSON is not an object or a list of objects - one article per object")


def read_jsonl(path: Path, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    """The articles in a JSON Lines file, one object per line; a broken line fails alone."""
    yield from _records_from_lines(file_text(path), fields)


def _records_from_lines(text: str, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    yield from _unless_all_failed(_parse_lines(text, fields))


def _parse_lines(text: str, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    for n, line in enumerate(_lines(text), 1):
        if not line.strip():
            continue
        check_time()
        locator = f"line {n}"
        try:
            obj = _loads(line)
        except json.JSONDecodeError as exc:
            yield ReadFailure("", f"invalid JSON at column {exc.colno}: {exc.msg} - fix or remove the line", locator)
            continue
        except RecursionError:
            yield ReadFailure("", f"{_TOO_DEEP} - fix or remove the line", locator)
            continue
        yield _record(obj, fields, locator)


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` one at a time (no second copy of a large file in a list)."""
    # "\n" only, not splitlines(): U+2028 may sit unescaped inside a JSON string.
    start = 0
    while start <= len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        yield text[start:end]
        start = end + 1


def _unless_all_failed(items: Iterator[RawArticle | ReadFailure]) -> Iterator[RawArticle | ReadFailure]:
    """Pass records through, but when not one record is an article, report the file once.

    A file of questions or settings is not a file of articles with 500 broken records.
    Failures are held back only until the first article shows up.
    """
    held: list[ReadFailure] | None = []
    for item in items:
        if held is None or isinstance(item, RawArticle):
            if held:
                yield from held
            held = None
            yield item
        else:
            held.append(item)
    if held is None:
        return
    if len(held) == 1:
        yield held[0]
    elif held:
        first = held[0]
        raise ReadError(f"none of the {len(held)} records is a readable article ({first.locator}: {first.reason})")


def _items(data: list[Any], fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    for n, item in enumerate(data, 1):
        check_time()
        yield _record(item, fields, f"item {n}")


def _record(obj: Any, fields: dict[str, str], locator: str) -> RawArticle | ReadFailure:
    if not isinstance(obj, dict):
        return ReadFailure("", f"not a JSON object (got {type(obj).__name__}) - one article per object", locator)
    if nesting_depth(obj) > MAX_NESTING:
        return ReadFailure("", f"the object nests more than {MAX_NESTING} levels deep - an article is one flat object", locator)
    try:
        article = article_from_mapping(obj, fields, text_required=True)
    except ReadError as exc:
        return ReadFailure("", str(exc), locator)
    article.locator = locator
    return article
