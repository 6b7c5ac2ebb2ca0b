"""`newsdesk eval compare RUN_A RUN_B`: every metric of two runs side by side, with B - A."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.reporting import markdown_table
from eval.sets import EvalError

SKIP = {"meta", "by_type", "curves", "pipeline"}


def load_summary(run: Path) -> dict[str, Any]:
    """summary.json of a run folder (or the file itself)."""
    path = Path(run)
    path = path / "summary.json" if path.is_dir() else path
    if not path.is_file():
        raise EvalError(f"{path}: no summary.json - pass a run folder written by `newsdesk eval`")
    return json.loads(path.read_text(encoding="utf-8"))


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric metrics as 'name' / 'latency_ms.total.p50' / 'baselines.naive.hits@10' keys."""
    out: dict[str, float] = {}
    for key, value in summary.items():
        if not prefix and key in SKIP:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = float(value)
    return out


def compare(run_a: Path, run_b: Path) -> str:
    """A Markdown table: metric, A, B, B - A (metrics either run lacks show a dash)."""
    a, b = flatten(load_summary(run_a)), flatten(load_summary(run_b))
    rows = []
    for key in list(a) + [k for k in b if k not in a]:
        va, vb = a.get(key), b.get(key)
        delta = vb - va if va is not None and vb is not None else None
        rows.append([key, va, vb, delta])
    return f"A = {run_a}\nB = {run_b}\n\n" + markdown_table(["metric", "A", "B", "B - A"], rows)
