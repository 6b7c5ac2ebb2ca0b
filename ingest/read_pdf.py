"""Reader for PDF files (.pdf): text by pypdf, rejoined into paragraphs, and the document info."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.article import RawArticle, ReadError
from ingest.file_access import read_bytes
from ingest.limits import check_time, max_file_bytes
from ingest.titles import looks_like_title, title_from_filename

_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+(?:of|/)\s+\d{1,4})?$", re.IGNORECASE)
_WIDE_GAP = re.compile(r"\S {4,}\S")
_FILENAME_TITLE = re.compile(r"(?i)^(?:untitled|microsoft word\b.*|.*\.(?:docx?|pdf|odt|rtf|indd|tex))$")


def read_pdf(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    """The article in a PDF: its text as paragraphs, title, author, creation date, and the
    publisher from a /Publisher (or /Company, as office suites write) document-info entry."""
    data = read_bytes(path, max_file_bytes(path))
    if not data.strip():
        raise ReadError("empty file - nothing to ingest")
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ReadError("the PDF is password-protected - save an unprotected copy and ingest that")
        pages = []
        for page in reader.pages:
            check_time()  # between pages: a crafted page can make pypdf very slow
            pages.append(_page_text(page))
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
    if not title and looks_like_title(first) and rest.strip():
        title = " ".join(first.split())
    if title and " ".join(first.split()) == title and rest.strip():
        text = rest
    yield RawArticle(
        text=text,
        title=title or title_from_filename(path),
        author=" ".join(str(getattr(info, "author", None) or "").split()),
        published_at=_pdf_date(info),
        source=_info_text(info, "/Publisher") or _info_text(info, "/Company"),
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


def _info_text(info: Any, key: str) -> str:
    try:
        value = info.get(key) if info is not None else None
    except Exception:  # a malformed info dictionary: no publisher
        return ""
    return " ".join(str(value or "").split()) if isinstance(value, str) else ""


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else "no details"
