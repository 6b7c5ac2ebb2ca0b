"""Answer metrics, the summary of per-question rows, compare, and the set resolution errors."""

import json

import pytest

from eval import answer_metrics as am
from eval.compare import compare, flatten
from eval.sets import EvalError, resolve_set, sample_items
from eval.summary import summarize
from tests.conftest import REPO, cli


def _answer(text, abstained=False, citations=()):
    return {"answer": text, "abstained": abstained, "citations": list(citations)}


def test_yes_no_verdicts():
    assert am.verdict("Yes, both articles say so [1][2].") == "yes"
    assert am.verdict("No. The Verge disagrees [1].") == "no"
    assert am.verdict("Yes [1]. No [2].") is None  # says both: no verdict
    assert am.verdict("Both reports agree that it rose [1].") is None
    assert am.verdict("The articles show no evidence of a delay, so yes [1].") == "yes"
    assert am.verdict("Both say so; the answer is no [1][2].") == "no"


def test_multihop_accuracy_rules():
    assert am.multihop_correct(_answer("Yes, it did [1]."), "Yes", is_null=False)
    assert not am.multihop_correct(_answer("Yes [1]. No [2]."), "Yes", is_null=False)
    assert am.multihop_correct(_answer("The company is Google [1]."), "Google", is_null=False)
    assert not am.multihop_correct(_answer("The articles don't say.", abstained=True), "Google", is_null=False)
    assert am.multihop_correct(_answer("The articles don't say.", abstained=True), "Insufficient information.", is_null=True)
    assert not am.multihop_correct(_answer("Google [1]."), "Insufficient information.", is_null=True)


def test_open_accuracy_names_the_right_choice_and_no_other():
    choices = ("Nikki Haley", "Donald Trump", "Ron DeSantis", "Trump Jr.")
    assert am.open_correct(_answer("Ron DeSantis came second [1]."), "Ron DeSantis", choices)
    assert not am.open_correct(_answer("Ron DeSantis beat Nikki Haley [1]."), "Ron DeSantis", choices)
    assert am.open_correct(_answer("Donald Trump won [1]."), "Donald Trump", choices)
    assert not am.open_correct(_answer("x", abstained=True), "Donald Trump", choices)


def test_citation_scores_and_supported_share():
    fact = "Copper rose to a record $11,200 a tonne."
    answer = _answer(
        "Copper hit a record [1]. Stocks fell [2]. Nothing cited.",
        citations=[{"n": 1, "sentence": "Copper rose to a record $11,200\na tonne.", "supported": True},
                   {"n": 2, "sentence": "Stocks fell.", "supported": False}],
    )
    assert am.citation_scores(answer, [fact, "Antimony quadrupled."]) == (1, 2, 1, 2)
    assert am.supported_sentences(answer) == (1, 3)
    assert am.supported_sentences(_answer("The articles don't say.", abstained=True)) == (0, 0)


def _row(qid, qtype, ranks, correct, declined, null=False, total=1000):
    return {
        "qid": qid, "question": "q", "question_type": qtype,
        "gold": {"answer": "Insufficient information." if null else "Yes", "facts": [], "choices": [], "null": null},
        "retrieval": {"ours": {"ms": 5.0, "fact_ranks": ranks}, "naive": {"ms": 2.0, "fact_ranks": [None] * len(ranks)}},
        "answer": {}, "timings": {"retrieve_ms": 10, "first_token_ms": 500, "total_ms": total},
        "metrics": {"correct": correct, "declined": declined, "supported_sentences": 1, "answer_sentences": 1,
                    **({} if null else {"citations_right": 1, "citations": 2, "facts_cited": 1, "facts": 2})},
    }


def test_summary_top_level_names_and_baselines():
    rows = [_row("a", "comparison_query", [1, 3], True, False),
            _row("b", "inference_query", [2, None], False, True),
            _row("n", "null_query", [], True, True, null=True)]
    s = summarize(rows, "multihop", ["ours", "naive"], {"dataset": "t"})
    assert s["hits@4"] == 1.0 and s["mrr@10"] == 0.75
    assert s["evidence_recall@4"] == 0.75 and s["all_evidence@4"] == 0.5
    assert s["accuracy"] == 0.5 and s["null_declined"] == 1.0 and s["false_decline"] == 0.5
    assert s["citation_precision"] == 0.5 and s["citation_recall"] == 0.5 and s["supported_share"] == 1.0
    assert s["always_yes"] == 1.0
    assert s["latency_ms"]["total"]["p50"] == 1000
    assert s["baselines"]["naive"]["hits@10"] == 0.0
    assert s["by_type"]["null_query"]["accuracy"] == 1.0 and s["by_type"]["null_query"]["always_yes"] == 0.0
    for key in ("hits@4", "hits@10", "mrr@10", "evidence_recall@4", "evidence_recall@10", "all_evidence@4",
                "all_evidence@10", "accuracy", "accuracy_mc", "citation_precision", "citation_recall",
                "supported_share", "null_declined", "false_decline", "latency_ms"):
        assert key in s


def test_compare_deltas(tmp_path):
    for name, value in (("a", 0.5), ("b", 0.75)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text(json.dumps(
            {"hits@10": value, "latency_ms": {"total": {"p50": 100}}, "baselines": {"naive": {"hits@10": 0.4}},
             "meta": {"questions": 3}}))
    assert flatten(json.loads((tmp_path / "a" / "summary.json").read_text())) == {
        "hits@10": 0.5, "latency_ms.total.p50": 100.0, "baselines.naive.hits@10": 0.4}
    table = compare(tmp_path / "a", tmp_path / "b")
    assert "| hits@10 | 0.500 | 0.750 | 0.250 |" in table
    with pytest.raises(EvalError):
        compare(tmp_path / "a", tmp_path / "missing")


def test_set_resolution_errors_name_the_path(tmp_path):
    with pytest.raises(EvalError, match="unknown dataset 'nope'"):
        resolve_set("nope")
    with pytest.raises(EvalError, match=str(tmp_path / "absent")):
        resolve_set("multihop-rag", tmp_path / "absent")
    assert resolve_set("sample").queries == REPO / "data" / "sample" / "qa.jsonl"


def test_seeded_sample_is_fixed_and_ordered():
    items = list(range(50))
    first = sample_items(items, 10)
    assert first == sample_items(items, 10) and first == sorted(first) and len(first) == 10
    assert sample_items(items, None) == items


def test_cli_user_errors_are_one_line(tmp_path):
    for args in (["eval", "nope"], ["eval", "multihop-rag", "--data-dir", str(tmp_path / "absent")],
                 ["eval", "compare", "only-one"]):
        out = cli(*args)
        assert out.returncode == 2, out.stderr
        assert out.stderr.startswith("error: ") and len(out.stderr.strip().splitlines()) == 1, out.stderr


def test_first_articles_cut_keeps_questions_about_them(tmp_path):
    from eval.datasets import QAItem
    from eval.sets import EvalSet, first_articles, keeps_question

    folder = tmp_path / "rt"
    folder.mkdir()
    (folder / "articles.jsonl").write_text("".join(json.dumps({"url": f"https://x/{i}", "text": "t"}) + "\n" for i in range(5)))
    (folder / "queries.jsonl").write_text("")
    cut, urls = first_articles(EvalSet("rt", "realtimeqa", folder / "queries.jsonl", folder / "articles.jsonl"), 2, tmp_path / "c")
    assert urls == {"https://x/0", "https://x/1"} and len(cut.articles.read_text().splitlines()) == 2
    assert cut.name == "rt-first2"
    inside = QAItem("a", "q", "A", "multiple_choice", answer_urls=("https://x/4", "https://x/1"))
    outside = QAItem("b", "q", "B", "multiple_choice", answer_urls=("https://x/4",))
    assert keeps_question(inside, urls) and not keeps_question(outside, urls)
