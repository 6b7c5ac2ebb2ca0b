"""Retrieval experiment: dense, BM25 and fusion variants on the evaluation sets.

    python -m eval.retrieval_experiment [--sets multihop-rag realtimeqa] [--rt-articles 500]
        [--embedder minilm-int8|minilm|fake] [--workdir /tmp/newsdesk-retrieval] [--grid] [--json out.json]
        [--index DIR]   # an index already holding all of one set's articles, e.g. under .newsdesk/eval/

Ingests each set's articles.jsonl into an index under --workdir (reused when present:
unchanged articles are skipped), then runs every variant over the set's questions and
prints one table per set: MultiHop-RAG's hits@k / MRR@10 plus evidence_recall@k and
all_evidence@k, RealTimeQA's answer_recall@k, and retrieval latency p50/p95 per query.
RealTimeQA keeps the first --rt-articles articles and only the questions whose
answer_doc_urls are all among them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from statistics import quantiles

from eval.datasets import QAItem, load_multihop, load_realtimeqa
from eval.retrieval_metrics import answer_report, evidence_report
from index.fusion import FusionConfig
from index.keyword import build, cache_dir, fingerprint, load, refresh
from index.retrieve import HybridRetriever
from index.store import IndexStore
from index.text import Tokenizer
from newsdesk.articles import add_articles
from newsdesk.components import embedder_named, open_store
from newsdesk.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
K = 10

# Baselines first, then the fusion variants tried; the last is what index.retrieve ships.
_PLAIN = dict(source_boost=0.0, date_boost=0.0, clause_weight=0.0)
VARIANTS: dict[str, FusionConfig] = {
    "dense": FusionConfig(method="dense", **_PLAIN),
    "bm25": FusionConfig(method="bm25", **_PLAIN),
    "rrf": FusionConfig(method="rrf", bm25_weight=0.5, **_PLAIN),
    "rrf-bm25x2": FusionConfig(method="rrf", bm25_weight=2 / 3, **_PLAIN),
    "convex-0.4": FusionConfig(method="convex", bm25_weight=0.4, **_PLAIN),
    "convex-0.6": FusionConfig(method="convex", bm25_weight=0.6, **_PLAIN),
    "bm25+boosts": FusionConfig(method="bm25", clause_weight=0.0),
    "rrf-bm25x2+boosts": FusionConfig(method="rrf", bm25_weight=2 / 3, clause_weight=0.0),
    "convex-0.4+boosts": FusionConfig(clause_weight=0.0),
    "bm25+boosts+clauses": FusionConfig(method="bm25"),
    "rrf-bm25x2+boosts+clauses": FusionConfig(method="rrf", bm25_weight=2 / 3),
    "convex-0.6+boosts+clauses": FusionConfig(bm25_weight=0.6),
    "convex-0.4+boosts+clauses+1/article": FusionConfig(per_article=1),
    "convex-0.4+boosts+clauses+2/article": FusionConfig(per_article=2),
    "convex-0.4+boosts+clauses+3/article": FusionConfig(per_article=3),
    "shipped: convex-0.4+boosts+clauses": FusionConfig(),
}


@dataclass
class SetRun:
    """One evaluation set ready to query."""

    name: str
    items: list[QAItem]
    retriever: HybridRetriever
    articles: int
    chunks: int


def _percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return quantiles(values, n=100, method="inclusive")[q - 1]


def _settings(index: Path, embedder: str) -> Settings:
    return load_settings(None, index=index, embedder=embedder)


def prepare(name: str, workdir: Path, embedder, embedder_name: str, rt_articles: int) -> SetRun:
    """Ingest a set's articles (first `rt_articles` for RealTimeQA) and pick its questions."""
    folder = DATA / name
    source = folder / "articles.jsonl"
    if name == "realtimeqa":
        lines = source.read_text(encoding="utf-8").splitlines()[:rt_articles]
        source = workdir / f"realtimeqa-{rt_articles}.jsonl"
        source.parent.mkdir(parents=True, exist_ok=True)
        if not source.exists():
            source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        urls = {json.loads(line)["url"] for line in lines}
        items = [q for q in load_realtimeqa(folder) if q.answer_urls and set(q.answer_urls) <= urls]
        index = workdir / f"realtimeqa-{rt_articles}-{embedder_name}"
    else:
        items = load_multihop(folder)
        index = workdir / f"{name}-{embedder_name}"
    settings = _settings(index, embedder_name)
    store = open_store(settings, create=True)
    started = time.perf_counter()
    report = add_articles([source], settings, store=store, embedder_factory=lambda: embedder)
    print(
        f"[{name}] ingest: {len(report.added)} added, {len(report.unchanged)} unchanged, "
        f"{len(report.failed)} failed in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
    )
    started = time.perf_counter()
    keyword = refresh(store)
    print(f"[{name}] keyword index: {len(keyword)} chunks in {time.perf_counter() - started:.2f}s", file=sys.stderr)
    _time_keyword_cache(name, store)
    retriever = HybridRetriever(store, embedder, top_k=K)
    stats = store.stats()
    return SetRun(name, items, retriever, stats.articles, stats.chunks)


def open_existing(name: str, index: Path, embedder) -> SetRun:
    """A set whose articles are all already in `index` (e.g. `newsdesk eval`'s set index): no ingest."""
    store = open_store(load_settings(None, index=index), create=False)  # with the index's own embedder
    folder = DATA / name
    items = load_multihop(folder) if name != "realtimeqa" else [q for q in load_realtimeqa(folder) if q.answer_urls]
    stats = store.stats()
    return SetRun(name, items, HybridRetriever(store, embedder, top_k=K), stats.articles, stats.chunks)


def _time_keyword_cache(name: str, store: IndexStore) -> None:
    """Costs of the keyword cache: the freshness check, a load from disk, a full rebuild."""
    tokenizer = Tokenizer()
    costs = {}
    for label, job in (
        ("fingerprint", lambda: fingerprint(store, tokenizer.name)),
        ("load", lambda: load(cache_dir(store), tokenizer)),
        ("rebuild", lambda: build(store, tokenizer)),
    ):
        started = time.perf_counter()
        job()
        costs[label] = (time.perf_counter() - started) * 1000
    print(f"[{name}] keyword cache ms: " + ", ".join(f"{k} {v:.0f}" for k, v in costs.items()), file=sys.stderr)


def time_query_embedding(embedder, questions: list[str]) -> tuple[float, float]:
    """p50 and p95 milliseconds to embed one question (the part of dense retrieval outside Chroma)."""
    embedder.embed([questions[0]])
    latencies = []
    for question in questions:
        started = time.perf_counter()
        embedder.embed([question])
        latencies.append((time.perf_counter() - started) * 1000)
    return _percentile(latencies, 50), _percentile(latencies, 95)


def run_variant(run: SetRun, fusion: FusionConfig) -> dict[str, float]:
    """Metrics and latency of one fusion variant over a set's questions."""
    retriever = run.retriever.with_fusion(fusion)
    retriever.search(run.items[0].question)  # warm-up: first-call costs are not per-query costs
    latencies: list[float] = []
    evidence_runs, answer_runs = [], []
    for item in run.items:
        started = time.perf_counter()
        hits = retriever.search(item.question, top_k=K)
        latencies.append((time.perf_counter() - started) * 1000)
        texts = [h.text for h in hits]
        if run.name == "realtimeqa":
            answer_runs.append((texts, item.answer))
        else:
            evidence_runs.append((texts, item.facts))
    metrics = answer_report(answer_runs) if run.name == "realtimeqa" else evidence_report(evidence_runs)
    metrics["p50_ms"] = _percentile(latencies, 50)
    metrics["p95_ms"] = _percentile(latencies, 95)
    return metrics


COLUMNS = {
    "multihop-rag": [
        "hits@4", "hits@10", "mrr@10", "evidence_recall@4", "evidence_recall@10",
        "all_evidence@4", "all_evidence@10", "p50_ms", "p95_ms",
    ],
    "realtimeqa": ["answer_recall@4", "answer_recall@10", "p50_ms", "p95_ms"],
}


def table(name: str, results: dict[str, dict[str, float]]) -> str:
    """A Markdown table of the variants' metrics for one set."""
    cols = COLUMNS.get(name, COLUMNS["multihop-rag"])
    lines = ["| variant | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for variant, metrics in results.items():
        cells = [
            f"{metrics.get(c, float('nan')):.1f}" if c.endswith("_ms") else f"{metrics.get(c, float('nan')):.3f}"
            for c in cols
        ]
        lines.append(f"| {variant} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def grid() -> dict[str, FusionConfig]:
    """A sweep around the shipped configuration, to check it sits on a plateau, not a spike."""
    out = {}
    for w in (0.3, 0.4, 0.5, 0.6, 0.7):
        for boost in (0.0, 0.5, 1.0):
            for clause in (0.0, 0.5, 1.0):
                out[f"convex-w{w}-boost{boost}-clause{clause}"] = FusionConfig(
                    bm25_weight=w, source_boost=boost, date_boost=boost, clause_weight=clause
                )
    for n in (10, 20, 100):
        out[f"shipped-candidates{n}"] = FusionConfig(candidates=n)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the experiment and print one table per set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=["multihop-rag", "realtimeqa"])
    parser.add_argument("--rt-articles", type=int, default=500)
    parser.add_argument("--embedder", choices=["minilm-int8", "minilm", "fake"], default="minilm")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/newsdesk-retrieval"))
    parser.add_argument("--grid", action="store_true", help="also sweep fusion weights and boosts")
    parser.add_argument("--only", nargs="+", help="run only these variants")
    parser.add_argument("--json", type=Path, help="write every result to this file")
    parser.add_argument("--index", type=Path, help="an index already holding all of the (one) set's articles")
    args = parser.parse_args(argv)

    settings = load_settings(None, embedder=args.embedder)
    embedder = embedder_named(settings.embedder, settings)
    variants = dict(VARIANTS)
    if args.grid:
        variants.update(grid())
    if args.only:
        variants = {k: v for k, v in variants.items() if k in args.only}
    everything: dict[str, dict] = {}
    for name in args.sets:
        if args.index:
            run = open_existing(name, args.index, embedder)
        else:
            run = prepare(name, args.workdir, embedder, args.embedder, args.rt_articles)
        results = {variant: run_variant(run, fusion) for variant, fusion in variants.items()}
        print(
            f"\n## {name}: {len(run.items)} questions, {run.articles} articles, "
            f"{run.chunks} chunks, embedder {args.embedder}, top {K}\n"
        )
        print(table(name, results))
        p50, p95 = time_query_embedding(embedder, [q.question for q in run.items])
        print(f"\nquery embedding alone ({args.embedder}): p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        everything[name] = {
            "questions": len(run.items),
            "articles": run.articles,
            "chunks": run.chunks,
            "results": results,
            "variants": {k: asdict(v) for k, v in variants.items()},
        }
    if args.json:
        args.json.write_text(json.dumps(everything, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
