"""Retrieval metrics over ranked passage texts: pure functions, no index needed.

MultiHop-RAG's published metrics: a passage *hits* a gold evidence fact when it contains
the fact after all whitespace is removed from both; Hits@k counts a question when any
gold fact is in the top k; MRR@k is 1/rank of the first hit. Questions without gold
facts (null queries) are left out of every average. Added here: evidence_recall@k (the
share of a question's facts found in the top k) and all_evidence@k (every fact found).
For RealTimeQA, answer_recall@k: some top-k passage contains the answer text.
"""

from __future__ import annotations

from statistics import mean
from typing import Iterable, Sequence


def squash(text: str) -> str:
    """`text` with every whitespace character removed (MultiHop-RAG's matching rule)."""
    return "".join(text.split())


def fact_ranks(passages: Sequence[str], facts: Sequence[str]) -> list[int | None]:
    """For each fact, the 1-based rank of the first passage containing it, or None."""
    squashed = [squash(p) for p in passages]
    ranks: list[int | None] = []
    for fact in facts:
        needle = squash(fact)
        ranks.append(next((i + 1 for i, p in enumerate(squashed) if needle and needle in p), None))
    return ranks


def _first_hit(passages: Sequence[str], facts: Sequence[str], k: int) -> int | None:
    found = [r for r in fact_ranks(passages[:k], facts) if r is not None]
    return min(found) if found else None


def hits_at_k(passages: Sequence[str], facts: Sequence[str], k: int) -> float:
    """1.0 when any gold fact is in the top `k` passages, else 0.0."""
    return 1.0 if _first_hit(passages, facts, k) is not None else 0.0


def mrr_at_k(passages: Sequence[str], facts: Sequence[str], k: int) -> float:
    """1/rank of the first top-`k` passage containing any gold fact, 0.0 when none does."""
    rank = _first_hit(passages, facts, k)
    return 1.0 / rank if rank is not None else 0.0


def evidence_recall_at_k(passages: Sequence[str], facts: Sequence[str], k: int) -> float:
    """Share of the gold facts contained in some top-`k` passage."""
    if not facts:
        raise ValueError("evidence recall needs at least one gold fact")
    ranks = fact_ranks(passages[:k], facts)
    return sum(r is not None for r in ranks) / len(ranks)


def all_evidence_at_k(passages: Sequence[str], facts: Sequence[str], k: int) -> float:
    """1.0 when every gold fact is in some top-`k` passage, else 0.0."""
    return 1.0 if evidence_recall_at_k(passages, facts, k) == 1.0 else 0.0


def answer_recall_at_k(passages: Sequence[str], answer: str, k: int) -> float:
    """1.0 when a top-`k` passage contains `answer` (case-insensitive, whitespace runs as one space)."""
    needle = " ".join(answer.split()).casefold()
    if not needle:
        raise ValueError("answer recall needs a non-empty answer")
    return 1.0 if any(needle in " ".join(p.split()).casefold() for p in passages[:k]) else 0.0


def evidence_report(
    runs: Iterable[tuple[Sequence[str], Sequence[str]]], ks: Sequence[int] = (4, 10)
) -> dict[str, float]:
    """Mean MultiHop-RAG metrics over (ranked passages, gold facts) pairs; fact-less pairs are skipped.

    Keys: hits@k, mrr@k, evidence_recall@k, all_evidence@k for each k, and `questions`.
    """
    scored = [(list(p), list(f)) for p, f in runs if f]
    report: dict[str, float] = {"questions": float(len(scored))}
    if not scored:
        return report
    for k in ks:
        report[f"hits@{k}"] = mean(hits_at_k(p, f, k) for p, f in scored)
        report[f"mrr@{k}"] = mean(mrr_at_k(p, f, k) for p, f in scored)
        report[f"evidence_recall@{k}"] = mean(evidence_recall_at_k(p, f, k) for p, f in scored)
        report[f"all_evidence@{k}"] = mean(all_evidence_at_k(p, f, k) for p, f in scored)
    return report


def answer_report(
    runs: Iterable[tuple[Sequence[str], str]], ks: Sequence[int] = (4, 10)
) -> dict[str, float]:
    """Mean answer_recall@k over (ranked passages, gold answer) pairs; empty answers are skipped."""
    scored = [(list(p), a) for p, a in runs if a.strip()]
    report: dict[str, float] = {"questions": float(len(scored))}
    if scored:
        for k in ks:
            report[f"answer_recall@{k}"] = mean(answer_recall_at_k(p, a, k) for p, a in scored)
    return report
