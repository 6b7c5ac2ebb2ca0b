"""Check the LLM's reply: parse markers, check each claim's support, or abstain -> a Verdict."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.sentences import split_sentences
from newsdesk.answer import ABSTAIN_TEXT, Citation
from index.text import STOPWORDS, content_terms
from newsdesk.citations import (
    SUPPORT_THRESHOLD,
    marker_numbers,
    normalise_markers,
    strip_markers,
    support_score,
)
from newsdesk.context import Candidate

@dataclass
class Verdict:
    """A checked reply: the answer text (markers renumbered 1..n), its citations, or an abstention."""

    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)


_INSUFFICIENT = re.compile(
    r"^\W*(insufficient|the (numbered )?(sentences|articles) do(es)? not|the articles don'?t say)",
    re.IGNORECASE,
)


def says_insufficient(reply: str) -> bool:
    """True when the model declined: INSUFFICIENT, or 'the articles do not ...' up front."""
    return bool(_INSUFFICIENT.match(reply.strip()))


def _claims(reply: str) -> list[tuple[str, list[int], str]]:
    """(text without markers, marker numbers, final punctuation) per answer sentence."""
    text = normalise_markers(" ".join(reply.split()))
    out = []
    for start, end in split_sentences(text):
        piece = text[start:end]
        markers = marker_numbers(piece)
        plain = strip_markers(piece)
        stop = plain[-1] if plain and plain[-1] in ".!?" else "."
        plain = plain.rstrip(".!?").rstrip()
        if plain:
            out.append((plain, markers, stop))
    return out


_YES_NO_QUESTION = re.compile(
    r"^\W*(does|do|did|is|are|was|were|has|have|had|can|could|will|would|should)\b", re.IGNORECASE
)
_VERDICT = re.compile(r"^\W*(yes|no)\W*$", re.IGNORECASE)


def is_verdict(question: str, claim: str) -> bool:
    """True when `claim` is a bare "Yes" or "No" answering a yes/no question."""
    return bool(_YES_NO_QUESTION.match(question) and _VERDICT.match(claim))


def _score(claim: str, sentences: list[str], question: str) -> float:
    """Support of a claim by sentences; a bare verdict takes its content from the question.

    "Yes [1][2]" claims what the question asks, so the cited sentences must be about
    that: together they must share at least two of the question's content words.
    """
    if is_verdict(question, claim):
        evidence: set[str] = set()
        for sentence in sentences:
            evidence |= content_terms(sentence)
        return 1.0 if len(content_terms(question) & evidence) >= 2 else 0.0
    return support_score(claim, sentences, question)


def _best(claim: str, shown: list[Candidate], question: str) -> tuple[int, float]:
    scores = [_score(claim, [c.text], question) for c in shown]
    if not scores:
        return -1, 0.0
    best = max(range(len(scores)), key=lambda i: scores[i])
    return best, scores[best]


def verify_reply(question: str, reply: str, shown: list[Candidate]) -> Verdict:
    """Check the reply against the sentences the LLM was shown (numbered from 1).

    Markers pointing nowhere are dropped; a claim whose cited sentences don't support it
    is re-pointed to a shown sentence that does, else its citations are flagged
    unsupported; an uncited claim gets the best supporting sentence when one clears the
    threshold. No supported claim at all means abstention.
    """
    if not shown or says_insufficient(reply):
        return abstention()
    sentences_out: list[str] = []
    cited: dict[int, tuple[int, bool]] = {}  # shown index -> (public n, supported)
    any_supported = False
    for claim, markers, stop in _claims(reply):
        valid = [m - 1 for m in markers if 1 <= m <= len(shown)]
        refs: list[tuple[int, bool]] = []
        if valid and _score(claim, [shown[i].text for i in valid], question) >= SUPPORT_THRESHOLD:
            claim_terms = content_terms(question if is_verdict(question, claim) else claim)
            for i in valid:
                refs.append((i, bool(claim_terms & content_terms(shown[i].text))))
        else:
            best, score = _best(claim, shown, question)
            if score >= SUPPORT_THRESHOLD:
                refs.append((best, True))
            else:
                refs.extend((i, False) for i in valid)
        if any(ok for _, ok in refs):
            any_supported = True
        numbers = []
        for i, ok in refs:
            if i not in cited:
                cited[i] = (len(cited) + 1, ok)
            elif ok and not cited[i][1]:
                cited[i] = (cited[i][0], True)
            numbers.append(cited[i][0])
        markers_text = "".join(f"[{n}]" for n in dict.fromkeys(numbers))
        sentences_out.append(f"{claim} {markers_text}{stop}" if markers_text else f"{claim}{stop}")

    if not any_supported:
        return abstention()
    if not addresses_question(question, " ".join(sentences_out), [shown[i].text for i in cited]):
        return abstention()
    citations = [
        Citation(
            n=n,
            doc_id=shown[i].doc_id,
            title=shown[i].title,
            source=shown[i].source,
            published_at=shown[i].published_at,
            url=shown[i].url,
            sentence=shown[i].text,
            start=shown[i].start,
            end=shown[i].end,
            supported=ok,
        )
        for i, (n, ok) in sorted(cited.items(), key=lambda kv: kv[1][0])
    ]
    return Verdict(answer=" ".join(sentences_out), abstained=False, citations=citations)


_QUANTITY = re.compile(
    r"\b(how (much|many)|what (percentage|share|proportion)|(price|cost|value|amount|worth)\b)",
    re.IGNORECASE,
)


_MONEY_QUESTION = re.compile(r"\b(costs?|prices?|priced|money|worth|pay|paid|spend|spent|budget)\b", re.IGNORECASE)
_MONEY = re.compile(
    r"[$€£¥₹]|\b(dollars?|euros?|pounds|yuan|rupees?|yen|usd|eur|gbp|cents?)\b", re.IGNORECASE
)
_HOW_MANY = re.compile(r"\bhow many ([A-Za-z][A-Za-z\-]*)", re.IGNORECASE)
# A count: a number (5, 5.2, 5.2m, 12bn), then within two words the counted word:
# "12 Israeli soldiers", "5.2 million tonnes" count; "$11,240 a tonne" is a rate, not a count.
_COUNT = re.compile(
    r"\d[\d,.]*(?:[a-z]{1,2}\b)?((?:[\s-]+[A-Za-z][A-Za-z\-]*){1,3})",
    re.IGNORECASE,
)
_RATE_WORDS = frozenset({"a", "an", "per", "each", "every"})


def _counts_in(text: str) -> set[str]:
    """The stemmed words that numbers in `text` count (up to three words after each number)."""
    counted: set[str] = set()
    for m in _COUNT.finditer(text):
        for word in re.split(r"[\s-]+", m.group(1).strip(" -")):
            if word.lower() in _RATE_WORDS:
                break  # "a tonne": what follows is a rate
            counted |= content_terms(word)
    return counted


def addresses_question(question: str, answer: str, cited: list[str] = ()) -> bool:
    """False when the answer can't be the quantity the question asks for.

    A quantity question answered without a number, a question about money answered without
    an amount of money, or "how many tonnes" answered with a number that neither the answer
    nor its cited sentences count in tonnes. (Measured on
    the sample set: the local model answers "What is the construction cost of X?" with a
    supported sentence about X that states no cost, and "How many tonnes of germanium...?"
    with a supported percentage.)
    """
    plain = strip_markers(answer)
    if _QUANTITY.search(question) and not re.search(r"\d", plain):
        return False
    if _MONEY_QUESTION.search(question) and not _MONEY.search(plain):
        return False
    unit = _HOW_MANY.search(question)
    if unit and unit.group(1).lower() not in STOPWORDS | {"times"}:
        wanted = content_terms(unit.group(1))
        counted = _counts_in(plain)
        for sentence in cited:
            counted |= _counts_in(sentence)
        if wanted and not wanted & counted:
            return False
    return True


def abstention() -> Verdict:
    """The plain 'the articles don't say' answer, citing nothing."""
    return Verdict(answer=ABSTAIN_TEXT, abstained=True)
