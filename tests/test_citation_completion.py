"""Citation completion: a supported claim cites every shown sentence that supports it."""

from __future__ import annotations

from newsdesk.context import Candidate
from newsdesk.verify import complete_refs, verify_reply


def _c(doc: str, text: str) -> Candidate:
    return Candidate(doc, f"Title {doc}", f"Source {doc}", "2024-03-02", "", 0, len(text), text)


SHOWN = [
    _c("a", "Copper rose 3% on Monday after a strike closed the Andina mine in Chile."),
    _c("a", "Traders said stocks in London warehouses were at a two-year low."),
    _c("b", "Copper rose 3% on Monday after a strike shut the Andina mine, traders said."),
    _c("c", "Zinc output in Peru recovered after repairs."),
]
Q = "Why did copper rise on Monday?"


def test_a_sentence_of_another_article_that_supports_the_claim_is_cited_too():
    verdict = verify_reply(Q, "Copper rose 3% on Monday after a strike closed the Andina mine [1].", SHOWN)
    assert verdict.answer.endswith("[1][3].")
    assert [(c.n, c.doc_id, c.supported) for c in verdict.citations] == [(1, "a", True), (3, "b", True)]


def test_completion_off_keeps_the_models_choice():
    verdict = verify_reply(Q, "Copper rose 3% on Monday after a strike closed the Andina mine [1].", SHOWN, complete=False)
    assert verdict.answer.endswith("[1].") and [c.n for c in verdict.citations] == [1]


def test_a_sentence_of_the_same_article_adding_nothing_is_not_added():
    refs = complete_refs("Copper rose 3% on Monday after a strike closed the Andina mine", [(0, True)], SHOWN[:2], Q)
    assert refs == []


def test_a_sentence_about_another_name_of_the_question_is_not_added():
    shown = [
        _c("a", "In this guide, we simplified the best Diablo 4 Sorcerer builds for season 2."),
        _c("b", "In this guide, we simplified the best Diablo 4 Barbarian builds for season 2."),
    ]
    q = "Did the Polygon guides for Sorcerer and Barbarian builds both simplify them?"
    assert complete_refs("The guide simplified the best Diablo 4 Barbarian builds for season 2", [(1, True)], shown, q) == []


def test_unsupported_claims_and_bare_verdicts_are_not_completed():
    assert complete_refs("Copper rose 3% on Monday", [(3, False)], SHOWN, Q) == []
    assert complete_refs("Yes", [(0, True)], SHOWN, "Did copper rise on Monday after the Andina strike?") == []
