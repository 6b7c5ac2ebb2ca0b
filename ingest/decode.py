"""Decoding file bytes into text, for the readers of text formats.

UTF-8 and BOM-marked UTF-16 are read as such; other bytes go to charset-normalizer,
leaning to cp1252. Binary and undecodable data raise ReadError with a one-line reason.
"""

from __future__ import annotations

from pathlib import Path

from ingest.article import ReadError
from ingest.file_access import read_bytes
from ingest.limits import check_time, max_file_bytes

_BINARY_SAMPLE = 8192
_BINARY_CONTROL_SHARE = 0.1


def file_text(path: Path) -> str:
    """The file's text, decoded; raises ReadError for empty, binary, undecodable or
    oversized files and for anything but a regular file."""
    data = read_bytes(path, max_file_bytes(path))
    if not data.strip():
        raise ReadError("empty file - nothing to ingest")
    text = decode_bytes(data)
    check_time()
    return text


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
