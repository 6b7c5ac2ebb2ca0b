"""The support check measured on labelled pairs: counting, and the hard pairs' floor."""

import json
from pathlib import Path

from eval.support_check import evaluate_pairs

HARD_PAIRS = Path(__file__).resolve().parents[1] / "data" / "sample" / "hard_pairs.jsonl"


def test_pairs_are_counted_by_label_and_kind(tmp_path):
    pairs = tmp_path / "pairs.jsonl"
    rows = [
        {"question": "q", "claim": "a", "sentence": "s", "supported": True, "kind": "true paraphrase"},
        {"question": "q", "claim": "b", "sentence": "s", "supported": False, "kind": "negation"},
        {"question": "q", "claim": "c", "sentence": "s", "supported": False, "kind": "negation"},
    ]
    pairs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    said = {"a": True, "b": True, "c": False}
    out = evaluate_pairs(pairs, check=lambda claim, sentences, question: said[claim])
    assert (out["pairs"], out["positives"], out["negatives"]) == (3, 1, 2)
    assert (out["precision"], out["recall"], out["accuracy"]) == (0.5, 1.0, 0.667)
    assert out["errors_by_kind"] == {"negation": "1/2", "true paraphrase": "0/1"}


def test_hard_pairs_are_well_formed_and_the_check_holds_its_floor():
    rows = [json.loads(line) for line in HARD_PAIRS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 60
    kinds = {r["kind"] for r in rows}
    assert kinds == {"predicate swap", "wrong subject", "same number about another thing", "negation", "true paraphrase"}
    assert all(set(r) == {"question", "claim", "sentence", "supported", "kind"} for r in rows)
    # Measured when the structured check was written: precision 0.90, recall 0.82.
    out = evaluate_pairs(HARD_PAIRS)
    assert out["precision"] >= 0.9 and out["recall"] >= 0.8


def test_the_kind_of_answer_a_question_asks_for_is_not_claimed_of_the_answer():
    # "Who is the individual ...": the evidence need not call Bankman-Fried an individual.
    from newsdesk.citations import supports

    question = ("Who is the individual facing a criminal trial on fraud charges, accused of misusing "
                "customer funds from a cryptocurrency exchange?")
    sentence = ("The highly anticipated criminal trial for Sam Bankman-Fried, former CEO of bankrupt crypto "
                "exchange FTX, started Tuesday to determine whether he's guilty of seven counts of fraud.")
    assert supports("Sam Bankman-Fried is the individual facing a criminal trial on fraud charges", [sentence], question)
    # Another name's trial still does not support it.
    other = "The criminal trial for Caroline Ellison, former CEO of Alameda, started Tuesday on fraud charges."
    assert not supports("Sam Bankman-Fried is the individual facing a criminal trial on fraud charges", [other], question)
