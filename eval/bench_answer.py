"""Answer latency (and a quick quality read) over the sample Q&A set with a chosen LLM.

    python -m eval.bench_answer [--llm local] [--limit N]
    python -m eval.bench_answer --evidence-only --set realtimeqa [--limit 100]

The second form times only the evidence (search and sentence selection, question
embedding included) over a dev set's own eval index (built by `newsdesk eval` on first
use), the wait before the chat shows the numbered sentences.

Indexes data/sample/articles into a temporary folder with the real embedder, warms the
engine up once (model loading is reported apart), then asks every question and records
first-token and total time, whether the gold answer appears, and abstentions.
Writes eval/reports/bench_answer_<llm>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from eval.reporting import machine, percentile
from newsdesk.articles import add_articles
from newsdesk.engine import AnswerEngine
from newsdesk.settings import load_settings

REPO = Path(__file__).resolve().parents[1]


def _pct(values: list[float], q: float) -> float:
    return round(percentile(values, q * 100) or 0.0)


def main() -> None:
    """Run the benchmark and write its report."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", default="local")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--qa", type=Path, default=REPO / "data" / "sample" / "qa.jsonl")
    parser.add_argument("--articles", type=Path, default=REPO / "data" / "sample" / "articles")
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "reports")
    parser.add_argument("--evidence-only", action="store_true", help="time the evidence step only, over --set's index")
    parser.add_argument("--set", default="realtimeqa", help="dev set for --evidence-only")
    args = parser.parse_args()
    if args.evidence_only:
        evidence_latency(args)
        return

    questions = [json.loads(line) for line in args.qa.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.limit:
        questions = questions[: args.limit]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, index=Path(tmp) / "index", llm=args.llm)
        add_articles([args.articles], settings)
        engine = AnswerEngine(settings)
        load_ms = engine.warm_up()
        for q in questions:
            started = time.perf_counter()
            answer = engine.ask(q["question"])
            wall_ms = (time.perf_counter() - started) * 1000
            null = q["question_type"] == "null"
            gold = q["answer"].lower().strip().rstrip(".")
            rows.append(
                {
                    "qid": q["qid"],
                    "type": q["question_type"],
                    "answer": answer.answer,
                    "abstained": answer.abstained,
                    "correct": answer.abstained if null else (not answer.abstained and gold in answer.answer.lower()),
                    "cited_gold": any(
                        c.supported and any(e["fact"] in c.sentence or c.sentence in e["fact"] for e in q["evidence_list"])
                        for c in answer.citations
                    ),
                    "evidence_ms": answer.timings.get("evidence_ms"),
                    "first_token_ms": answer.timings.get("first_token_ms"),
                    "total_ms": round(wall_ms),
                    "retrieve_ms": answer.timings.get("retrieve_ms"),
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False))

    answered = [r for r in rows if r["first_token_ms"] is not None]
    first = [r["first_token_ms"] for r in answered]
    total = [r["total_ms"] for r in rows]
    answerable = [r for r in rows if r["type"] != "null"]
    nulls = [r for r in rows if r["type"] == "null"]
    summary = {
        "machine": machine(),
        "llm": engine.llm_name,
        "questions": len(rows),
        "load_ms": load_ms,
        "evidence_ms_p50": _pct([r["evidence_ms"] for r in rows if r["evidence_ms"] is not None], 0.5),
        "evidence_ms_p95": _pct([r["evidence_ms"] for r in rows if r["evidence_ms"] is not None], 0.95),
        "first_token_ms_p50": _pct(first, 0.5),
        "first_token_ms_p95": _pct(first, 0.95),
        "total_ms_p50": _pct(total, 0.5),
        "total_ms_p95": _pct(total, 0.95),
        "total_ms_mean": round(statistics.mean(total)) if total else 0,
        "answerable_correct": f"{sum(r['correct'] for r in answerable)}/{len(answerable)}",
        "answerable_cited_gold_sentence": f"{sum(r['cited_gold'] for r in answerable)}/{len(answerable)}",
        "answerable_wrongly_declined": f"{sum(r['abstained'] for r in answerable)}/{len(answerable)}",
        "null_declined": f"{sum(r['abstained'] for r in nulls)}/{len(nulls)}",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"bench_answer_{args.llm}"
    (args.out / f"{name}.json").write_text(json.dumps({"summary": summary, "rows": rows}, indent=2, ensure_ascii=False) + "\n")
    table = "\n".join(f"| {k} | {v} |" for k, v in summary.items())
    (args.out / f"{name}.md").write_text(
        f"# Answer benchmark ({args.llm})\n\n`python -m eval.bench_answer --llm {args.llm}`\n\n"
        f"| measure | value |\n|---|---|\n{table}\n"
    )
    print(json.dumps(summary, indent=2))


def evidence_latency(args: argparse.Namespace) -> None:
    """p50/p95 of the evidence step over a dev set's eval index; writes bench_evidence_<set>.{json,md}."""
    from eval.set_index import DEFAULT_CACHE, open_set_index
    from eval.sets import resolve_set, sample_items

    evalset = resolve_set(args.set)
    items = sample_items(evalset.load(), args.limit or 100)
    opened = open_set_index(evalset, load_settings(None, llm="fake"), DEFAULT_CACHE)
    engine = AnswerEngine(opened.settings.model_copy(update={"llm": "fake"}), store=opened.store)
    engine.context(items[0].question)  # loads the embedder and the keyword index
    times = []
    for item in items:
        started = time.perf_counter()
        engine.context(item.question)
        times.append((time.perf_counter() - started) * 1000)
    summary = {"machine": machine(), "set": args.set, "articles": opened.articles, "chunks": opened.chunks,
               "questions": len(items), "evidence_ms_p50": _pct(times, 0.5), "evidence_ms_p95": _pct(times, 0.95),
               "evidence_ms_max": round(max(times))}
    name = f"bench_evidence_{args.set}"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    table = "\n".join(f"| {k} | {v} |" for k, v in summary.items())
    (args.out / f"{name}.md").write_text(
        f"# Evidence latency ({args.set})\n\n`python -m eval.bench_answer --evidence-only --set {args.set}`\n\n"
        f"| measure | value |\n|---|---|\n{table}\n"
    )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
