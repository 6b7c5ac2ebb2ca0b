"""Benchmarks in one report: ingest (ours vs the raw embedder vs the naive pipeline), an
unchanged rerun, retrieval latency by index size, answer latency, peak memory.

    python -m eval.bench [--articles 100] [--retrieval-index DIR ...] [--answers-run RUN ...]

Ingest runs `newsdesk ingest` as a user would (a subprocess, fresh index) on the first
--articles RealTimeQA articles, reruns it unchanged, embeds exactly the same chunk texts
with the embedder alone, and builds the naive LlamaIndex pipeline over the same articles.
Retrieval latency: the shipped hybrid search (question embedding included) for RealTimeQA
questions over the index just built and each --retrieval-index. Answer latency comes from
`newsdesk eval` run folders (--answers-run).
Writes eval/reports/bench.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from eval.bench_ingest import embed_same_chunks, ingest_subprocess
from eval.naive_pipeline import build
from eval.reporting import key_value_table, machine, markdown_table, p50_p95
from eval.sets import REPO, resolve_set, sample_items
from index.hits import SearchFilters
from index.retrieve import HybridRetriever
from newsdesk.components import embedder_for, embedder_named, open_store
from newsdesk.settings import Settings, load_settings


def _peak_mb(who: int) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


def _embedder(settings: Settings, key: str) -> Any:
    """The embedder `key` names, loaded as the settings say (model cache, batch size)."""
    return embedder_named(key, settings)


def bench_ingest(source: Path, articles: int, folder: Path) -> dict[str, Any]:
    """Ours (subprocess), the unchanged rerun, the embedder alone, and the naive pipeline on the same articles."""
    subset = folder / f"first{articles}.jsonl"
    with source.open(encoding="utf-8") as f:
        subset.write_text("".join(line for _, line in zip(range(articles), f)), encoding="utf-8")
    index = folder / "index"
    first_s, first_summary = ingest_subprocess(subset, index)
    rerun_s, rerun_summary = ingest_subprocess(subset, index)
    chunks, tokens, embed_s = embed_same_chunks(subset)
    settings = load_settings(None)
    _, naive_chunks, naive_s = build(subset, _embedder(settings, settings.embedder))
    # The naive pipeline as usually written embeds with fp32 MiniLM on torch (HuggingFaceEmbedding).
    _, _, naive_fp32_s = build(subset, _embedder(settings, "minilm"))
    return {
        "embedder": settings.embedder,
        "articles": articles,
        "chunks": chunks,
        "tokens": tokens,
        "ingest_seconds": round(first_s, 1),
        "ingest_articles_per_s": round(articles / first_s, 2),
        "ingest_chunks_per_s": round(chunks / first_s, 1),
        "embedder_alone_seconds": round(embed_s, 1),
        "embedder_chunks_per_s": round(chunks / embed_s, 1),
        "ingest_time_over_embedder_time": round(first_s / embed_s, 2),
        "rerun_unchanged_seconds": round(rerun_s, 2),
        "naive_seconds": round(naive_s, 1),
        "naive_chunks": naive_chunks,
        "naive_articles_per_s": round(articles / naive_s, 2),
        "ours_over_naive_throughput": round(naive_s / first_s, 2),
        "naive_fp32_torch_seconds": round(naive_fp32_s, 1),
        "ours_over_naive_fp32_torch_throughput": round(naive_fp32_s / first_s, 2),
        "ingest_peak_rss_mb": _peak_mb(resource.RUSAGE_CHILDREN),
        "first_run": first_summary,
        "rerun": rerun_summary,
        "index": str(index),
    }


def bench_retrieval(index: Path, questions: list[str]) -> dict[str, Any]:
    """p50/p95 ms of the shipped hybrid search (question embedding included) over one index:
    unfiltered, with a date filter, and with a date filter plus the index's biggest publisher."""
    settings = load_settings(None, index=index)
    store = open_store(settings, create=False)  # with the index's own embedder
    retriever = HybridRetriever(store, embedder_for(store, settings), top_k=settings.top_k)
    started = time.perf_counter()
    retriever.search(questions[0])  # loads the keyword index and the model
    load_s = time.perf_counter() - started
    keyword = retriever.keyword.get()
    biggest = keyword.sources[int(np.bincount(keyword.source_codes).argmax())]
    since = date(2024, 1, 1)
    runs = {"": None, "since_": SearchFilters(since=since), "since_source_": SearchFilters(since=since, sources=(biggest,))}
    out: dict[str, Any] = {}
    for label, filters in runs.items():
        times = []
        for q in questions:
            t0 = time.perf_counter()
            retriever.search(q, filters)
            times.append((time.perf_counter() - t0) * 1000)
        out.update({f"{label}search_ms_{k}": v for k, v in p50_p95(times).items()})
    stats = store.stats()
    return {"index": str(index), "articles": stats.articles, "chunks": stats.chunks, "questions": len(questions),
            "embedder": store.embedder, "filter_since": str(since), "filter_source": biggest,
            "first_search_s": round(load_s, 1), **out}


def answer_latency(run: Path) -> dict[str, Any]:
    """Answer latency of one `newsdesk eval` run folder (its summary.json)."""
    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    lat, meta = summary["latency_ms"], summary["meta"]
    return {"run": str(run), "dataset": meta["dataset"], "llm": meta["llm"], "questions": summary.get("answered_questions"),
            "retrieve_ms": lat.get("retrieve"), "first_token_ms": lat.get("first_token"), "total_ms": lat.get("total"),
            "load_ms": meta.get("llm_load_ms")}


def render(result: dict[str, Any]) -> str:
    """bench.md's text."""
    busy = float(result["load"].split(" / ")[0]) > 1.5
    lines = ["# Benchmarks", "", f"`{result['command']}`", "", f"Machine: {result['machine']}.",
             f"Measured {result['when']}, load average {result['load']} at the end"
             + ("; other jobs shared the cores, so absolute times are pessimistic." if busy else "."),
             "", "## Ingest", "", key_value_table(result["ingest"]), ""]
    if result["retrieval"]:
        def pair(r: dict[str, Any], label: str) -> str:
            return f"{r.get(label + 'search_ms_p50')} / {r.get(label + 'search_ms_p95')}"

        lines += ["## Retrieval latency (hybrid search, question embedding included)", "",
                  "Filters: `--since` the date below, then also `--source` the index's biggest publisher.", "",
                  markdown_table(["articles", "chunks", "questions", "p50 / p95 ms", "since: p50 / p95 ms",
                                  "since + source: p50 / p95 ms", "filters", "first search s"],
                                 [[r["articles"], r["chunks"], r["questions"], pair(r, ""), pair(r, "since_"),
                                   pair(r, "since_source_"), f"{r.get('filter_since')}, {r.get('filter_source')}",
                                   r["first_search_s"]] for r in result["retrieval"]]), ""]
    if result["answers"]:
        lines += ["## Answer latency (from eval runs)", "",
                  markdown_table(["dataset", "llm", "questions", "retrieve p50/p95", "first token p50/p95",
                                  "total p50/p95"],
                                 [[a["dataset"], a["llm"], a["questions"],
                                   *(f"{(a[k] or {}).get('p50')} / {(a[k] or {}).get('p95')}"
                                     for k in ("retrieve_ms", "first_token_ms", "total_ms"))]
                                  for a in result["answers"]]), ""]
    lines += [f"Peak memory: ingest subprocesses {result['ingest']['ingest_peak_rss_mb']} MB, "
              f"this process (naive pipeline, retrieval) {result['peak_rss_mb']} MB.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and write eval/reports/bench.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--retrieval-index", type=Path, nargs="*", default=None,
                        help="more indexes to time retrieval on, e.g. the eval indexes under .newsdesk/eval/")
    parser.add_argument("--keep-ingest", action="store_true",
                        help="keep the ingest results of the last bench.json (retrieval and answers are measured again)")
    parser.add_argument("--answers-only", action="store_true",
                        help="keep the ingest and retrieval results of the last bench.json; only read --answers-run")
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--answers-run", type=Path, nargs="*", default=[])
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "reports")
    args = parser.parse_args(argv)

    rt = resolve_set("realtimeqa", args.data_dir)
    questions = [q.question for q in sample_items(rt.load(), args.questions)]
    previous = args.out / "bench.json"
    old = json.loads(previous.read_text(encoding="utf-8")) if previous.is_file() else None
    if (args.keep_ingest or args.answers_only) and old is None:
        raise SystemExit(f"{previous} not found - run the benchmark once without --keep-ingest/--answers-only")
    with tempfile.TemporaryDirectory() as tmp:
        if args.keep_ingest or args.answers_only:
            ingest = old["ingest"]
        else:
            ingest = bench_ingest(rt.articles, args.articles, Path(tmp))
            print(json.dumps(ingest, indent=2), file=sys.stderr)
        if args.answers_only:
            retrieval = old["retrieval"]
        else:
            own = [Path(ingest["index"])] if Path(ingest["index"]).is_dir() else []
            retrieval = [bench_retrieval(i, questions) for i in own + list(args.retrieval_index or [])]
    result = {
        "command": "python -m eval.bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine(),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
        "ingest": ingest,
        "retrieval": retrieval,
        "answers": [answer_latency(r) for r in args.answers_run],
        "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "bench.md").write_text(render(result), encoding="utf-8")
    print(render(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
