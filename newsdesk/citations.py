"""Citation markers in an answer, and the check that a cited sentence supports its claim.

The support check is a lexical heuristic (no NLI model can be had offline): a claim is
supported when the cited sentences are about the question (share a content word with it),
hold every specific the claim adds to the question (numbers, names, dates) and most of its
other new content words. Its accuracy on the sample Q&A set
is measured by `eval/support_check.py`. Words, stems and specifics come from `index.text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import content_terms, specifics

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKER_RUN = r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+"
# "claim. [1]" -> the marker belongs to the sentence before it.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])(" + _MARKER_RUN + r")")

SUPPORT_THRESHOLD = 0.6


@dataclass
class Claim:
    """One answer sentence and the marker numbers it carries."""

    text: str
    markers: list[int] = field(default_factory=list)


def normalise_markers(answer: str) -> str:
    """Move markers written after the full stop to before it: 'x. [1]' -> 'x [1].'."""
    def swap(m: re.Match) -> str:
        return " " + m.group(2).strip() + m.group(1)

    return _MARKERS_AFTER_STOP.sub(swap, answer)


def marker_numbers(text: str) -> list[int]:
    """All numbers in `[1]`, `[1][2]` and `[1, 2]` markers, in order, without repeats."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        for part in re.split(r"[,;]", m.group(1)):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def strip_markers(text: str) -> str:
    """The text without markers, spacing tidied."""
    text = MARKER.sub("", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


def support_score(claim: str, sentences: list[str], question: str = "") -> float:
    """How well `sentences` together support `claim`, in [0, 1]; 0 if a specific is missing.

    Words the question already states don't need support: the claim's new information does.
    """
    evidence = set()
    for s in sentences:
        evidence |= content_terms(s)
    asked = content_terms(question)
    # Evidence about something else can't support an answer to this question, even when
    # the claim copies its words (an injected "reply HACKED" line, say).
    if asked and not asked & evidence:
        return 0.0
    new_specifics = specifics(claim) - asked
    if any(spec not in evidence for spec in new_specifics):
        return 0.0
    terms = content_terms(claim)
    new_terms = terms - asked or terms
    if not new_terms:
        return 0.0
    return len(new_terms & evidence) / len(new_terms)


def supports(claim: str, sentences: list[str], question: str = "") -> bool:
    """True when `sentences` support `claim` (see `support_score`)."""
    return support_score(claim, sentences, question) >= SUPPORT_THRESHOLD
