"""The run's PNG plots: metrics by question type, latency histogram, hits@k curve."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def metrics_by_type(summary: dict[str, Any], path: Path) -> None:
    """Bars per question type: answer accuracy beside 'always Yes', or retrieval when no answers."""
    plt = _pyplot()
    types = summary["by_type"]
    names = list(types)
    answered = any("accuracy" in v for v in types.values())
    if answered:
        series = {"accuracy": "ours: accuracy", "always_yes": "always 'Yes'", "declined": "declined"}
    else:
        series = {k: f"ours: {k}" for k in ("hits@10", "evidence_recall@4", "all_evidence@10", "answer_recall@10")}
    series = {k: v for k, v in series.items() if any(t.get(k) is not None for t in types.values())}
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(names) + 2), 4))
    width = 0.8 / max(1, len(series))
    for j, (key, label) in enumerate(series.items()):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(names))]
        ax.bar(xs, [types[n].get(key) or 0 for n in names], width, label=label)
    ax.set_xticks(range(len(names)), [f"{n}\n(n={types[n]['questions']})" for n in names], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{summary['meta']['dataset']}: metrics by question type")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_histogram(rows: list[dict[str, Any]], path: Path) -> None:
    """Histogram of answer total time (seconds), or of retrieval time per pipeline when retrieval-only."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    totals = [r["timings"]["total_ms"] / 1000 for r in rows if "timings" in r]
    if totals:
        ax.hist(totals, bins=20, color="tab:blue", alpha=0.8, label="total")
        firsts = [r["timings"]["first_token_ms"] / 1000 for r in rows if r.get("timings", {}).get("first_token_ms")]
        if firsts:
            ax.hist(firsts, bins=20, color="tab:orange", alpha=0.6, label="first token")
        ax.set_xlabel("seconds per answer")
    else:
        pipelines = list(rows[0]["retrieval"]) if rows else []
        for name in pipelines:
            ax.hist([r["retrieval"][name]["ms"] for r in rows], bins=20, alpha=0.5, label=name)
        ax.set_xlabel("retrieval ms per question (top 10)")
    ax.set_ylabel("questions")
    ax.set_title("latency")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def hits_curve(summary: dict[str, Any], path: Path) -> None:
    """hits@k (answer_recall@k for RealTimeQA) against k = 1..10, one line per pipeline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    for name, curve in summary["curves"].items():
        ax.plot(range(1, len(curve) + 1), [c or 0 for c in curve], marker="o", label=name)
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("answer_recall@k" if summary["meta"]["kind"] == "realtimeqa" else "hits@k")
    ax.set_ylim(0, 1.02)
    ax.set_xticks(range(1, 11))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    ax.set_title(f"{summary['meta']['dataset']}: retrieval by depth")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
