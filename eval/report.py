"""Writing a run folder: summary.json, report.md and the plots (questions.jsonl is written as it runs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval import plots
from eval.reporting import fmt, markdown_table

RETRIEVAL_COLUMNS = {
    "multihop": ["hits@4", "hits@10", "mrr@10", "evidence_recall@4", "evidence_recall@10",
                 "all_evidence@4", "all_evidence@10"],
    "realtimeqa": ["answer_recall@4", "answer_recall@10"],
}
ANSWER_KEYS = ["accuracy", "accuracy_all", "always_yes", "accuracy_mc", "citation_precision", "citation_recall",
               "supported_share", "null_declined", "false_decline"]
PLOTS = {"metrics_by_type.png": "metrics by question type", "latency.png": "latency histogram",
         "hits_at_k.png": "hits@k curve"}


def retrieval_table(summary: dict[str, Any]) -> str:
    """One row per pipeline (ours first, then the baselines) with the set's retrieval metrics and p50/p95 ms."""
    cols = RETRIEVAL_COLUMNS[summary["meta"]["kind"]]
    pipelines = {"ours": summary, **summary["baselines"]}
    rows = []
    for name, metrics in pipelines.items():
        lat = metrics["latency_ms"]["retrieve_top10" if name == "ours" else "retrieve"]
        rows.append([name] + [metrics.get(c) for c in cols] + [lat.get("p50"), lat.get("p95")])
    return markdown_table(["pipeline"] + cols + ["p50 ms", "p95 ms"], rows)


def answer_table(summary: dict[str, Any]) -> str:
    """The answer metrics of ours, one per row."""
    rows = [[k, summary.get(k)] for k in ANSWER_KEYS if k in summary]
    lat = summary["latency_ms"]
    for part in ("retrieve", "first_token", "total"):
        if part in lat:
            rows.append([f"{part} ms p50 / p95", f"{fmt(lat[part]['p50'])} / {fmt(lat[part]['p95'])}"])
    return markdown_table(["metric", "value"], rows)


def type_table(summary: dict[str, Any]) -> str:
    """Per question type: count, retrieval and (when answered) accuracy beside 'always Yes'."""
    types = summary["by_type"]
    keys = [k for k in ("hits@10", "evidence_recall@4", "all_evidence@10", "answer_recall@10",
                        "accuracy", "always_yes", "declined") if any(k in v for v in types.values())]
    return markdown_table(["question type", "n"] + keys,
                          [[t, v["questions"]] + [v.get(k) for k in keys] for t, v in types.items()])


def render_markdown(summary: dict[str, Any]) -> str:
    """report.md's text."""
    meta = summary["meta"]
    lines = [
        f"# newsdesk eval: {meta['dataset']}",
        "",
        f"`{meta['command']}`" if meta.get("command") else "",
        "",
        f"- questions: {meta['questions']} of {meta['questions_in_set']}"
        + (f" (seeded sample, --limit {meta['limit']})" if meta.get("limit") else "")
        + (" - interrupted, these are the finished ones" if meta.get("interrupted") else "")
        + (f"\n- articles cut to the first {meta['articles_cut']} of the set (--articles); questions kept: "
           "null ones and those with a gold article inside the cut" if meta.get("articles_cut") else ""),
        f"- index: {meta['articles']} articles, {meta['chunks']} chunks, embedder {meta['embedder']}"
        f" ({meta['ingest']['embedded']} embedded this run, {meta['ingest']['unchanged']} unchanged)",
        f"- LLM: {meta['llm'] or 'none (--retrieval-only)'}",
        f"- machine: {meta['machine']}",
        f"- run: {meta['started']} .. {meta['finished']}",
        "",
        "## Retrieval (top 10, null questions excluded)",
        "",
        retrieval_table(summary),
        "",
        "ours = dense + BM25 fused (the shipped configuration); naive = LlamaIndex "
        "`VectorStoreIndex.from_documents`, `SentenceSplitter(chunk_size=256, chunk_overlap=20)`, dense top-k, "
        "same MiniLM; dense / bm25 = one side of our index alone, no boosts. Latency: the search call with the "
        "question's vector computed beforehand (one batch for all pipelines); embedding one question alone takes "
        f"p50 {fmt(meta['query_embedding_ms']['p50'])} ms, p95 {fmt(meta['query_embedding_ms']['p95'])} ms.",
    ]
    if "accuracy" in summary:
        lines += ["", "## Answers (ours)", "", answer_table(summary), "",
                  "accuracy: over answerable questions; accuracy_all counts a declined null question as right; "
                  "always_yes: the score of answering 'Yes' to everything."]
    lines += ["", "## By question type", "", type_table(summary), ""]
    lines += [f"![{title}]({name})" for name, title in PLOTS.items()]
    return "\n".join(lines) + "\n"


def write_report(out: Path, summary: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """summary.json, report.md and the three PNG plots into `out`."""
    out = Path(out)
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "report.md").write_text(render_markdown(summary), encoding="utf-8")
    plots.metrics_by_type(summary, out / "metrics_by_type.png")
    plots.latency_histogram(rows, out / "latency.png")
    plots.hits_curve(summary, out / "hits_at_k.png")
