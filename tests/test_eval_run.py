"""`newsdesk eval` end to end with the fake embedder and the scripted fake LLM.

The run folder, `eval report` (re-scoring stored answers), `eval compare`, `--limit` and
`--data-dir` on a folder laid out like ../shared/data/<set>/.
"""

import json

import pytest

from tests.conftest import REPO, cli

FAKE = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_LLM": "fake"}
RUN_FILES = ("report.md", "summary.json", "questions.jsonl", "metrics_by_type.png", "latency.png", "hits_at_k.png")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("eval")
    out = base / "run"
    result = cli("eval", "sample", "--limit", "6", "--out", str(out), "--cache", str(base / "indexes"), env=FAKE)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def _rows(run):
    return [json.loads(line) for line in (run / "questions.jsonl").read_text(encoding="utf-8").splitlines()]


def test_answer_run_writes_the_folder(sample_run):
    for name in RUN_FILES:
        assert (sample_run / name).stat().st_size > 0, name
    rows = _rows(sample_run)
    assert len(rows) == 6 and all("answer" in r and "correct" in r["metrics"] for r in rows)
    summary = json.loads((sample_run / "summary.json").read_text())
    for key in ("hits@10", "mrr@10", "accuracy", "citation_precision", "supported_share", "null_declined",
                "false_decline", "latency_ms"):
        assert key in summary, key
    assert set(summary["baselines"]) == {"naive", "dense", "bm25"}
    assert summary["meta"]["limit"] == 6


def test_report_scores_stored_answers_again(sample_run):
    rows = _rows(sample_run)
    truth = [r["metrics"]["correct"] for r in rows]
    rows[0]["metrics"]["correct"] = not truth[0]
    (sample_run / "questions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = cli("eval", "report", str(sample_run), env=FAKE)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [r["metrics"]["correct"] for r in _rows(sample_run)] == truth


def test_compare_a_run_with_itself(sample_run):
    result = cli("eval", "compare", str(sample_run), str(sample_run), env=FAKE)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "accuracy" in result.stdout


def test_data_dir_with_the_same_layout(tmp_path):
    # A MultiHop-RAG-shaped folder built from the project's own sample set.
    qa = [json.loads(line) for line in (REPO / "data" / "sample" / "qa.jsonl").read_text().splitlines() if line.strip()]
    folder = tmp_path / "data" / "multihop-rag"
    folder.mkdir(parents=True)
    queries = [
        {"qid": q["qid"], "query": q["question"], "answer": q["answer"], "question_type": "inference_query",
         "evidence_list": q["evidence_list"]}
        for q in qa if q["evidence_list"]
    ][:4]
    (folder / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries), encoding="utf-8")
    by_url: dict[str, dict] = {}
    for e in (e for q in queries for e in q["evidence_list"]):
        article = by_url.setdefault(e["url"], {
            "doc_id": f"a{len(by_url)}", "url": e["url"], "title": e["title"], "author": "", "source": e["source"],
            "category": "news", "published_at": e["published_at"], "body": ""})
        article["body"] = (article["body"] + " " + e["fact"]).strip()
    articles = list(by_url.values())
    (folder / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    out = tmp_path / "run"
    result = cli(
        "eval", "multihop-rag", "--data-dir", str(tmp_path / "data"), "--retrieval-only", "--baselines", "bm25",
        "--out", str(out), "--cache", str(tmp_path / "indexes"), env=FAKE,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["meta"]["questions_in_set"] == 4
    assert summary["hits@10"] == 1.0  # a handful of short articles: all of them are in the top 10
