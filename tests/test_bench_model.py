"""eval.bench_model's pure helpers: which template a request came from, and the lever table row."""

from eval.bench_model import call_kind, summarize, verdict_line
from prompts import render


def _request(name: str) -> dict:
    pairs = render(name, articles="[1] Some sentence.", question="Did it happen?", history="User: hi")
    return {"messages": [{"role": role, "content": text} for role, text in pairs]}


def test_call_kind_names_the_template():
    assert call_kind(_request("answer")) == "answer"
    assert call_kind(_request("verdict")) == "verdict"
    assert call_kind(_request("condense")) == "condense"
    assert call_kind({"messages": [{"role": "user", "content": "hello"}]}) == "other"


def _run(lever: str, replies: list[str], prompt_ms: float, wall: int) -> dict:
    rows = [
        {"qid": "q1", "kind": "verdict", "wall_ms": wall, "reply": replies[0],
         "timings": {"prompt_n": 100, "prompt_ms": prompt_ms, "predicted_n": 1, "predicted_ms": 0.001, "cache_n": 4}},
        {"qid": "q2", "kind": "answer", "wall_ms": 2 * wall, "reply": replies[1],
         "timings": {"prompt_n": 100, "prompt_ms": prompt_ms, "predicted_n": 20, "predicted_ms": 1000.0,
                     "cache_n": 600, "draft_n": 10, "draft_n_accepted": 5}},
    ]
    return {"lever": lever, "prefill_ms": 5000, "rows": rows}


def test_summarize_and_verdict():
    base_run = _run("default", ["Yes", "Paris"], 1000.0, 1000)
    base = summarize(base_run, base_run)
    assert base["prompt_tok_s"] == 100.0 and base["gen_tok_s"] == 20.0
    assert base["first_token_ms_p50"] == 1000 and base["same_replies"] == "2/2"
    assert base["draft"] == "5/10"

    fast = summarize(_run("fast", ["Yes", "Paris"], 500.0, 500), base_run)
    assert fast["same_replies"] == "2/2" and fast["total_ms_p50"] < base["total_ms_p50"]
    assert verdict_line(fast, base).startswith("worth making default")

    drifted = summarize(_run("drift", ["Yes", "Rome"], 500.0, 500), base_run)
    assert drifted["same_replies"] == "1/2"
    assert verdict_line(drifted, base).startswith("faster but replies differ")
    assert verdict_line(summarize(base_run, base_run), base) == "baseline"
