"""Scoring one Answer against its gold: accuracy, citations, abstention. Pure functions.

Accuracy (MultiHop-RAG and the sample set): a null question is right when declined; a
Yes/No question when the answer's verdict matches (an answer with no verdict, or with
both, is wrong); any other question when the gold short answer occurs in the answer.
An answerable question declined is wrong.

RealTimeQA open accuracy: the answer names the right choice and no other choice.

Citations: a cited sentence is right when it contains a gold fact or a gold fact
contains it (whitespace removed, as MultiHop-RAG matches evidence); citation recall is
the share of a question's gold facts cited at least once. supported_share: answer
sentences whose markers point at a citation that passed the support check.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from eval.retrieval_metrics import squash
from newsdesk.citations import MARKER

# Inside a sentence, "no" is a verdict only standing alone ("..., no.") - not in "no evidence".
_VERDICT = re.compile(r"\b(yes)\b|\b(no)\b(?=\s*(?:[,.;:!?)]|$))", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def norm(text: str) -> str:
    """Casefolded, markers removed, whitespace runs as one space, quotes unified."""
    text = MARKER.sub(" ", text).replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).casefold()


def gold_verdict(answer: str) -> str | None:
    """'yes' or 'no' when the gold answer is a bare Yes/No, else None."""
    word = norm(answer).strip(" .!")
    return word if word in ("yes", "no") else None


def verdict(answer: str) -> str | None:
    """The answer's Yes/No verdict: its leading word when that is yes/no and the other word
    doesn't also lead a sentence; else the only one of the two words it uses; else None."""
    text = norm(answer)
    leads = {m.group(1) for s in _SENTENCE_END.split(text) if (m := re.match(r"\W*(yes|no)\b", s))}
    if len(leads) == 1:
        return leads.pop()
    if leads:
        return None
    found = {(m.group(1) or m.group(2)).lower() for m in _VERDICT.finditer(text)}
    return found.pop() if len(found) == 1 else None


def contains_answer(answer: str, gold: str) -> bool:
    """The gold short answer occurs in the answer (case, whitespace and markers ignored)."""
    needle = norm(gold).rstrip(".")
    return bool(needle) and needle in norm(answer)


def multihop_correct(answer: dict[str, Any], gold: str, is_null: bool) -> bool:
    """MultiHop-RAG accuracy of one Answer dict (see the module docstring)."""
    if is_null:
        return bool(answer["abstained"])
    if answer["abstained"]:
        return False
    expected = gold_verdict(gold)
    if expected is not None:
        return verdict(answer["answer"]) == expected
    return contains_answer(answer["answer"], gold)


def named_choices(answer: str, choices: Sequence[str]) -> list[str]:
    """The choices an answer names; a choice inside a longer named choice doesn't count twice."""
    text = norm(answer)
    found = []
    for choice in sorted(choices, key=len, reverse=True):
        needle = norm(choice)
        if needle and re.search(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", text):
            found.append(choice)
            text = text.replace(needle, " ")
    return found


def open_correct(answer: dict[str, Any], gold: str, choices: Sequence[str]) -> bool:
    """RealTimeQA open accuracy: not declined, names the right choice and no other."""
    if answer["abstained"]:
        return False
    named = named_choices(answer["answer"], choices or [gold])
    return named == [gold] or (len(named) == 1 and norm(named[0]) == norm(gold))


def cites_fact(sentence: str, fact: str) -> bool:
    """A cited sentence matches a gold fact: one contains the other, whitespace removed."""
    s, f = squash(sentence), squash(fact)
    return bool(s and f) and (f in s or s in f)


def citation_scores(answer: dict[str, Any], facts: Sequence[str]) -> tuple[int, int, int, int]:
    """(right citations, citations, gold facts cited, gold facts) for one Answer dict.

    A computed fact newsdesk states (publication order, a side not found) is no article
    sentence: it is neither a right nor a wrong citation of the gold evidence.
    """
    cited = [c["sentence"] for c in answer.get("citations", []) if not c.get("computed")]
    right = sum(any(cites_fact(s, f) for f in facts) for s in cited)
    found = sum(any(cites_fact(s, f) for s in cited) for f in facts)
    return right, len(cited), found, len(facts)


def supported_sentences(answer: dict[str, Any]) -> tuple[int, int]:
    """(answer sentences citing a supported sentence, answer sentences); (0, 0) for an abstention."""
    if answer["abstained"]:
        return 0, 0
    ok = {c["n"] for c in answer.get("citations", []) if c.get("supported")}
    sentences = [s for s in _SENTENCE_END.split(answer["answer"].strip()) if s.strip()]
    good = 0
    for sentence in sentences:
        numbers = {int(n) for m in MARKER.finditer(sentence) for n in re.findall(r"\d+", m.group(0))}
        good += bool(numbers & ok)
    return good, len(sentences)
