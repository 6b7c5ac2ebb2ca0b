"""Titles for articles whose file gives none: from a headline-like first line or the file name."""

from __future__ import annotations

import re
from pathlib import Path

_TITLE_MAX_CHARS = 150


def looks_like_title(line: str) -> bool:
    """Whether a first line reads as a headline: short, capitalised, no closing full stop."""
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
