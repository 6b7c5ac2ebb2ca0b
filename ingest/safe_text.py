"""Text that is safe to show: no terminal escapes, no control characters, one line.

File names and metadata come from whoever made the files; a newline in a name would split
a report line, an ANSI escape would recolour or rewrite the terminal, and a bidi override
would show a name reversed. Names are escaped (visible, "\\n", "\\x1b"); metadata fields
lose such characters.
"""

from __future__ import annotations

import re

# Terminal escape sequences: CSI ("\x1b[31m"), OSC ("\x1b]0;title\x07") and two-character ones.
ANSI_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# C0 and C1 controls, DEL, line/paragraph separators, bidi controls, lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MAX_REASON_CHARS = 600


def _escape_char(match: re.Match) -> str:
    c = match.group()
    code = ord(c)
    if c in _NAMED:
        return _NAMED[c]
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_unsafe(text: str) -> str:
    """`text` with every control, bidi and surrogate character written as an escape ("\\n", "\\x1b")."""
    return _UNSAFE.sub(_escape_char, text)


def one_line(reason: str) -> str:
    """A report reason as one safe line of bounded length."""
    reason = escape_unsafe(reason)
    return reason if len(reason) <= _MAX_REASON_CHARS else reason[: _MAX_REASON_CHARS - 3] + "..."


def strip_unsafe(text: str) -> str:
    """`text` without terminal escapes and control characters, whitespace runs made one space."""
    if "\x1b" in text:
        text = ANSI_ESCAPE.sub("", text)
    return " ".join(_UNSAFE.sub(" ", text).split())


def clip(text: str, max_chars: int) -> str:
    """`text` cut to at most `max_chars` characters at a word boundary, marked with "..."."""
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 3]
    if " " in cut[max_chars // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "..."
