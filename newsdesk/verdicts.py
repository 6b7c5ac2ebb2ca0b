"""Yes/no questions answered from probabilities: one constrained token, a calibrated rule,
and a reply composed from the sentences that back it.

The engine asks the LLM (prompt `prompts/verdict.txt`) for one word - Yes, No or
Insufficient - and reads the three options' probabilities from the first generated token's
top log-probabilities (llama.cpp, OpenAI-compatible servers), or from the word it wrote
when the backend gives none (Ollama, the fake). `decide` turns them into a verdict;
`compose_reply` writes "Yes: <sentence> [1]; <sentence> [3]." from the best sentence of
each article the question involves, which `verify_reply` then checks like any reply.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from index.text import content_terms
from newsdesk.context import Candidate
from newsdesk.sides import named_sources

OPTIONS = ("Yes", "No", "Insufficient")
INSUFFICIENT_REPLY = "INSUFFICIENT"

# Calibrated on MultiHop-RAG dev, the 98 yes/no questions outside the 40-question eval
# sample, each scored with its own retrieved sentences and with another question's (no
# article in common: unanswerable by construction). Even then the model seldom puts most
# of its probability on Insufficient (it says No: "beats Yes and No" declined 14% of the
# swapped contexts), but p(Insufficient) alone separates the two. The cut is the lowest
# that declines at most 5% of the questions with their own sentences (a bound on false
# declines): 0.30 declines 4% of those and 55% of the swapped ones. RealTimeQA has no
# yes/no questions to calibrate on.
INSUFFICIENT_MIN = 0.30
# Under this share of the first token's probability on the three options the model did
# not take the format, and the engine falls back to the free-form answer prompt.
MIN_OPTION_MASS = 0.2

_AUX = r"(?:does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)"
_WH = re.compile(r"^\W*(?:what|which|who|whom|whose|where|when|why|how)\b", re.IGNORECASE)
_LEADING_AUX = re.compile(rf"^\W*{_AUX}\b", re.IGNORECASE)
# "Between the report of A and that of B, was there ...?", "According to X, has ...?": the
# auxiliary after a fronted adverbial phrase, which opens with one of these words.
_CLAUSE_AUX = re.compile(rf",\s+{_AUX}\s", re.IGNORECASE)
_ADVERBIAL = re.compile(
    r"^\W*(?:after|before|between|following|according|considering|given|based|in|on|at|since|when|while|"
    r"as|from|during|with|regarding|comparing|by|despite|although|though|if|once|over|amid|across|unlike|"
    r"like|beyond|within|under|throughout|until|upon|per)\b",
    re.IGNORECASE,
)
# Where a question of its own starts after some context ("... misconduct. Which ...?").
_LAST_SENTENCE = re.compile(
    r"(?<=[a-z]{2}[.!?])\s+(?=(?:What|Which|Who|Whom|Whose|Where|When|Why|How|Does|Do|Did|Is|Are|Was|Were|"
    r"Has|Have|Had|Can|Could|Will|Would|Should)\b)"
)
# A choice between two opposite answers is not a yes/no question: "... consistent or
# inconsistent?", "did prices rise or fall?" (the expected answer is one of the two words).
_CHOICE_PAIR = re.compile(r"\b([a-z]+)\s+or\s+([a-z]+)\b", re.IGNORECASE)
_NEGATING = ("in", "un", "non", "dis", "im", "ir", "il")
_OPPOSITES = {
    frozenset(pair.split("/"))
    for pair in """rise/fall rose/fell risen/fallen increase/decrease increased/decreased up/down higher/lower
    more/less better/worse gain/lose win/lose won/lost before/after earlier/later true/false same/different
    similar/different positive/negative""".split()
}


def _opposites(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return any(b == p + a or a == p + b for p in _NEGATING) or frozenset((a, b)) in _OPPOSITES


def _main_clause_aux(question: str) -> bool:
    if _LEADING_AUX.match(question):
        return True
    if not _ADVERBIAL.match(question):
        return False
    for m in _CLAUSE_AUX.finditer(question):
        # "Considering A and B, which network, known for X, did ...": the aux belongs to a
        # wh-question whose wh-word opened an earlier part.
        if not any(_WH.match(part) for part in question[: m.start()].split(",")):
            return True
    return False


def is_yes_no(question: str) -> bool:
    """True when `question` asks for a Yes or a No.

    Its main clause opens with an auxiliary verb, at the start ("Did X ...?") or after an
    introductory phrase ("Between A and B, was there ...?"); a wh-question, or a choice
    between two answers ("consistent or inconsistent?"), is not yes/no.
    """
    q = _LAST_SENTENCE.split(question.strip())[-1]
    if not q or _WH.match(q):
        return False
    if any(_opposites(a, b) for a, b in _CHOICE_PAIR.findall(q)):
        return False
    return _main_clause_aux(q)


@dataclass(frozen=True)
class Reading:
    """The options' probabilities (summing to 1) and where they came from."""

    probs: dict[str, float]
    source: str  # "logprobs" or "text"
    mass: float = 1.0  # share of the first token's probability that fell on the options

    def decision(self, threshold: float = INSUFFICIENT_MIN) -> str:
        """Yes, No or Insufficient by `decide`."""
        return decide(self.probs, threshold)


def decide(probs: dict[str, float], threshold: float = INSUFFICIENT_MIN) -> str:
    """Insufficient when its probability reaches `threshold`, else the likelier of Yes and
    No (ties: Yes)."""
    yes, no, insufficient = (probs.get(o, 0.0) for o in OPTIONS)
    if insufficient >= threshold:
        return "Insufficient"
    return "Yes" if yes >= no else "No"


def _option_of(token: str) -> str | None:
    """The option a generated token starts ("Ye", " no", "INS" ...), if exactly one."""
    piece = token.strip().strip("*\"'`.:").lower()
    if not piece:
        return None
    found = [o for o in OPTIONS if o.lower().startswith(piece)]
    return found[0] if len(found) == 1 else None


def read_logprobs(top: Iterable[tuple[str, float]]) -> Reading | None:
    """The options' probabilities from the first token's (token, logprob) alternatives.

    Tokens that begin an option ("Yes", " yes", "Ins") add to it; the three sums are
    normalised. None when too little probability falls on the options.
    """
    sums = dict.fromkeys(OPTIONS, 0.0)
    for token, logprob in top:
        option = _option_of(token)
        if option is not None:
            sums[option] += math.exp(logprob)
    mass = sum(sums.values())
    if mass < MIN_OPTION_MASS:
        return None
    return Reading({o: p / mass for o, p in sums.items()}, "logprobs", round(mass, 4))


def read_text(reply: str) -> Reading | None:
    """The option the reply's first word names, as probability 1; None when it names none."""
    words = re.findall(r"[A-Za-z]+", reply)
    option = _option_of(words[0]) if words else None
    if option is None:
        return None
    return Reading({o: float(o == option) for o in OPTIONS}, "text")


def first_token_alternatives(logprobs: Any) -> list[tuple[str, float]]:
    """(token, logprob) pairs of the first generated token from a LlamaIndex ChatResponse's
    `logprobs` (a list per generated token of LogProb alternatives); [] when absent."""
    if not logprobs or not logprobs[0]:
        return []
    return [(lp.token, lp.logprob) for lp in logprobs[0]]


# -- the reply: the verdict, then the sentence of each article involved ----------------

def involved(question: str, shown: Sequence[Candidate], most: int = 4) -> list[int]:
    """Indices (into `shown`) of the best sentence of each article the question involves.

    The articles of the publishers the question names (as many of each publisher as it
    names it: "the TechCrunch report ... and the TechCrunch report ..."). When it names
    none: the best article, and the next one holding at least two of the question's
    content words that the first lacks (a second article the question needs). An article
    whose best sentence is less than half as relevant as the best article's is left out.
    """
    best: dict[str, int] = {}
    for i, cand in enumerate(shown):
        if cand.computed:
            continue
        j = best.get(cand.doc_id)
        if j is None or cand.overlap > shown[j].overlap:
            best[cand.doc_id] = i
    docs = sorted(best, key=lambda d: -shown[best[d]].score)
    if not docs:
        return []
    floor = max(shown[i].overlap for i in best.values()) / 2
    docs = [d for d in docs if shown[best[d]].overlap >= floor]
    sources = sorted({shown[best[d]].source for d in docs if shown[best[d]].source})
    picks: list[str] = []
    for source, times in named_sources(question, sources).items():
        picks += [d for d in docs if shown[best[d]].source == source][:times]
    if not picks:
        asked = content_terms(question)
        picks = [docs[0]]
        covered = asked & content_terms(shown[best[docs[0]]].text)
        for doc in docs[1:]:
            if len(asked & content_terms(shown[best[doc]].text) - covered) >= 2:
                picks.append(doc)
                break
    picks = sorted(picks, key=docs.index)[:most]
    return sorted(best[d] for d in picks)


def _clause(text: str) -> str:
    return " ".join(text.split()).rstrip(" .!?;:")


def compose_reply(decision: str, question: str, shown: Sequence[Candidate]) -> str:
    """The reply text for a decision: INSUFFICIENT, or the verdict word followed by the
    sentence of each involved article with its marker, then the facts newsdesk computed
    (publication order, a side not found) with theirs ("Yes: A [1]; B [3]; C [5].")."""
    if decision == "Insufficient":
        return INSUFFICIENT_REPLY
    picks = involved(question, shown)
    if not picks:
        return INSUFFICIENT_REPLY
    picks += [i for i, cand in enumerate(shown) if cand.computed]
    parts = [f"{_clause(shown[i].text)} [{i + 1}]" for i in picks]
    return f"{decision}: " + "; ".join(parts) + "."
