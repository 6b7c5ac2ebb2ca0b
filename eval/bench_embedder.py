"""Embedder throughput: torch fp32 vs ONNX fp32 vs ONNX int8 on the same real chunks.

    python -m eval.bench_embedder [--chunks 1000] [--rounds 3] [--source ../shared/data/realtimeqa/articles.jsonl]

Chunks the articles with the project's chunker until --chunks chunks, then embeds all of
them with each embedder in turn, --rounds times (the order rotates each round, so load
from other processes falls on all of them alike), and prints the median chunks/s and
tokens/s (word pieces, special tokens excluded) with the load average seen. Also checks
how close each embedder's vectors are to torch fp32 (mean and lowest cosine).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import time
from collections.abc import Iterator
from pathlib import Path
from statistics import median

import numpy as np

from index.embedders import MiniLMEmbedder, onnx_minilm
from ingest.pipeline import chunk_article, prepare_article
from ingest.readers import readable_articles
from newsdesk.settings import load_settings

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "realtimeqa" / "articles.jsonl"


def chunk_texts(source: Path, embedder, chunk_tokens: int, prefix: str = "title") -> Iterator[str]:
    """The embed texts ingest makes of the articles in `source`, in order (unusable articles skipped)."""
    for raw in readable_articles([source]):
        try:
            yield from chunk_article(prepare_article(raw), embedder, chunk_tokens, prefix)[1]
        except ValueError:
            continue


def real_chunks(source: Path, n: int, embedder, chunk_tokens: int) -> list[str]:
    """The embed texts of the first `n` chunks the project's chunker makes from `source`."""
    return list(itertools.islice(chunk_texts(source, embedder, chunk_tokens), n))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print a Markdown table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--int8-batch", type=int, default=0, help="also time int8 with this batch size (not per text)")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)

    settings = load_settings(None)
    embedders = {
        "torch fp32 (minilm)": MiniLMEmbedder(batch_size=settings.embed_batch_size),
        "onnx fp32": onnx_minilm(settings.model_cache, "fp32"),
        "onnx int8, 1 text at a time on 2 threads": onnx_minilm(settings.model_cache, "int8", workers=1),
        "onnx int8 (minilm-int8)": onnx_minilm(settings.model_cache, "int8"),
    }
    if args.int8_batch:
        embedders[f"onnx int8, batch {args.int8_batch}"] = onnx_minilm(settings.model_cache, "int8", batch_size=args.int8_batch)
    reference = embedders["torch fp32 (minilm)"]
    texts = real_chunks(args.source, args.chunks, reference, settings.chunk_tokens)
    tokens = sum(reference.count_tokens(texts))
    for embedder in embedders.values():
        embedder.embed(texts[:4])  # warm-up: first-call costs are not throughput

    seconds: dict[str, list[float]] = {name: [] for name in embedders}
    vectors: dict[str, np.ndarray] = {}
    loads = [os.getloadavg()[0]]
    names = list(embedders)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[: r % len(names)]:
            started = time.perf_counter()
            vectors[name] = embedders[name].embed(texts)
            seconds[name].append(time.perf_counter() - started)
            loads.append(os.getloadavg()[0])

    ref = vectors["torch fp32 (minilm)"]
    rows = {}
    for name in names:
        cos = (vectors[name] * ref).sum(axis=1)
        s = median(seconds[name])
        rows[name] = {
            "chunks_per_s": len(texts) / s,
            "tokens_per_s": tokens / s,
            "seconds": seconds[name],
            "cosine_to_fp32_mean": float(cos.mean()),
            "cosine_to_fp32_min": float(cos.min()),
        }
    print(
        f"\n{len(texts)} chunks, {tokens} tokens ({tokens / len(texts):.0f}/chunk) from {args.source.name}; "
        f"{args.rounds} rounds, median; {os.cpu_count()} cores, load average {min(loads):.1f}-{max(loads):.1f}\n"
    )
    print("| embedder | chunks/s | tokens/s | runs (s) | cosine to torch fp32, mean / min |")
    print("|---|---:|---:|---|---|")
    for name, row in rows.items():
        runs = ", ".join(f"{x:.1f}" for x in row["seconds"])
        print(
            f"| {name} | {row['chunks_per_s']:.1f} | {row['tokens_per_s']:.0f} | {runs} | "
            f"{row['cosine_to_fp32_mean']:.4f} / {row['cosine_to_fp32_min']:.4f} |"
        )
    if args.json:
        result = {
            "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores",
            "chunks": len(texts), "tokens": tokens, "rounds": args.rounds,
            "load_average": [min(loads), max(loads)], "embedders": rows,
        }
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
