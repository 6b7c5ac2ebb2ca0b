"""`newsdesk eval multihop-rag --retrieval-only`: ours beats the naive LlamaIndex pipeline.

A comparison on the MultiHop-RAG dev set (real data, real MiniLM, real Chroma), not a
timing. Skips when ../shared/data is absent.
"""

import json

import pytest

from tests.conftest import cli, data_file

pytestmark = pytest.mark.integration


def test_ours_beats_the_naive_pipeline_on_multihop_rag(tmp_path):
    data_file("multihop-rag", "queries.jsonl")
    data_file("multihop-rag", "articles.jsonl")
    out = tmp_path / "run"
    result = cli(
        "eval", "multihop-rag", "--retrieval-only", "--baselines", "naive",
        "--out", str(out), "--cache", str(tmp_path / "indexes"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    naive = summary["baselines"]["naive"]
    assert summary["retrieval_questions"] == naive["retrieval_questions"] > 200  # null queries left out
    assert summary["hits@10"] > naive["hits@10"], (summary["hits@10"], naive["hits@10"])
    assert summary["mrr@10"] > naive["mrr@10"], (summary["mrr@10"], naive["mrr@10"])
    for name in ("report.md", "questions.jsonl", "metrics_by_type.png", "latency.png", "hits_at_k.png"):
        assert (out / name).stat().st_size > 0, name
    rows = [json.loads(line) for line in (out / "questions.jsonl").read_text().splitlines()]
    assert len(rows) == 262 and all("answer" not in r for r in rows)
