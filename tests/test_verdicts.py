"""Verdicts from probabilities: which questions are yes/no, reading the options'
probabilities, the decision rule, and the reply composed from the involved articles."""

from __future__ import annotations

import math

import pytest

from newsdesk.context import Candidate
from newsdesk.verdicts import (
    INSUFFICIENT_MIN,
    Reading,
    compose_reply,
    decide,
    involved,
    is_yes_no,
    read_logprobs,
    read_text,
)
from newsdesk.verify import verify_reply


@pytest.mark.parametrize(
    "question",
    [
        "Did the US delegation hold minerals talks in Islamabad?",
        "Does the TechCrunch article and the Verge article both report that Google paid Apple?",
        "Between the report from The Verge on 2023-11-24 and the report from Wired on 2023-11-25, was there consistency in the focus?",
        "After TechCrunch reported on Google's hardware event, did TechCrunch's report on the suit indicate a change?",
        "According to Fortune, has the perspective on housing affordability changed between October and December?",
        "Did the U.S. Senate pass the bill?",
        "Hegseth is under scrutiny. Did the Senate confirm him?",
        "Does the Verge article say Google's deals are unnecessary, or do the articles disagree?",
    ],
)
def test_yes_no_questions(question):
    assert is_yes_no(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who led the US delegation that visited Islamabad?",
        "Which company, according to TechCrunch and The Verge, was sued?",
        "Considering the articles from The Verge and CNET, which feature, highlighted as an upgrade, is represented by a letter?",
        "A Confederate monument in Decatur, Georgia, was replaced with a statue of which civil rights leader?",
        "Hegseth is under scrutiny. Which department was he tapped to lead?",
        "Was the information about Brandon Pfaadt starting the game consistent or inconsistent?",
        "Did the LME copper price rise or fall between October and November?",
        "",
    ],
)
def test_not_yes_no_questions(question):
    assert not is_yes_no(question)


def test_read_logprobs_sums_the_spellings_of_each_option_and_normalises():
    top = [("Yes", math.log(0.5)), (" yes", math.log(0.1)), ("No", math.log(0.2)), ("Ins", math.log(0.1)), ("The", math.log(0.1))]
    reading = read_logprobs(top)
    assert reading.source == "logprobs" and reading.mass == pytest.approx(0.9)
    assert reading.probs == pytest.approx({"Yes": 0.6 / 0.9, "No": 0.2 / 0.9, "Insufficient": 0.1 / 0.9})
    assert reading.decision() == "Yes"


def test_read_logprobs_none_when_the_model_ignored_the_format():
    assert read_logprobs([("The", math.log(0.9)), ("Yes", math.log(0.05))]) is None
    assert read_logprobs([]) is None


@pytest.mark.parametrize(
    "reply, option",
    [("Yes", "Yes"), ("no.", "No"), ("INSUFFICIENT", "Insufficient"), ("**Insufficient**", "Insufficient"), ("Yes, both do [1][2].", "Yes")],
)
def test_read_text_takes_the_first_word(reply, option):
    reading = read_text(reply)
    assert reading.source == "text" and reading.probs[option] == 1.0 and sum(reading.probs.values()) == 1.0


@pytest.mark.parametrize("reply", ["", "Maybe", "The articles say yes"])
def test_read_text_none_without_an_option_first(reply):
    assert read_text(reply) is None


def test_decide_insufficient_from_the_threshold_else_the_likelier_of_yes_and_no():
    assert decide({"Yes": 0.5, "No": 0.2, "Insufficient": 0.3}, threshold=0.3) == "Insufficient"
    assert decide({"Yes": 0.2, "No": 0.51, "Insufficient": 0.29}, threshold=0.3) == "No"
    assert decide({"Yes": 0.4, "No": 0.4, "Insufficient": 0.2}, threshold=0.3) == "Yes"
    assert decide({"Yes": 0.1, "No": 0.1, "Insufficient": 0.8}, threshold=0.9) == "Yes"
    assert 0 < INSUFFICIENT_MIN < 1
    assert Reading({"Yes": 0.1, "No": 0.1, "Insufficient": 0.8}, "logprobs").decision() == "Insufficient"
    assert Reading({"Yes": 0.9, "No": 0.1, "Insufficient": 0.0}, "logprobs").decision() == "Yes"


def _cand(doc: str, source: str, text: str, overlap: float, start: int = 0) -> Candidate:
    return Candidate(doc, f"{doc} title", source, "2023-10-01", "", start, start + len(text), text, score=overlap, overlap=overlap)


SHOWN = [
    _cand("a1", "TechCrunch", "Google paid Apple $18 billion to stay the default search engine.", 0.6),
    _cand("a1", "TechCrunch", "The trial continues next week.", 0.1, 100),
    _cand("a2", "TechCrunch", "Google's search deal with Apple is under scrutiny in the antitrust trial.", 0.5),
    _cand("b1", "The Verge", "Apple defended its Google search deal in court on Tuesday.", 0.55),
    _cand("c1", "Wired", "Wired reviewed power banks for Black Friday.", 0.05),
]


def test_involved_takes_each_named_publisher_as_often_as_named():
    once = "Does the TechCrunch article and The Verge article both report on Google's search deal with Apple?"
    assert involved(once, SHOWN) == [0, 3]
    twice = "Between the TechCrunch report on the deal and the TechCrunch report on the trial, was there a change?"
    assert involved(twice, SHOWN) == [0, 2]


def test_involved_without_named_publishers_adds_a_second_article_only_for_new_question_words():
    assert involved("Did Google pay Apple to stay the default search engine?", SHOWN) == [0]
    assert involved("Did Google pay Apple billions, and did Apple defend the deal in court on Tuesday?", SHOWN) == [0, 3]


def test_compose_reply_is_the_verdict_then_the_cited_sentences_and_passes_verification():
    question = "Does the TechCrunch article and The Verge article both report on Google's search deal with Apple?"
    reply = compose_reply("Yes", question, SHOWN)
    assert reply == (
        "Yes: Google paid Apple $18 billion to stay the default search engine [1]; "
        "Apple defended its Google search deal in court on Tuesday [4]."
    )
    verdict = verify_reply(question, reply, SHOWN)
    assert not verdict.abstained and verdict.answer.startswith("Yes:")
    assert [c.doc_id for c in verdict.citations] == ["a1", "b1"] and all(c.supported for c in verdict.citations)
    assert compose_reply("No", question, SHOWN).startswith("No: ")
    assert compose_reply("Insufficient", question, SHOWN) == "INSUFFICIENT"
    assert verify_reply(question, "INSUFFICIENT", SHOWN).abstained
    assert compose_reply("Yes", question, []) == "INSUFFICIENT"


def test_involved_prefers_the_section_named_in_full_and_skips_weak_articles():
    shown = [
        _cand("h1", "FOX News - Health", "Influenza can set you up for rare but serious complications.", 0.5),
        _cand("h2", "FOX News - Health", "GLP-1 medications carry a rare risk of serious complications.", 0.45),
        _cand("l1", "FOX News - Lifestyle", "A pastor spoke about positive thinking and health.", 0.3),
        _cand("l2", "FOX News - Lifestyle", "Students spoke about college life.", 0.3),
    ]
    question = "Does the FOX News - Health article on influenza disagree with the FOX News - Health article on GLP-1 medications?"
    assert involved(question, shown) == [0, 1]
    weak = [shown[0], _cand("s1", "Sporting News", "The Buffs take the first lead of the game.", 0.1)]
    assert involved("Does the FOX News - Health article and the Sporting News report agree on influenza?", weak) == [0]
