"""Fusing dense and BM25 candidates into one ranking, and what a question names.

Pure functions over small arrays (one value per candidate chunk), so the experiment
script can compare variants and tests can pin behaviour without an index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable, Literal, Sequence

import numpy as np

from index.text import MONTHS, month_last_day, utc_day_start


@dataclass(frozen=True)
class FusionConfig:
    """How the two sides are combined; the defaults are what measured best (eval/retrieval_experiment.py).

    method: 'convex' (weighted sum of each side's scores divided by its best candidate's),
    'rrf' (weighted reciprocal rank fusion), or 'dense' / 'bm25' (one side only).
    candidates: chunks taken from each side before fusing; every candidate gets both
    sides' scores, whichever side found it.
    bm25_weight: the BM25 side's share (the dense side gets 1 - bm25_weight).
    source_boost / date_boost: multiply the score of chunks whose publisher / date the
    question names by (1 + boost).
    clause_weight: for a question of several clauses ("..., while X says ..."), the weight
    of covering each clause's best match when picking the results one by one (0 = off).
    per_article: most chunks of one article in the results (0 = no limit); an article's
    extra chunks move after the other articles' chunks, they are not dropped.
    """

    method: Literal["convex", "rrf", "dense", "bm25"] = "convex"
    candidates: int = 50
    bm25_weight: float = 0.4
    rrf_k: int = 60
    source_boost: float = 0.5
    date_boost: float = 0.5
    clause_weight: float = 0.5
    per_article: int = 0


def scaled(scores: np.ndarray) -> np.ndarray:
    """Scores divided by the best one (negatives count as 0), so the best candidate scores 1."""
    scores = np.maximum(np.asarray(scores, dtype=np.float64), 0.0)
    best = scores.max(initial=0.0)
    return scores / best if best > 0 else scores


def rank_scores(scores: np.ndarray, k: int, present: np.ndarray) -> np.ndarray:
    """1 / (k + rank) by descending score, 0 where the side did not return the candidate."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    return np.where(present, 1.0 / (k + ranks), 0.0)


def fuse(
    dense: np.ndarray,
    bm25: np.ndarray,
    config: FusionConfig,
    *,
    dense_found: np.ndarray | None = None,
    bm25_found: np.ndarray | None = None,
) -> np.ndarray:
    """Fused score per candidate from both sides' scores of the same candidates.

    `*_found` mark which candidates each side returned itself (RRF only ranks those).
    """
    if config.method == "dense":
        return np.asarray(dense, dtype=np.float64)
    if config.method == "bm25":
        return np.asarray(bm25, dtype=np.float64)
    w = config.bm25_weight
    if config.method == "rrf":
        everywhere = np.ones(len(dense), dtype=bool)
        d = rank_scores(dense, config.rrf_k, everywhere if dense_found is None else dense_found)
        b = rank_scores(bm25, config.rrf_k, everywhere if bm25_found is None else bm25_found)
    else:
        d, b = scaled(dense), scaled(bm25)
    return (1 - w) * d + w * b


def cover(scores: np.ndarray, aspects: np.ndarray, weight: float, k: int) -> list[int]:
    """Pick `k` candidates one by one, each maximising its own score plus how much it adds
    to the best coverage so far of every aspect (a row of `aspects`, one value per candidate).

    A submodular greedy: once one chunk answers a clause well, another chunk answering the
    same clause gains little, so the chunks for the other clauses move up. Returns all
    candidates' positions: the `k` picked first, then the rest by score.
    """
    order = list(np.argsort(-scores, kind="stable"))
    if weight <= 0 or len(aspects) < 2 or not len(scores):
        return order
    covered = np.zeros(len(aspects))
    free = np.ones(len(scores), dtype=bool)
    picked: list[int] = []
    for _ in range(min(k, len(scores))):
        gain = scores + weight * np.maximum(aspects - covered[:, None], 0.0).sum(axis=0)
        gain[~free] = -np.inf
        best = int(np.argmax(gain))
        picked.append(best)
        free[best] = False
        covered = np.maximum(covered, aspects[:, best])
    return picked + [i for i in order if free[i]]


def spread(order: Sequence[int], groups: Sequence[str], per_group: int) -> list[int]:
    """`order` with at most `per_group` items of one group first; the others keep their order after."""
    if per_group <= 0:
        return list(order)
    seen: dict[str, int] = {}
    first, rest = [], []
    for i in order:
        seen[groups[i]] = seen.get(groups[i], 0) + 1
        (first if seen[groups[i]] <= per_group else rest).append(i)
    return first + rest


# -- what a question names ----------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"\s*(?:[,;:?]|\b(?:while|whereas|and|but|or|as well as)\b)\s*", re.IGNORECASE)


def clauses(question: str, count_terms: Callable[[str], int], min_terms: int = 3) -> list[str]:
    """The question cut at commas and conjunctions; a piece with fewer than `min_terms`
    index terms joins its neighbour, so "'The Age'" stays with the clause it qualifies."""
    out: list[str] = []
    for piece in _CLAUSE_BREAK.split(question):
        if not piece or not piece.strip():
            continue
        if out and (count_terms(piece) < min_terms or count_terms(out[-1]) < min_terms):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{1,2})-(?P<day>\d{1,2})\b"),
    re.compile(rf"(?i)\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"(?i)\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\s*,?\s+(?P<year>\d{{4}})\b"),
    re.compile(rf"(?i)\b{_MONTH}\s+(?:of\s+)?(?P<year>\d{{4}})\b"),
]
_SPLIT_SOURCE = re.compile(r"\s+[-|:\u2013\u2014]\s+")


def named_dates(question: str) -> list[tuple[int, int]]:
    """Inclusive published_ts ranges of the days or months a question names."""
    ranges: list[tuple[int, int]] = []
    taken: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(question):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue  # "Oct 2023" inside "5th Oct 2023" is not a second, month-wide date
            taken.append(m.span())
            parts = m.groupdict()
            month = int(parts["mnum"]) if parts.get("mnum") else MONTHS[parts["month"].lower()]
            year = int(parts["year"])
            try:
                if parts.get("day"):
                    start = utc_day_start(date(year, month, int(parts["day"])))
                    ranges.append((start, start))
                else:
                    last = month_last_day(year, month)
                    ranges.append((utc_day_start(date(year, month, 1)), utc_day_start(date(year, month, last))))
            except ValueError:
                continue  # "February 30": not a date
    return ranges


def _alias_pattern(alias: str) -> re.Pattern[str] | None:
    """Each word's first letter as written in the source name, the rest in any case:
    'TechCrunch' matches 'Techcrunch', 'The Age' needs a capital A (not 'the age of')."""
    words = alias.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    if not words or len(" ".join(words)) < 3:
        return None
    body = r"\s+".join(re.escape(w[0]) + (f"(?i:{re.escape(w[1:])})" if len(w) > 1 else "") for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)")


@dataclass
class SourceMatcher:
    """Finds the publishers of the index that a question names."""

    sources: list[str]
    _patterns: list[tuple[int, re.Pattern[str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for code, name in enumerate(self.sources):
            aliases = {name, _SPLIT_SOURCE.split(name)[0]}
            if "." in name and " " not in name:  # a host name such as usatoday.com
                aliases.add(name.split(".")[0])
            for alias in aliases:
                pattern = _alias_pattern(alias)
                if pattern is not None:
                    self._patterns.append((code, pattern))

    def codes(self, question: str) -> set[int]:
        """Codes (positions in `sources`) of the publishers named in `question`."""
        return {code for code, pattern in self._patterns if pattern.search(question)}


def boost_factors(
    question: str,
    source_codes: np.ndarray,
    published_ts: np.ndarray,
    matcher: SourceMatcher,
    config: FusionConfig,
) -> np.ndarray | None:
    """1 + boosts per candidate for the publishers and dates the question names; None when none."""
    factor = np.ones(len(source_codes))
    touched = False
    if config.source_boost > 0:
        codes = matcher.codes(question)
        if codes:
            factor += config.source_boost * np.isin(source_codes, list(codes))
            touched = True
    if config.date_boost > 0:
        days = named_dates(question)
        if days:
            hit = np.zeros(len(published_ts), dtype=bool)
            for low, high in days:
                hit |= (published_ts >= low) & (published_ts <= high)
            factor += config.date_boost * hit
            touched = True
    return factor if touched else None
