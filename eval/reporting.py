"""Small helpers the eval runs and the benchmarks share: percentiles, the machine, Markdown tables."""

from __future__ import annotations

import os
import platform
from typing import Any, Sequence


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100) by linear interpolation; None for no values."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return None
    pos = (len(data) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (pos - low)


def p50_p95(values: Sequence[float]) -> dict[str, float | None]:
    """{"p50": ..., "p95": ...} of `values`, rounded to whole milliseconds."""
    out = {}
    for name, q in (("p50", 50), ("p95", 95)):
        v = percentile(values, q)
        out[name] = round(v) if v is not None else None
    return out


def machine() -> str:
    """One line naming the machine: CPU model, cores, memory, Python."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{memory}, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def fmt(value: Any, digits: int = 3) -> str:
    """A table cell: floats to `digits` places, None as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 3) -> str:
    """A Markdown table; numeric columns are right-aligned."""
    def numeric(i: int) -> bool:
        return all(isinstance(r[i], (int, float)) or r[i] is None for r in rows) and bool(rows)

    align = ["---:" if i and numeric(i) else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(fmt(c, digits) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def key_value_table(pairs: dict[str, Any]) -> str:
    """A two-column Markdown table of measures."""
    return markdown_table(["measure", "value"], [[k, v] for k, v in pairs.items()])
