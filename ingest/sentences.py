"""Sentence spans with character offsets into the clean article text."""

from __future__ import annotations

import re
from functools import cache

_PARAGRAPH = re.compile(r"[^\n]+(?:\n(?!\n)[^\n]+)*")


@cache
def _punkt():
    # llama-index-core ships NLTK's punkt_tab tables; use them so nothing is downloaded.
    # find_spec locates the package without importing it (importing llama_index.core
    # costs seconds that every `newsdesk ingest` would pay).
    from importlib.util import find_spec
    from pathlib import Path

    import nltk
    from nltk.tokenize import PunktTokenizer

    spec = find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed - run `make install`")
    cache_dir = str(Path(list(spec.submodule_search_locations)[0]) / "_static" / "nltk_cache")
    if cache_dir not in nltk.data.path:
        nltk.data.path.append(cache_dir)
    return PunktTokenizer("english")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """`[start, end)` spans of the sentences of `text`, never crossing a paragraph break.

    Each span is trimmed of surrounding whitespace, so `text[start:end]` is the sentence.
    """
    tokenizer = _punkt()
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        base = para.start()
        for start, end in tokenizer.span_tokenize(para.group()):
            piece = para.group()[start:end]
            lead = len(piece) - len(piece.lstrip())
            trail = len(piece) - len(piece.rstrip())
            if end - trail > start + lead:
                spans.append((base + start + lead, base + end - trail))
    return spans


def paragraph_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The `[start, end)` span of the paragraph holding the text span `[start, end)`."""
    left = text.rfind("\n\n", 0, start)
    right = text.find("\n\n", end)
    return (0 if left < 0 else left + 2, len(text) if right < 0 else right)
