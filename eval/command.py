"""What `newsdesk eval` does with its arguments (the CLI only parses them)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from eval.compare import compare
from eval.runner import BASELINES, EvalOptions, rebuild_report, run_eval
from eval.sets import EvalError


def eval_command(target: list[str], **options) -> str:
    """Run `eval DATASET` or `eval compare RUN_A RUN_B`; returns what to print. Raises EvalError."""
    if target and target[0] == "compare":
        if len(target) != 3:
            raise EvalError("usage: newsdesk eval compare RUN_A RUN_B (two run folders)")
        return compare(Path(target[1]), Path(target[2]))
    if target and target[0] == "report":
        if len(target) != 2:
            raise EvalError("usage: newsdesk eval report RUN (a run folder to re-summarise)")
        out = rebuild_report(Path(target[1]))
        return (out / "report.md").read_text(encoding="utf-8") + f"\nrun folder: {out}"
    if len(target) != 1:
        raise EvalError("usage: newsdesk eval DATASET [options] - one dataset: sample, multihop-rag, realtimeqa or a Q&A JSONL")
    baselines = tuple(b for b in (options.pop("baselines") or "").split(",") if b.strip())
    unknown = [b for b in baselines if b not in BASELINES]
    if unknown:
        raise EvalError(f"--baselines: unknown '{unknown[0]}' - use a comma list of {', '.join(BASELINES)}")
    if options.get("resume") and not options.get("out"):
        raise EvalError("--resume needs --out RUN_FOLDER (the run to continue)")
    for name in ("limit", "articles"):
        if options.get(name) is not None and options[name] < 1:
            raise EvalError(f"--{name} must be at least 1")
    out = run_eval(EvalOptions(dataset=target[0], baselines=baselines,
                               command="newsdesk " + shlex.join(sys.argv[1:]), **options))
    return (out / "report.md").read_text(encoding="utf-8") + f"\nrun folder: {out}"
