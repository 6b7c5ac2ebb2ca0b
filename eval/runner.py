"""`newsdesk eval`: ask a set's questions through each pipeline and score every answer.

Per question: the top-10 passages of each retrieval pipeline (ours, and the baselines
naive / dense / bm25) with their ranks of the gold evidence; then, unless
retrieval-only, the verified Answer of the engine and its metrics; for sets with
choices, a second short LLM call that picks one choice (multiple-choice accuracy).
Rows are written to questions.jsonl as they finish, so an interrupted run keeps them.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from eval import answer_metrics as am
from eval.datasets import QAItem
from eval.naive_pipeline import open_naive
from eval.query_vectors import PrimedEmbedder, time_single_queries
from eval.report import write_report
from eval.reporting import p50_p95
from eval.retrieval_metrics import fact_ranks
from eval.set_index import DEFAULT_CACHE, open_set_index
from eval.sets import REPO, EvalError, EvalSet, first_articles, keeps_question, resolve_set, sample_items
from eval.summary import summarize
from index.fusion import FusionConfig
from index.retrieve import HybridRetriever
from newsdesk.context import format_context
from newsdesk.engine import AnswerEngine
from newsdesk.settings import load_settings
from prompts import render

K = 10
BASELINES = ("naive", "dense", "bm25")
LETTERS = "ABCDEFGH"


@dataclass
class EvalOptions:
    """What one `newsdesk eval` run does."""

    dataset: str
    data_dir: Path | None = None
    out: Path | None = None
    limit: int | None = None
    articles: int | None = None
    retrieval_only: bool = False
    llm: str | None = None
    config: Path | None = None
    cache: Path | None = None
    baselines: tuple[str, ...] = BASELINES
    multiple_choice: bool = True
    resume: bool = False
    command: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def default_out() -> Path:
    """runs/<UTC timestamp>/ under the repo."""
    return REPO / "runs" / datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- retrieval pipelines ----------------------------------------------------------------

def retrieval_pipelines(set_index: Any, evalset: EvalSet, baselines: tuple[str, ...], embedder: Any,
                        log: Callable[[str], None] = _log) -> tuple[dict[str, Callable[[str], list[str]]], Any, dict]:
    """name -> (question -> top-10 passage texts), the hybrid retriever ours uses, and build notes.

    `embedder` embeds the questions (a PrimedEmbedder, shared by every dense pipeline)."""
    ours = HybridRetriever(set_index.store, embedder, top_k=K)
    plain = dict(source_boost=0.0, date_boost=0.0, clause_weight=0.0)
    pipelines: dict[str, Callable[[str], list[str]]] = {
        "ours": lambda q: [h.text for h in ours.search(q, top_k=K)]
    }
    notes: dict[str, Any] = {}
    for name in baselines:
        if name in ("dense", "bm25"):
            variant = ours.with_fusion(FusionConfig(method=name, **plain))
            pipelines[name] = lambda q, r=variant: [h.text for h in r.search(q, top_k=K)]
        elif name == "naive":
            folder = set_index.settings.index.parent / (set_index.settings.index.name + "-naive")
            log(f"naive pipeline: {folder}")
            naive = open_naive(evalset.articles, embedder, folder)
            notes["naive"] = {"chunks": naive.chunks, "build_seconds": naive.build_seconds, "folder": str(folder)}
            log(f"naive pipeline: {naive.chunks} chunks"
                + (f", built in {naive.build_seconds:.1f}s" if naive.build_seconds else " (cached)"))
            pipelines["naive"] = lambda q, p=naive: p.search(q, K)
        else:
            raise ValueError(f"unknown baseline '{name}': use {', '.join(BASELINES)}")
    return pipelines, ours, notes


def answer_rank(passages: list[str], answer: str) -> int | None:
    """1-based rank of the first passage containing the answer text (as answer_recall@k matches)."""
    needle = " ".join(answer.split()).casefold()
    for i, p in enumerate(passages):
        if needle and needle in " ".join(p.split()).casefold():
            return i + 1
    return None


def retrieval_row(kind: str, item: QAItem, passages: list[str], ms: float) -> dict[str, Any]:
    """What one pipeline retrieved for one question: gold ranks, latency, passage prefixes."""
    row: dict[str, Any] = {"ms": round(ms, 1)}
    if kind == "realtimeqa":
        row["answer_rank"] = answer_rank(passages, item.answer)
    else:
        row["fact_ranks"] = fact_ranks(passages, item.facts) if item.facts else []
    row["top"] = [p[:160] for p in passages]
    return row


# -- multiple choice --------------------------------------------------------------------

def pick_choice(engine: AnswerEngine, question: str, choices: tuple[str, ...]) -> tuple[str | None, str]:
    """Ask the LLM to pick one of `choices` over the sentences the engine would show; (choice, reply)."""
    context = engine.context(question)
    lettered = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(choices))
    reply = engine.chat(
        render("choose", articles=format_context(context.shown), question=question, choices=lettered), max_tokens=8
    )
    match = re.match(r"\W*([A-H])\b", reply)
    if match and LETTERS.index(match.group(1)) < len(choices):
        return choices[LETTERS.index(match.group(1))], reply
    named = am.named_choices(reply, choices)
    return (named[0] if len(named) == 1 else None), reply


# -- answers ------------------------------------------------------------------------------

def answer_scores(kind: str, gold: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer metrics of one question, from its row's `gold` (answer, facts, choices, null)."""
    good, sentences = am.supported_sentences(answer)
    scores: dict[str, Any] = {
        "declined": bool(answer["abstained"]),
        "supported_sentences": good,
        "answer_sentences": sentences,
    }
    if kind == "realtimeqa":
        scores["correct"] = am.open_correct(answer, gold["answer"], gold["choices"])
    else:
        scores["correct"] = am.multihop_correct(answer, gold["answer"], gold["null"])
        if gold["facts"]:
            right, cited, found, facts = am.citation_scores(answer, gold["facts"])
            scores.update(citations_right=right, citations=cited, facts_cited=found, facts=facts)
    return scores


def run_eval(options: EvalOptions, log: Callable[[str], None] = _log) -> Path:
    """Run the evaluation `options` describe and write its run folder; returns the folder."""
    evalset = resolve_set(options.dataset, options.data_dir)
    cache = Path(options.cache or DEFAULT_CACHE)
    all_items = evalset.load()
    if options.articles:
        evalset, urls = first_articles(evalset, options.articles, cache)
        all_items = [item for item in all_items if keeps_question(item, urls)]
    items = sample_items(all_items, options.limit)
    if not items:
        raise EvalError(f"{evalset.queries}: no questions")
    settings = load_settings(options.config, llm=options.llm)
    out = Path(options.out or default_out())
    out.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")

    set_index = open_set_index(evalset, settings, cache, log=log)
    embedder = PrimedEmbedder(set_index.embedder)
    pipelines, ours, notes = retrieval_pipelines(set_index, evalset, tuple(options.baselines), embedder, log)
    for search in pipelines.values():  # first-call costs (model, caches) are not per-question costs
        search(items[0].question)
    questions = [item.question for item in items]
    single_ms = time_single_queries(set_index.embedder, questions)
    embed_ms = embedder.prime(questions)
    log(f"question vectors: {embed_ms:.1f} ms each in one batch, p50 {p50_p95(single_ms)['p50']} ms alone")

    engine = None
    load_ms = None
    if not options.retrieval_only:
        # The engine embeds each question itself, so its retrieve_ms is what a user waits for.
        own = HybridRetriever(set_index.store, set_index.embedder, top_k=set_index.settings.top_k, keyword=ours.keyword)
        engine = AnswerEngine(set_index.settings, retriever=own, store=set_index.store)
        load_ms = engine.warm_up()
        log(f"LLM {engine.llm_name} loaded in {load_ms} ms")

    meta = {
        "dataset": evalset.name,
        "kind": evalset.kind,
        "queries": str(evalset.queries),
        "articles_source": str(evalset.articles),
        "questions_in_set": len(all_items),
        "pipelines": list(pipelines),
        "limit": options.limit,
        "articles_cut": options.articles,
        "retrieval_only": options.retrieval_only,
        "llm": engine.llm_name if engine else None,
        "llm_load_ms": load_ms,
        "embedder": set_index.settings.embedder,
        "index": str(set_index.settings.index),
        "articles": set_index.articles,
        "chunks": set_index.chunks,
        "ingest": {"embedded": set_index.added, "unchanged": set_index.unchanged,
                   "failed": set_index.failed, "seconds": round(set_index.ingest_seconds, 1)},
        "baseline_notes": notes,
        "query_embedding_ms": {**p50_p95(single_ms), "batched_each": round(embed_ms, 1)},
        "top_k_metrics": K,
        "top_k_answer": set_index.settings.top_k,
        "started": started_at,
        "command": options.command,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    rows: list[dict[str, Any]] = []
    done: set[str] = set()
    if options.resume and (out / "questions.jsonl").is_file():
        # Continue a run that was stopped: keep its finished questions, ask the rest.
        rows = [json.loads(line) for line in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                if line.strip()]
        done = {r["qid"] for r in rows}
        log(f"resuming: {len(done)} questions already done")
    interrupted = False
    with open(out / "questions.jsonl", "a" if done else "w", encoding="utf-8") as handle:
        try:
            for i, item in enumerate(items, 1):
                if item.qid in done:
                    continue
                row = ask_one(evalset.kind, item, pipelines, engine, options.multiple_choice)
                rows.append(row)
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                handle.flush()
                log(_progress(i, len(items), row))
        except KeyboardInterrupt:
            # Ctrl-C (or kill -INT) ends a long run early: report the questions that finished.
            interrupted = True
            log(f"interrupted: reporting the {len(rows)} finished questions")
    if not rows:
        raise EvalError("interrupted before any question finished - nothing to report")

    meta.update(questions=len(rows), interrupted=interrupted,
                finished=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    (out / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = summarize(rows, evalset.kind, list(pipelines), meta)
    write_report(out, summary, rows)
    return out


def ask_one(kind: str, item: QAItem, pipelines: dict[str, Callable[[str], list[str]]], engine: AnswerEngine | None,
            multiple_choice: bool) -> dict[str, Any]:
    """One question through every retrieval pipeline and, with an engine, the answer engine."""
    row: dict[str, Any] = {
        "qid": item.qid,
        "question": item.question,
        "question_type": item.question_type,
        "gold": {"answer": item.answer, "facts": list(item.facts), "choices": list(item.choices),
                 "null": item.is_null},
        "retrieval": {},
    }
    for name, search in pipelines.items():
        t0 = time.perf_counter()
        passages = search(item.question)
        row["retrieval"][name] = retrieval_row(kind, item, passages, (time.perf_counter() - t0) * 1000)
    if engine is None:
        return row
    t0 = time.perf_counter()
    answer = engine.ask(item.question).to_dict()
    wall_ms = (time.perf_counter() - t0) * 1000
    answer["retrieved"] = [{**r, "text": r["text"][:300]} for r in answer["retrieved"]]
    row["answer"] = answer
    row["timings"] = {**answer["timings"], "wall_ms": round(wall_ms)}
    row["metrics"] = answer_scores(kind, row["gold"], answer)
    if multiple_choice and item.choices:
        picked, reply = pick_choice(engine, item.question, item.choices)
        row["choice"] = {"picked": picked, "reply": reply}
        row["metrics"]["correct_mc"] = picked is not None and am.norm(picked) == am.norm(item.answer)
    return row


def _progress(i: int, n: int, row: dict[str, Any]) -> str:
    ours = row["retrieval"]["ours"]
    if "answer_rank" in ours:
        hit = ours["answer_rank"]
    else:
        found = [r for r in ours.get("fact_ranks", []) if r]
        hit = min(found) if found else None
    text = f"[{i}/{n}] {row['qid']} first gold rank {hit}"
    if "metrics" in row:
        m = row["metrics"]
        text += (f" | correct {m['correct']}" + (f" mc {m['correct_mc']}" if "correct_mc" in m else "")
                 + f" declined {m['declined']} | {row['timings'].get('total_ms')} ms")
    return text


def rebuild_report(run: Path) -> Path:
    """Rewrite summary.json, report.md and the plots of a run folder from its questions.jsonl and
    meta.json - for a run that was stopped (killed) before it wrote them, or to score its stored
    answers again after a change to the answer metrics."""
    run = Path(run)
    if not (run / "meta.json").is_file() or not (run / "questions.jsonl").is_file():
        raise EvalError(f"{run}: no meta.json and questions.jsonl - pass a run folder written by `newsdesk eval`")
    meta = json.loads((run / "meta.json").read_text(encoding="utf-8"))
    rows = [json.loads(line) for line in (run / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise EvalError(f"{run}: no finished questions to report")
    for row in rows:
        if "answer" in row:
            kept = {k: v for k, v in row["metrics"].items() if k == "correct_mc"}
            row["metrics"] = {**answer_scores(meta["kind"], row["gold"], row["answer"]), **kept}
    (run / "questions.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    if meta.get("questions") != len(rows):
        meta.update(questions=len(rows), interrupted=True, finished=meta.get("finished") or "stopped")
    write_report(run, summarize(rows, meta["kind"], meta["pipelines"], meta), rows)
    return run
