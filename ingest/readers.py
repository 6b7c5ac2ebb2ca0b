"""Readers: turn files (.txt .md .html .json/.jsonl .pdf) into RawArticle records.

Readers find the text and the metadata; they do not clean boilerplate (see clean.py).
A file that cannot be read becomes one ReadFailure with a one-line reason that says
what is wrong and what to do; a broken record inside a JSON/JSONL file becomes a
ReadFailure for that record only.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from ingest.article import RawArticle, ReadError, ReadFailure
from ingest.clean import is_boilerplate_line

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".pdf")
FIELDS = ("text", "title", "source", "published_at", "url", "author")

# Keys tried, in order, for each of our fields when a JSON object (or front matter)
# does not say otherwise through --fields.
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    "text": ("body", "text", "content", "article", "maintext"),
    "title": ("title", "headline"),
    "published_at": ("published_at", "publish_date", "date", "published", "pubDate"),
    "url": ("url", "link"),
    "author": ("author", "authors", "byline"),
    "source": ("source", "publisher", "site_name", "source_name"),
}
# A JSON file holding {"articles": [...]} (as news APIs export) is read as that list.
_LIST_KEYS = ("articles", "items", "data", "results", "documents", "docs")

_TITLE_MAX_CHARS = 150
_BINARY_SAMPLE = 8192
_BINARY_CONTROL_SHARE = 0.1


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


def _read_text(path: Path) -> str:
    """The file's text, decoded; raises ReadError for empty, binary or undecodable files."""
    data = path.read_bytes()
    if not data.strip():
        raise ReadError("empty file - nothing to ingest")
    return decode_bytes(data)


def decode_bytes(data: bytes) -> str:
    """Decode file bytes: UTF-8 (BOM or not), UTF-16 with a BOM, else a detected encoding.

    Raises ReadError for binary data or bytes no encoding reads.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise ReadError("the file starts with a UTF-16 mark but is not UTF-16 - re-save it as UTF-8") from None
    if _looks_binary(data):
        raise ReadError("binary file, not text - convert it to .txt, .html, .md, .json or .pdf first")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    guess = _guess_decoding(data)
    if guess is not None:
        return guess
    raise ReadError("the text encoding could not be recognised - re-save the file as UTF-8")


def _looks_binary(data: bytes) -> bool:
    sample = data[:_BINARY_SAMPLE]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > _BINARY_CONTROL_SHARE * len(sample)


def _guess_decoding(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is not None:
        # For short Western text charset-normalizer's pick is often an exotic code page
        # (cp775, cp1250) that reads no better than cp1252; news text is far more often
        # cp1252, so prefer it whenever it reads as cleanly as the best guess.
        if any("cp1252" in m.could_be_from_charset and m.chaos <= best.chaos + 0.01 for m in matches):
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
        return str(best)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return None


# --- .txt ----------------------------------------------------------------------------


def _read_txt(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    text = _read_text(path)
    lines = text.splitlines()
    title = ""
    for i, line in enumerate(lines):
        if not line.strip() or is_boilerplate_line(line):
            continue
        if _looks_like_title(line) and any(rest.strip() for rest in lines[i + 1 :]):
            title = " ".join(line.split())
            text = "\n".join(lines[:i] + lines[i + 1 :])
        break
    yield RawArticle(text=text, title=title or title_from_filename(path))


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    if not line or len(line) > _TITLE_MAX_CHARS or line[0].islower():
        return False
    # Headlines end without a full stop ("?" and "!" are fine); a dateline
    # "ISLAMABAD:" or a lead-in "Some highlights:" is not a headline.
    return not line.rstrip("\"”’')").endswith((".", ",", ";", ":"))


def title_from_filename(path: Path) -> str:
    """A readable title from a file name: "us-minerals_talks.txt" -> "Us minerals talks"."""
    words = " ".join(re.sub(r"[-_]+", " ", path.stem).split())
    return words[:1].upper() + words[1:]


# --- .md -----------------------------------------------------------------------------


def _read_md(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    text = _read_text(path)
    meta, body = _split_front_matter(text)
    article = _article_from_mapping(meta, fields, text_required=False)
    heading, plain = markdown_to_text(body)
    article.text = plain
    if not article.title:
        article.title = heading or title_from_filename(path)
    elif heading and " ".join(heading.split()) != " ".join(article.title.split()):
        article.text = f"{heading}\n\n{plain}"  # a different heading is part of the body
    yield article


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ReadError("front matter opens with --- but has no closing --- line - add it")
    import yaml

    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ReadError(f"bad YAML front matter{at}: {problem} - fix the block between the --- lines") from None
    if not isinstance(meta, dict):
        raise ReadError("the front matter is not a set of 'key: value' lines - fix the block between the --- lines")
    return meta, "\n".join(lines[end + 1 :])


_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_RULE = re.compile(r"^\s{0,3}([-*_=])(?:\s*\1){2,}\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_MD_INLINE = [
    (re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]"), ""),  # images
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^>\s]+)>"), r"\1"),  # <http://autolink>
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),  # inline HTML tags
    (re.compile(r"`+([^`]+?)`+"), r"\1"),  # `code`
    (re.compile(r"(?<!\\)(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # **strong**
    (re.compile(r"(?<![\w\\*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w\\])_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),  # _em_
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # ~~strike~~
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])"), r"\1"),  # backslash escapes
]


def markdown_to_text(body: str) -> tuple[str, str]:
    """Plain text of a Markdown body, and its first "# " heading (removed from the text).

    Markup is stripped (headings, emphasis, code ticks, images, links, list markers,
    block quotes); soft-wrapped lines of a paragraph are joined with spaces.
    """
    out: list[str] = []
    title = ""
    in_fence = False
    joinable = False  # may the next plain line continue the previous output line?
    for raw in body.split("\n"):
        if _MD_FENCE.match(raw):
            in_fence = not in_fence
            joinable = False
            continue
        if in_fence:
            out.append(raw.rstrip())
            continue
        heading = _MD_HEADING.match(raw)
        if heading:
            text = _md_inline(heading.group(2))
            if not title and heading.group(1) == "#":
                title = text
            else:
                out.extend(["", text, ""])
            joinable = False
            continue
        if _MD_RULE.match(raw) or _MD_REF_DEF.match(raw) or _MD_TABLE_RULE.match(raw):
            joinable = False
            continue
        line = _MD_QUOTE.sub("", raw)
        starts_item = bool(_MD_LIST.match(line))
        line = _md_inline(_MD_LIST.sub("", line, count=1)).strip()
        if not line:
            out.append("")
            joinable = False
        elif joinable and not starts_item:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
            joinable = True
    return title, re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


# --- .html ---------------------------------------------------------------------------


_NO_HTML_TEXT = "no article text found in the HTML - is it an article page, not an index or login page?"
_PROSE = re.compile(r"\w[.!?][\"”’')]*(?:\s|$)")
_MIN_FALLBACK_WORDS = 20


def _read_html(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    html = _read_text(path)
    doc = _extract_html(html, fast=True)
    if not _doc_text(doc):
        # trafilatura's fallback extractors also find pages' navigation ("Home |
        # About"); accept what they find only when it reads like prose.
        doc = _extract_html(html, fast=False)
        text = _doc_text(doc)
        if len(text.split()) < _MIN_FALLBACK_WORDS or not _PROSE.search(text):
            raise ReadError(_NO_HTML_TEXT)
    title = " ".join((doc.title or "").split())
    # trafilatura gives one block per line; make each block a paragraph.
    blocks = [b.strip() for b in _doc_text(doc).split("\n") if b.strip()]
    if title and blocks and " ".join(blocks[0].split()) == title:
        blocks = blocks[1:]
    if not blocks:
        raise ReadError(_NO_HTML_TEXT)
    yield RawArticle(
        text="\n\n".join(blocks),
        title=title or title_from_filename(path),
        source=doc.sitename or "",
        published_at=doc.date or "",
        url=doc.url or "",
        author=doc.author or "",
    )


def _extract_html(html: str, *, fast: bool) -> Any:
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            html,
            fast=fast,
            with_metadata=True,
            favor_precision=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
        )
    except Exception as exc:  # trafilatura/lxml errors vary; the user needs one line
        raise ReadError(f"the HTML could not be parsed ({type(exc).__name__}) - check the file is a web page") from None


def _doc_text(doc: Any) -> str:
    return (getattr(doc, "text", None) or "").strip()


# --- .json / .jsonl ------------------------------------------------------------------


def _read_json(path: Path, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    text = _read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Several objects one after another: really JSON Lines.
            yield from _records_from_lines(text, fields)
            return
        raise ReadError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg} - fix the file"
        ) from None
    if isinstance(data, dict) and not _has_text(data, fields):
        nested = next((data[k] for k in _LIST_KEYS if isinstance(data.get(k), list)), None)
        if nested is not None:
            data = nested
    if isinstance(data, dict):
        yield _record(data, fields, "")
    elif isinstance(data, list):
        if not data:
            raise ReadError("the JSON list is empty - nothing to ingest")
        yield from _unless_all_failed(_record(item, fields, f"item {n}") for n, item in enumerate(data, 1))
    else:
        raise ReadError("the JSON is not an object or a list of objects - one article per object")


def _read_jsonl(path: Path, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    yield from _records_from_lines(_read_text(path), fields)


def _records_from_lines(text: str, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    yield from _unless_all_failed(_parse_lines(text, fields))


def _parse_lines(text: str, fields: dict[str, str]) -> Iterator[RawArticle | ReadFailure]:
    # split("\n"), not splitlines(): U+2028 may sit unescaped inside a JSON string.
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        locator = f"line {n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield ReadFailure("", f"invalid JSON at column {exc.colno}: {exc.msg} - fix or remove the line", locator)
            continue
        yield _record(obj, fields, locator)


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


def _record(obj: Any, fields: dict[str, str], locator: str) -> RawArticle | ReadFailure:
    if not isinstance(obj, dict):
        return ReadFailure("", f"not a JSON object (got {type(obj).__name__}) - one article per object", locator)
    try:
        article = _article_from_mapping(obj, fields, text_required=True)
    except ReadError as exc:
        return ReadFailure("", str(exc), locator)
    article.locator = locator
    return article


def _has_text(obj: Mapping[str, Any], fields: dict[str, str]) -> bool:
    keys = (fields["text"],) if "text" in fields else DEFAULT_KEYS["text"]
    return any(_as_text(obj.get(k)) for k in keys)


def _article_from_mapping(obj: Mapping[str, Any], fields: dict[str, str], *, text_required: bool) -> RawArticle:
    """A RawArticle from a JSON object or front matter; other scalar keys go to `extra`."""
    values: dict[str, str] = {}
    used: set[str] = set()
    for ours, defaults in DEFAULT_KEYS.items():
        keys = (fields[ours],) if ours in fields else defaults
        used.update(keys)
        convert = _CONVERTERS.get(ours, _as_text)
        values[ours] = next((v for v in (convert(obj.get(k)) for k in keys) if v), "")
    if text_required and not values["text"].strip():
        if "text" in fields:
            raise ReadError(f"no article text in key '{fields['text']}' - check --fields text=KEY")
        present = [k for k in DEFAULT_KEYS["text"] if k in obj]
        if present:
            raise ReadError(f"the '{present[0]}' field is empty - no article text to ingest")
        raise ReadError(
            f"no article text (none of {', '.join(DEFAULT_KEYS['text'])}) - name the key with --fields text=KEY"
        )
    extra = {
        str(k): _scalar(v)
        for k, v in obj.items()
        if k not in used and v is not None and _scalar(v) is not None
    }
    return RawArticle(**values, extra=extra)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "\n\n".join(v.strip() for v in value if v.strip())  # a list of paragraphs
    if isinstance(value, dict):
        return _as_text(value.get("name"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def _as_names(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(n for n in (_as_text(v) for v in value) if n)
    return _as_text(value)


def _as_date(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 1e11 else value  # epoch milliseconds
        return datetime.fromtimestamp(seconds, timezone.utc).isoformat()
    if isinstance(value, (date, datetime)):  # YAML front matter dates
        return value.isoformat()
    return _as_text(value)


_CONVERTERS: dict[str, Callable[[Any], str]] = {"author": _as_names, "published_at": _as_date}


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return None


# --- .pdf ----------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+(?:of|/)\s+\d{1,4})?$", re.IGNORECASE)
_WIDE_GAP = re.compile(r"\S {4,}\S")
_FILENAME_TITLE = re.compile(r"(?i)^(?:untitled|microsoft word\b.*|.*\.(?:docx?|pdf|odt|rtf|indd|tex))$")


def _read_pdf(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    if not path.read_bytes().strip():
        raise ReadError("empty file - nothing to ingest")
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("the PDF is password-protected - save an unprotected copy and ingest that")
        pages = [_page_text(page) for page in reader.pages]
        info = reader.metadata
    except ReadError:
        raise
    except Exception as exc:  # pypdf raises many types for broken files
        raise ReadError(f"not a readable PDF ({type(exc).__name__}: {_first_line(exc)}) - re-export the PDF") from None
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise ReadError("no extractable text in the PDF (probably scanned images) - run OCR on it first")
    title = " ".join(str(getattr(info, "title", None) or "").split())
    if _FILENAME_TITLE.match(title):
        title = ""
    first, _, rest = text.partition("\n\n")
    if not title and _looks_like_title(first) and rest.strip():
        title = " ".join(first.split())
    if title and " ".join(first.split()) == title and rest.strip():
        text = rest
    yield RawArticle(
        text=text,
        title=title or title_from_filename(path),
        author=" ".join(str(getattr(info, "author", None) or "").split()),
        published_at=_pdf_date(info),
    )


def _page_text(page: Any) -> str:
    """A page's text as paragraphs, wrapped lines joined and end-of-line hyphens fixed."""
    try:
        layout = page.extract_text(extraction_mode="layout")
    except Exception:
        layout = ""
    lines = [line.strip() for line in layout.split("\n")]
    filled = [line for line in lines if line]
    # Layout mode keeps blank lines between paragraphs but puts columns side by side;
    # with wide gaps inside lines (columns), fall back to plain reading order.
    if not filled or sum(bool(_WIDE_GAP.search(line)) for line in filled) > 0.2 * len(filled):
        lines = [line.strip() for line in (page.extract_text() or "").split("\n")]
        return _join_wrapped(lines, by_length=True)
    return _join_wrapped(lines, by_length=False)


def _join_wrapped(lines: list[str], *, by_length: bool) -> str:
    """Join lines into paragraphs: blank lines separate paragraphs; with `by_length`
    (no blank lines to go by) a short line ending a sentence also ends a paragraph."""
    longest = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for line in lines:
        if _PAGE_NUMBER.match(line):
            continue
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if not current:
            current = line
        elif re.search(r"[A-Za-z]-$", current):
            # "inter-" + "national" -> "international"; "US-" + "Pakistan" keeps its hyphen
            current = (current[:-1] if line[0].islower() else current) + line
        else:
            current = f"{current} {line}"
        if by_length and len(line) < 0.75 * longest and line.rstrip("\"”’')").endswith((".", "!", "?")):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n\n".join(paragraphs)


def _pdf_date(info: Any) -> str:
    try:
        created = getattr(info, "creation_date", None)
    except Exception:  # a malformed /CreationDate string
        return ""
    return created.isoformat() if created else ""


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else "no details"


_READERS: dict[str, Callable[[Path, dict[str, str]], Iterator[RawArticle | ReadFailure]]] = {
    ".txt": _read_txt,
    ".md": _read_md,
    ".markdown": _read_md,
    ".html": _read_html,
    ".htm": _read_html,
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".pdf": _read_pdf,
}
