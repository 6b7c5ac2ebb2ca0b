import json

import pytest

from eval.datasets import load_dataset, load_multihop, load_realtimeqa
from eval.retrieval_metrics import (
    all_evidence_at_k,
    answer_recall_at_k,
    answer_report,
    evidence_recall_at_k,
    evidence_report,
    fact_ranks,
    hits_at_k,
    mrr_at_k,
    squash,
)

FACT_A = "Copper rose to a record  $11,200 a tonne."
FACT_B = "Antimony prices quadrupled."
PASSAGES = [
    "Nothing relevant here.",
    "Intro. Copper rose to a record $11,200\na tonne. More text.",
    "Other text.",
    "Antimony prices\tquadrupled.",
]


def test_squash_removes_all_whitespace():
    assert squash(" a b\tc\nd\u00a0e ") == "abcde"


def test_fact_ranks_match_after_whitespace_removal():
    assert fact_ranks(PASSAGES, [FACT_A, FACT_B, "missing fact"]) == [2, 4, None]


def test_hits_and_mrr():
    facts = [FACT_A, FACT_B]
    assert hits_at_k(PASSAGES, facts, 1) == 0.0
    assert hits_at_k(PASSAGES, facts, 2) == 1.0
    assert mrr_at_k(PASSAGES, facts, 10) == 0.5
    assert mrr_at_k(PASSAGES, facts, 1) == 0.0
    # The first hit counts, whichever fact it is.
    assert mrr_at_k(PASSAGES, [FACT_B, FACT_A], 10) == 0.5


def test_evidence_recall_and_all_evidence():
    facts = [FACT_A, FACT_B]
    assert evidence_recall_at_k(PASSAGES, facts, 2) == 0.5
    assert evidence_recall_at_k(PASSAGES, facts, 4) == 1.0
    assert all_evidence_at_k(PASSAGES, facts, 3) == 0.0
    assert all_evidence_at_k(PASSAGES, facts, 4) == 1.0
    with pytest.raises(ValueError):
        evidence_recall_at_k(PASSAGES, [], 4)


def test_answer_recall_is_case_insensitive_and_top_k_only():
    passages = ["The winner was Ron  DeSantis.", "Detroit LIONS won."]
    assert answer_recall_at_k(passages, "ron desantis", 1) == 1.0
    assert answer_recall_at_k(passages, "Detroit Lions", 1) == 0.0
    assert answer_recall_at_k(passages, "Detroit Lions", 2) == 1.0
    assert answer_recall_at_k(passages, "Taiwan", 2) == 0.0


def test_reports_average_and_skip_null_queries():
    runs = [
        (PASSAGES, [FACT_A, FACT_B]),  # first hit at 2, both found by 4
        (["x", FACT_B], [FACT_B]),  # first hit at 2
        (["x"], []),  # a null query: left out
    ]
    report = evidence_report(runs, ks=(1, 4))
    assert report["questions"] == 2
    assert report["hits@1"] == 0.0 and report["hits@4"] == 1.0
    assert report["mrr@4"] == pytest.approx(0.5)
    assert report["evidence_recall@4"] == 1.0 and report["all_evidence@1"] == 0.0
    answers = answer_report([(["Taiwan elected"], "taiwan"), (["no"], "Texas"), (["x"], "")], ks=(1,))
    assert answers == {"questions": 2, "answer_recall@1": 0.5}


def _write(path, rows):
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")


def test_loaders_map_both_formats(tmp_path):
    mh = tmp_path / "mh"
    mh.mkdir()
    _write(mh / "queries.jsonl", [
        {"qid": "q1", "query": "Which company?", "question_type": "inference_query", "answer": "Google",
         "evidence_list": [{"fact": "Fact one.", "url": "https://a"}, {"fact": "Fact two.", "url": "https://b"}]},
        {"qid": "q2", "query": "Which jersey?", "question_type": "null_query",
         "answer": "Insufficient information.", "evidence_list": []},
    ])
    items = load_multihop(mh)
    assert items[0].facts == ("Fact one.", "Fact two.") and items[0].answer_urls == ("https://a", "https://b")
    assert not items[0].is_null and items[1].is_null
    rt = tmp_path / "rt.jsonl"
    _write(rt, [{"qid": "r1", "question": "Which state?", "choices": ["Texas", "Ohio"], "answer": "Texas",
                 "answer_doc_urls": ["https://c"]}])
    (item,) = load_realtimeqa(rt)
    assert (item.answer, item.choices, item.answer_urls, item.facts) == ("Texas", ("Texas", "Ohio"), ("https://c",), ())
    assert load_dataset("realtimeqa", rt) == [item]
    with pytest.raises(ValueError):
        load_dataset("nope", rt)


def test_loader_reads_the_sample_qa_set():
    from tests.conftest import REPO

    items = load_dataset("sample", REPO / "data" / "sample" / "qa.jsonl")
    assert len(items) == 27 and all(i.question for i in items)
    assert sum(i.is_null for i in items) == 4
