"""From per-question rows to the run's metrics: summary.json's content.

Top level: the pipeline that ran (ours) under plain metric names; `baselines`: the
other retrieval pipelines by name; `by_type`: per question type; `meta`: what ran where.
Retrieval metrics leave out questions without gold evidence (null queries), as
MultiHop-RAG publishes them; `accuracy` is over answerable questions (null questions
are scored by `null_declined`), and `accuracy_all` counts a declined null as right.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean
from typing import Any, Iterable

from eval.answer_metrics import gold_verdict
from eval.reporting import machine, p50_p95

KS = (4, 10)
CURVE_KS = tuple(range(1, 11))


def _avg(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(mean(values), 4) if values else None


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def retrieval_metrics(rows: list[dict[str, Any]], pipeline: str, kind: str) -> dict[str, Any]:
    """Retrieval metrics of one pipeline over `rows` (hits/mrr/evidence for fact sets, answer recall for RealTimeQA)."""
    out: dict[str, Any] = {}
    got = [r["retrieval"][pipeline] for r in rows if pipeline in r["retrieval"]]
    if kind == "realtimeqa":
        ranks = [g["answer_rank"] for g in got]
        for k in KS:
            out[f"answer_recall@{k}"] = _avg(1.0 if r is not None and r <= k else 0.0 for r in ranks)
        out["retrieval_questions"] = len(ranks)
    else:
        scored = [g["fact_ranks"] for g in got if g.get("fact_ranks")]
        first = [min([r for r in ranks if r is not None], default=None) for ranks in scored]
        for k in KS:
            out[f"hits@{k}"] = _avg(1.0 if f is not None and f <= k else 0.0 for f in first)
        out["mrr@10"] = _avg(1.0 / f if f is not None and f <= 10 else 0.0 for f in first)
        for k in KS:
            out[f"evidence_recall@{k}"] = _avg(
                sum(r is not None and r <= k for r in ranks) / len(ranks) for ranks in scored)
            out[f"all_evidence@{k}"] = _avg(
                1.0 if all(r is not None and r <= k for r in ranks) else 0.0 for ranks in scored)
        out["retrieval_questions"] = len(scored)
    out["latency_ms"] = {"retrieve": p50_p95([g["ms"] for g in got])}
    return out


def recall_curve(rows: list[dict[str, Any]], pipeline: str, kind: str) -> list[float | None]:
    """hits@k (answer_recall@k for RealTimeQA) for k = 1..10: the hits@k curve."""
    got = [r["retrieval"][pipeline] for r in rows if pipeline in r["retrieval"]]
    if kind == "realtimeqa":
        first = [g["answer_rank"] for g in got]
    else:
        first = [min([x for x in g["fact_ranks"] if x is not None], default=None) for g in got if g.get("fact_ranks")]
    return [_avg(1.0 if f is not None and f <= k else 0.0 for f in first) for k in CURVE_KS]


def answer_metrics(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    """Accuracy, citations, support, abstention and latency of the answers in `rows`."""
    answered = [r for r in rows if "metrics" in r]
    if not answered:
        return {}
    answerable = [r for r in answered if not r["gold"]["null"]]
    nulls = [r for r in answered if r["gold"]["null"]]
    m = lambda r: r["metrics"]  # noqa: E731
    out: dict[str, Any] = {
        "accuracy": _avg(float(m(r)["correct"]) for r in answerable),
        "accuracy_all": _avg(float(m(r)["correct"]) for r in answered),
        "answered_questions": len(answered),
    }
    mc = [r for r in answered if "correct_mc" in m(r)]
    out["accuracy_mc"] = _avg(float(m(r)["correct_mc"]) for r in mc) if mc else None
    with_facts = [r for r in answerable if "facts" in m(r)]
    if with_facts:
        out["citation_precision"] = _ratio(sum(m(r)["citations_right"] for r in with_facts),
                                           sum(m(r)["citations"] for r in with_facts))
        out["citation_recall"] = _ratio(sum(m(r)["facts_cited"] for r in with_facts),
                                        sum(m(r)["facts"] for r in with_facts))
    else:
        out["citation_precision"] = out["citation_recall"] = None
    out["supported_share"] = _ratio(sum(m(r)["supported_sentences"] for r in answered),
                                    sum(m(r)["answer_sentences"] for r in answered))
    out["null_declined"] = _avg(float(m(r)["declined"]) for r in nulls) if nulls else None
    out["false_decline"] = _avg(float(m(r)["declined"]) for r in answerable)
    if kind != "realtimeqa":
        out["always_yes"] = _avg(1.0 if gold_verdict(r["gold"]["answer"]) == "yes" else 0.0 for r in answerable)
    timings = [r["timings"] for r in answered]
    out["latency_ms"] = {
        "retrieve": p50_p95([t.get("retrieve_ms") for t in timings]),
        "first_token": p50_p95([t.get("first_token_ms") for t in timings if t.get("first_token_ms") is not None]),
        "total": p50_p95([t.get("total_ms") for t in timings]),
    }
    return out


def by_type(rows: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """Per question type: count, ours' hits@10 / answer recall, and answer accuracy beside 'always Yes'."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["question_type"] or "untyped"].append(r)
    out = {}
    for qtype, group in sorted(groups.items()):
        entry: dict[str, Any] = {"questions": len(group)}
        ret = retrieval_metrics(group, "ours", kind)
        for key in ("hits@10", "evidence_recall@4", "all_evidence@10", "answer_recall@10"):
            if ret.get(key) is not None:
                entry[key] = ret[key]
        answered = [r for r in group if "metrics" in r]
        if answered:
            entry["accuracy"] = _avg(float(r["metrics"]["correct"]) for r in answered)
            if kind != "realtimeqa":
                # Null questions: 'always Yes' never declines, so it scores 0 there.
                entry["always_yes"] = _avg(
                    1.0 if not r["gold"]["null"] and gold_verdict(r["gold"]["answer"]) == "yes" else 0.0
                    for r in answered)
            entry["declined"] = _avg(float(r["metrics"]["declined"]) for r in answered)
        out[qtype] = entry
    return out


def summarize(rows: list[dict[str, Any]], kind: str, pipelines: list[str], meta: dict[str, Any]) -> dict[str, Any]:
    """summary.json: ours' metrics at the top level, baselines by name, per type, curves and meta."""
    ours = retrieval_metrics(rows, "ours", kind)
    answers = answer_metrics(rows, kind)
    top10 = ours.pop("latency_ms")["retrieve"]
    # With answers, `retrieve` is the engine's own retrieval (what a user waits for);
    # `retrieve_top10` is the retrieval call the side-by-side table times for every pipeline.
    latency = {"retrieve": top10, **answers.pop("latency_ms", {}), "retrieve_top10": top10}
    summary: dict[str, Any] = {"pipeline": "ours", **ours, **answers, "latency_ms": latency}
    summary["baselines"] = {name: retrieval_metrics(rows, name, kind) for name in pipelines if name != "ours"}
    summary["by_type"] = by_type(rows, kind)
    summary["curves"] = {name: recall_curve(rows, name, kind) for name in pipelines}
    summary["meta"] = {**meta, "machine": machine()}
    return summary
