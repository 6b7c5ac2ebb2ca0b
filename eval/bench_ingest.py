"""Ingest benchmark: throughput, overhead beyond the embedder, and an unchanged rerun.

    python -m eval.bench_ingest [--articles 500] [--source ../shared/data/realtimeqa/articles.jsonl]

Runs `newsdesk ingest` as a user would (a subprocess, fresh index), then embeds exactly the
same chunk texts with the embedder alone, then reruns the ingest on the unchanged input.
Writes a JSON and a Markdown report under eval/reports/.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eval.bench_embedder import chunk_texts
from eval.reporting import key_value_table, machine
from newsdesk.components import embedder_named
from newsdesk.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "realtimeqa" / "articles.jsonl"
# The `newsdesk` console script installed beside this interpreter.
NEWSDESK = str(Path(sys.executable).parent / "newsdesk")


def ingest_subprocess(articles: Path, index: Path) -> tuple[float, str]:
    """Seconds `newsdesk ingest ARTICLES --index INDEX` takes as a user runs it, and its summary line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    started = time.perf_counter()
    out = subprocess.run(
        [NEWSDESK, "ingest", str(articles), "--index", str(index)],
        capture_output=True, text=True, env=env, cwd=REPO,
    )
    seconds = time.perf_counter() - started
    if out.returncode not in (0, 1):
        raise SystemExit(f"ingest failed: {out.stderr.strip().splitlines()[-1:]}")
    return seconds, out.stdout.strip().splitlines()[-1]


def embed_same_chunks(articles: Path) -> tuple[int, int, float]:
    """(chunks, tokens, seconds) to embed exactly the chunk texts ingest makes of `articles`, in one call."""
    settings = load_settings(None)
    # The one `newsdesk ingest` used.
    embedder = embedder_named(settings.embedder, settings)
    texts = list(chunk_texts(articles, embedder, settings.chunk_tokens, settings.chunk_prefix))
    tokens = sum(embedder.count_tokens(texts))
    # One call over every chunk: the embedder's best case (it sorts all texts by length).
    started = time.perf_counter()
    embedder.embed(texts)
    return len(texts), tokens, time.perf_counter() - started


def main() -> None:
    """Run the benchmark and write eval/reports/bench_ingest.{json,md}."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=REPO / "eval" / "reports")
    args = parser.parse_args()
    if not args.source.is_file():
        raise SystemExit(f"{args.source}: not found - pass --source")

    with tempfile.TemporaryDirectory() as tmp:
        subset = Path(tmp) / f"first{args.articles}.jsonl"
        with args.source.open(encoding="utf-8") as f:
            subset.write_text("".join(line for _, line in zip(range(args.articles), f)), encoding="utf-8")
        first_s, first_summary = ingest_subprocess(subset, Path(tmp) / "index")
        rerun_s, rerun_summary = ingest_subprocess(subset, Path(tmp) / "index")
        chunks, tokens, embed_s = embed_same_chunks(subset)

    result = {
        "machine": machine(),
        "articles": args.articles,
        "chunks": chunks,
        "tokens": tokens,
        "ingest_seconds": round(first_s, 2),
        "articles_per_s": round(args.articles / first_s, 2),
        "chunks_per_s": round(chunks / first_s, 2),
        "embedder_alone_seconds": round(embed_s, 2),
        "embedder_chunks_per_s": round(chunks / embed_s, 2),
        "embedder_tokens_per_s": round(tokens / embed_s, 1),
        "overhead_ratio": round(first_s / embed_s, 3),
        "rerun_seconds": round(rerun_s, 2),
        "rerun_share_of_first": round(rerun_s / first_s, 4),
        "first_summary": first_summary,
        "rerun_summary": rerun_summary,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "bench_ingest.md").write_text(
        f"# Ingest benchmark\n\n`python -m eval.bench_ingest --articles {args.articles}`\n\n"
        f"{key_value_table(result)}\n"
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
