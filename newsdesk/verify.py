"""Check the LLM's reply: parse markers, check each claim's support, or abstain -> a Verdict.

Claims are checked one by one (`newsdesk.citations.support_score`): a supported answer
sentence keeps its citations; one that isn't keeps only its supported clauses, cut back
to their longest supported form. When nothing survives, a sentence the model cited that
clearly answers the question is quoted; otherwise the answer is an abstention.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ingest.sentences import split_sentences
from newsdesk.answer import ABSTAIN_TEXT, Citation
from index.text import STOPWORDS, content_terms, specifics
from newsdesk.citations import (
    SUPPORT_THRESHOLD,
    marker_numbers,
    normalise_markers,
    strip_markers,
    support_score,
)
from newsdesk.context import Candidate
from newsdesk.sides import ORDER_FACT_START, order_agrees

@dataclass
class Verdict:
    """A checked reply: the answer text (markers numbered as the shown sentences are), its citations, or an abstention."""

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
    facts = [s for s in sentences if s.startswith(ORDER_FACT_START)]
    if facts:  # a computed order line supports only an order it agrees with
        verdict = is_verdict(question, claim)
        for fact in facts:
            agrees = order_agrees(question if verdict else claim, fact)
            if agrees is not None and agrees != (not verdict or claim.strip().lower().startswith("yes")):
                return 0.0
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


Refs = list[tuple[int, bool]]  # (shown index, supported) per citation of one claim


def _refs(claim: str, valid: list[int], shown: list[Candidate], question: str) -> Refs | None:
    """The claim's citations when its cited sentences, or another shown one, support it."""
    if valid and _score(claim, [shown[i].text for i in valid], question) >= SUPPORT_THRESHOLD:
        claim_terms = content_terms(question if is_verdict(question, claim) else claim)
        return [(i, bool(claim_terms & content_terms(shown[i].text))) for i in valid]
    best, score = _best(claim, shown, question)
    return [(best, True)] if score >= SUPPORT_THRESHOLD else None


# Where an answer sentence splits into clauses that can stand alone, and where a trailing
# detail ("on Friday, 31 October", ", who heads the forum", "in Islamabad") can be cut off.
_COORDINATE = re.compile(r"\s*;\s*|,?\s+(?:while|whereas)\s+|,\s+(?:and|but|yet)\s+", re.IGNORECASE)
_TRAILING = re.compile(
    r",|\s+(?:and|which|who|whose|where|when|that|as|after|before|during|since|until|on|in|at|from|to|for|by|with|"
    r"amid|including|according)\b|\s+\(",
    re.IGNORECASE,
)
_SUBORDINATE = re.compile(r"^(if|when|while|although|though|because|as|since|after|before|unless|whether|and|but|or)\b", re.IGNORECASE)
_DANGLING = re.compile(r"\b(the|a|an|of|to|and|or|but|than|with|by|its|their|his|her|is|are|was|were)$", re.IGNORECASE)
_SUBJECT_START = re.compile(r"^(the|a|an|it|its|they|their|he|she|his|her|this|these|those|there)\b", re.IGNORECASE)


def _standalone(text: str) -> bool:
    """True when a clause can be read as a sentence: a few words, not a fragment."""
    words = text.split()
    return len(words) >= 3 and not _SUBORDINATE.match(text) and not _DANGLING.search(text)


def _shortenings(clause: str) -> list[str]:
    """The clause with trailing details cut off, longest first."""
    cuts = sorted({m.start() for m in _TRAILING.finditer(clause) if m.start() > 0}, reverse=True)
    out = [clause[:cut].rstrip(" ,;:-") for cut in cuts]
    return [c for c in dict.fromkeys(out) if _standalone(c)]


def _claim_parts(claim: str) -> list[str]:
    """The clauses of an answer sentence that can stand alone as sentences, in order.

    A piece after ", and" / ", but" that doesn't start with a subject (", and met the
    minister") stays joined to the clause before it.
    """
    pieces = re.split(f"({_COORDINATE.pattern})", claim, flags=re.IGNORECASE)
    parts = [pieces[0].strip()]
    for sep, piece in zip(pieces[1::2], pieces[2::2]):
        piece = piece.strip()
        coordinated = re.search(r"\b(and|but|yet)\b", sep, re.IGNORECASE)
        verb_phrase = coordinated and not (piece[:1].isupper() or piece[:1] in "$0123456789" or _SUBJECT_START.match(piece))
        if piece and not verb_phrase:
            parts.append(piece)
        else:
            parts[-1] = f"{parts[-1]}{sep}{piece}"
    return [p for p in parts if p]


def _checked(claim: str, valid: list[int], shown: list[Candidate], question: str) -> list[tuple[str, Refs, bool]]:
    """(text, citations, supported) for one answer sentence.

    Each clause that can stand alone must be supported on its own. A clause that isn't is
    cut back to its longest supported form, or dropped; a sentence with no supported
    clause stays whole with its citations flagged unsupported.
    """
    parts = _claim_parts(claim)
    kept = []
    for k, part in enumerate(parts):
        for candidate in [part, *_shortenings(part)]:
            refs = _refs(candidate, valid, shown, question)
            if refs is not None:
                kept.append((candidate[0].upper() + candidate[1:] if k else candidate, refs, True))
                break
    if len(kept) == len(parts) and all(text.lower() == part.lower() for (text, _, _), part in zip(kept, parts)):
        merged = list(dict.fromkeys(ref for _, refs, _ in kept for ref in refs))
        return [(claim, merged, True)]
    return kept or [(claim, [(i, False) for i in valid], False)]


# Another sentence of an article a claim already cites is added only when the claim's
# support with it rises by at least this much (a sentence of another article always is).
COMPLETION_GAIN = 0.1


def complete_refs(claim: str, refs: Refs, shown: list[Candidate], question: str) -> Refs:
    """The other shown sentences that support a supported claim too, as (index, True).

    A sentence is added when it supports the claim on its own, holds every number, name
    and date of the claim (the support check lets the question's own go unsupported, so
    "the Sorcerer builds" would back "the Barbarian builds" for a question naming both),
    and it is from an article the claim doesn't cite yet or raises the claim's support by
    `COMPLETION_GAIN`. A bare "Yes"/"No" keeps the sentences it was given: the question's
    words, which decide its support, are in many shown sentences that don't bear on it.
    """
    held = [i for i, ok in refs if ok]
    if not held or is_verdict(question, claim):
        return []
    taken = {i for i, _ in refs}
    docs = {shown[i].doc_id for i in held}
    texts = [shown[i].text for i in held]
    base = _score(claim, texts, question)
    extra: Refs = []
    wanted = specifics(claim)
    for j, cand in enumerate(shown):
        if j in taken or not wanted <= content_terms(cand.text) | specifics(cand.text):
            continue
        if _score(claim, [cand.text], question) < SUPPORT_THRESHOLD:
            continue
        if cand.doc_id in docs and _score(claim, [*texts, cand.text], question) < base + COMPLETION_GAIN:
            continue
        extra.append((j, True))
        docs.add(cand.doc_id)
        texts.append(cand.text)
        base = _score(claim, texts, question)
    return extra


def verify_reply(question: str, reply: str, shown: list[Candidate], *, complete: bool = True) -> Verdict:
    """Check the reply against the sentences the LLM was shown (numbered from 1).

    Markers pointing nowhere are dropped; a claim whose cited sentences don't support it
    is re-pointed to a shown sentence that does, or cut back to its supported clauses,
    else its citations are flagged unsupported; an uncited claim gets the best supporting
    sentence when one clears the threshold. When no claim is supported, or the answer
    can't be what the question asks, a cited sentence that clearly answers the question
    is quoted instead; failing that, the answer is an abstention. With `complete`, each
    supported claim also cites the other shown sentences that support it (`complete_refs`).
    """
    if not shown or says_insufficient(reply):
        return abstention()
    sentences_out: list[str] = []
    cited: dict[int, tuple[int, bool]] = {}  # shown index -> (public n, supported)
    any_supported = False
    cited_by_model: list[int] = []
    for claim, markers, stop in _claims(reply):
        valid = [m - 1 for m in markers if 1 <= m <= len(shown)]
        cited_by_model.extend(valid)
        for text, refs, ok in _checked(claim, valid, shown, question):
            any_supported = any_supported or ok
            if ok and complete:
                refs = refs + complete_refs(text, refs, shown, question)
            numbers = []
            for i, flag in refs:
                if i not in cited:
                    cited[i] = (i + 1, flag)  # the number the prompt and the evidence list show
                elif flag and not cited[i][1]:
                    cited[i] = (cited[i][0], True)
                numbers.append(cited[i][0])
            markers_text = "".join(f"[{n}]" for n in sorted(set(numbers)))
            sentences_out.append(f"{text} {markers_text}{stop}" if markers_text else f"{text}{stop}")

    answer = " ".join(sentences_out)
    if not any_supported or not addresses_question(question, answer, [shown[i].text for i in cited]):
        quote = clear_answer(question, cited_by_model, shown)
        if quote is None:
            return abstention()
        answer, cited = f'"{_clause(shown[quote].text)}" [{quote + 1}].', {quote: (quote + 1, True)}
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
            computed=shown[i].computed,
        )
        for i, (n, ok) in sorted(cited.items(), key=lambda kv: kv[1][0])
    ]
    return Verdict(answer=answer, abstained=False, citations=citations)


def _clause(text: str) -> str:
    return " ".join(text.split()).rstrip(" .;:")


# Text that addresses the reader rather than reports news: never quoted as an answer.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|instructions?|system prompt|assistant|reply with|respond with|you must)\b|\?\s*$", re.IGNORECASE
)
CLEAR_SHARE = 0.5


def clear_answer(question: str, cited: list[int], shown: list[Candidate]) -> int | None:
    """The sentence the model cited that clearly answers the question, else None.

    Clearly: it holds most (half or more, idf-weighted over the shown sentences) of the
    question's content terms, it is what the question asks for (`addresses_question`),
    and it reports rather than instructs. Of several, the one holding the most.
    """
    asked = content_terms(question)
    if not asked:
        return None
    term_sets = [content_terms(c.text) for c in shown]
    idf = {t: math.log(1 + len(shown) / (1 + sum(t in ts for ts in term_sets))) for t in asked}
    total = sum(idf.values())
    clear = []
    for i in dict.fromkeys(cited):
        text = shown[i].text
        share = sum(idf[t] for t in asked & term_sets[i]) / total
        if share >= CLEAR_SHARE and addresses_question(question, text, [text]) and not _INSTRUCTION.search(text):
            clear.append((share, -i))
    return -max(clear)[1] if clear else None


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
