"""Citation markers in an answer, and the check that a cited sentence supports its claim.

The support check is lexical (no NLI model can be had offline) but structured: it reads
claim and evidence as terms in order (`index.text.read_terms`: Snowball stems, irregular
past tenses and a few verbs news copy uses interchangeably - rose/climbed, fell/dropped -
read as one word; numbers, dates and names marked; clauses and negations found). A claim
is supported when the cited sentences

- are about the question (share a content word with it);
- hold every number, name and date the claim adds to the question, a person's given
  names aside when the sentence calls them by surname alone ("Bankman-Fried"), and
  don't hold a claimed name only inside another name ("Meridian Rare Earths" is not
  "Coral Bay Rare Earths");
- say what the claim says of each number and name of that same number or name: a word
  beside it in the claim must not belong to another number or name in the sentence
  ("$42 billion is needed" does not back "pledged $42 billion"; "output in Peru rose 3%,
  while Chile's fell" does not back "output in Chile rose 3%"), and for a number or name
  the claim adds, the word right beside a number, and the question's words it repeats
  beside it, must be in the sentence;
- don't deny what the claim asserts ("contain no cobalt" vs "contain cobalt") or assert
  what it denies;
- for a bare answer ("Sam Bankman-Fried", "$42 billion"), which claims what the question
  asks, say two terms of one part of the question near the answer;
- hold most (60%) of the claim's other new content words.

Measured by `eval/support_check.py` on the Q&A sets and `data/sample/hard_pairs.jsonl`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.text import Term, TermText, canonical_term, names_in, read_terms, term_distance

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKER_RUN = r"(?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])+"
# "claim. [1]" -> the marker belongs to the sentence before it.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])(" + _MARKER_RUN + r")")

SUPPORT_THRESHOLD = 0.6


@dataclass
class Claim:
    """One answer sentence and the marker numbers it carries."""

    text: str
    markers: list[int] = field(default_factory=list)


def normalise_markers(answer: str) -> str:
    """Move markers written after the full stop to before it: 'x. [1]' -> 'x [1].'."""
    def swap(m: re.Match) -> str:
        return " " + m.group(2).strip() + m.group(1)

    return _MARKERS_AFTER_STOP.sub(swap, answer)


def marker_numbers(text: str) -> list[int]:
    """All numbers in `[1]`, `[1][2]` and `[1, 2]` markers, in order, without repeats."""
    seen: list[int] = []
    for m in MARKER.finditer(text):
        for part in re.split(r"[,;]", m.group(1)):
            n = int(part)
            if n not in seen:
                seen.append(n)
    return seen


def strip_markers(text: str) -> str:
    """The text without markers, spacing tidied."""
    text = MARKER.sub("", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return re.sub(r"\s{2,}", " ", text).strip()


_TITLES = frozenset(
    "mr mrs ms dr minister president secretary judge senator governor chairman chairwoman chair chief "
    "executive director general premier sir dame lord professor prof ceo rep sen gov justice".split()
)
_SUFFIXES = frozenset("ii iii iv jr sr".split())
_WINDOW = 3  # content words either side of an anchor that say what the claim says about it
_MARGIN = 2  # a word nearer another anchor by more than this belongs to that one


# -- the checks --------------------------------------------------------------------------


def _given_names_forgiven(claim: TermText, evidence: list[TermText]) -> set[str]:
    """Given names the evidence may leave out: it names the person by surname alone.

    The evidence's name around that surname must add nothing but titles ("Minister
    Aurangzeb" is Muhammad Aurangzeb; "Coral Bay Rare Earths" is not Meridian Rare Earths).
    """
    forgiven: set[str] = set()
    for run in claim.runs():
        heads = [t for t in run if t.raw.lower() not in _SUFFIXES]
        if len(run) < 2 or not heads:
            continue
        surname, own = heads[-1].term, {t.term for t in run}
        for text in evidence:
            for i, tok in enumerate(text.tokens):
                if tok.term != surname or tok.kind != "name":
                    continue
                j = i - 1
                while j >= 0 and text.tokens[j].run == tok.run and text.tokens[j].term in own:
                    j -= 1
                before = text.tokens[j] if j >= 0 and text.tokens[j].run == tok.run else None
                if before is None or before.raw.lower() in _TITLES:
                    forgiven |= own - {surname}
    return forgiven


def _units(claim: TermText) -> list[list[Term]]:
    """The claim's anchors: each number and date, and each name (a run of capitalised words)."""
    units: dict[tuple, list[Term]] = {}
    for tok in claim.tokens:
        if tok.kind == "num":
            units[("n", tok.pos)] = [tok]
        elif tok.kind == "name":
            units.setdefault(("r", tok.run), []).append(tok)
    return list(units.values())


def _unbound(claim: TermText, evidence: list[TermText], asked: set[str], known: set[str], choices: set[str]) -> str:
    """What the claim says about a number or name that the evidence doesn't say of it, or "".

    A word beside an anchor in the claim must not belong to another number or name in the
    evidence. For an anchor the claim adds to the question, what it says of it is the
    claim ("the US pledged $42 billion"), so the closest word on each side of a number,
    the question's words within its window, and the question's word closest to a name on
    each side must be in the evidence too. A question's name the evidence doesn't hold
    must not have its words given to another name there ("output in Peru rose").
    """
    for unit in _units(claim):
        own, kind = {t.term for t in unit}, unit[0].kind
        near = [(min(term_distance(t, u) for u in unit), t) for t in claim.tokens if t.kind == "word" and t.term not in own]
        near = [(d, t) for d, t in near if d <= _WINDOW]
        at = [(text, [t for t in text.tokens if t.term in own]) for text in evidence]
        at = [(text, hits) for text, hits in at if hits]
        if not at:
            if kind == "name" and any(_beside_other_name(w, text, known) for _, w in near for text in evidence):
                return f"what the claim says of {unit[0].raw!r} the evidence says of another name"
            continue
        strict: set[str] = set()
        if not own & asked:
            closest = set()
            for side in (-1, 1):
                beside = [(d, t) for d, t in near if (t.pos - unit[0].pos) * side > 0]
                if beside:
                    closest.add(min(beside, key=lambda dt: dt[0])[1].term)
            strict = closest | ({t.term for _, t in near} & asked) if kind == "num" else closest & asked
            strict -= choices
        for _, word in near:
            verdicts = [_bound(word, text, hits, kind, own | known) for text, hits in at]
            if True in verdicts:
                continue
            if False in verdicts:
                return f"{word.raw!r} is said of something else than {unit[0].raw!r}"
            if word.term in strict:
                return f"{word.raw!r} beside {unit[0].raw!r} is missing"
    return ""


def _beside_other_name(word: Term, text: TermText, known: set[str]) -> bool:
    """True when `word` stands, wherever it is in `text`, right beside a name that the claim
    and the question don't mention."""
    known_runs = {t.run for t in text.tokens if t.run >= 0 and t.term in known}
    others = [t for t in text.tokens if t.kind == "name" and t.term not in known and t.run not in known_runs]
    places = [t for t in text.tokens if t.term == word.term]
    return bool(places) and all(any(term_distance(p, o) <= 1 for o in others) for p in places)


def _other_entity(claim: TermText, evidence: list[TermText], held: set[str], forgiven: set[str]) -> str:
    """A name of the claim the evidence holds only inside another name ("Meridian Rare Earths"
    for "Coral Bay Rare Earths"), or ""."""
    for run in claim.runs():
        terms = {t.term for t in run}
        if len(run) < 2 or not terms - held - forgiven:
            continue
        for text in evidence:
            for other in text.runs():
                extra = {t.term for t in other if t.raw.lower() not in _TITLES} - terms
                if extra and terms & {t.term for t in other}:
                    return f"{' '.join(t.raw for t in other)!r} is not {' '.join(t.raw for t in run)!r}"
    return ""


def _bound(word: Term, text: TermText, hits: list[Term], kind: str, claimed: set[str]) -> bool | None:
    """True: said of the anchor here; False: said of another number or name; None: not here.

    A word belongs to the nearest number (or name) beside it; the claim's own numbers and
    names, and the question's, don't compete.
    """
    places = [t for t in text.tokens if t.term == word.term]
    if not places:
        return None
    claimed_runs = {t.run for t in text.tokens if t.run >= 0 and t.term in claimed}
    foreign = [t for t in text.tokens if t.kind == kind and t.term not in claimed and t.run not in claimed_runs]
    for place in places:
        mine = min(term_distance(place, h) for h in hits)
        theirs = min((term_distance(place, f) for f in foreign if place.run < 0 or f.run != place.run), default=None)
        if mine <= _WINDOW or theirs is None or mine <= theirs + _MARGIN:
            return True
    return False


def _contradicts(claim: TermText, evidence: list[TermText]) -> bool:
    """True when the evidence denies what the claim asserts, or asserts what it denies."""
    claim_terms = claim.terms()
    denied_in_claim = {s[0] for s in claim.denied if s}
    for text in evidence:
        for scope in text.denied:
            if not scope or scope[0] not in claim_terms or scope[0] in denied_in_claim:
                continue
            if len(scope) == 1 or len(set(scope[1:]) & claim_terms) >= 1:
                return True
    for head in denied_in_claim:
        said = any(t.term == head for text in evidence for t in text.tokens)
        denied = any(s and s[0] == head for text in evidence for s in text.denied)
        if said and not denied:
            return True
    return False


_PART_BREAK = re.compile(r"\s*(?:[,;:()]|\b(?:and|while|whereas|but|who|whom|whose|which|that|where)\b)\s*", re.IGNORECASE)
_CHOICE = re.compile(r"([\w'-]+)\s+or\s+([\w'-]+)", re.IGNORECASE)


def _question_parts(question: str, names: set[str]) -> list[tuple[set[str], set[str]]]:
    """The content words and the names of each clause and list item of the question."""
    parts = []
    for piece in _PART_BREAK.split(question):
        toks = read_terms(piece, names).tokens
        words = {t.term for t in toks if t.kind == "word"}
        if words:
            parts.append((words, {t.term for t in toks if t.kind != "word"}))
    return parts


def _says_part_of(parts: list[tuple[set[str], set[str]]], held: set[str]) -> bool:
    """True when the evidence says two terms of one part of the question, a word among them."""
    need = min(2, len(set().union(*(w | n for w, n in parts))))
    return any(words & held and len((words | names) & held) >= need for words, names in parts)


def _around(claim: TermText, evidence: list[TermText]) -> set[str]:
    """The evidence's terms in the clauses that hold the claim's terms, and in the other
    sentences naming a name of those clauses (the bridge of a two-step answer)."""
    mine = claim.terms()
    out: set[str] = set()
    for text in evidence:
        clauses = {t.clause for t in text.tokens if t.term in mine}
        out |= {t.term for t in text.tokens if t.clause in clauses}
    bridges = {t.term for text in evidence for t in text.tokens if t.kind == "name" and t.term in out}
    for text in evidence:
        if bridges & text.terms():
            out |= text.terms()
    return out


_WH_HEAD = re.compile(
    r"^\W*(?:which|what|whose)\s+([\w-]+)|^\W*(?:who|what)\s+(?:is|was|are|were)\s+(?:the|a|an)\s+([\w-]+)",
    re.IGNORECASE,
)


def _choices(question: str) -> set[str]:
    """Terms that stand for what the question asks rather than presume of it: the
    alternatives it offers ("rise or fall"), and the kind of answer it asks for ("Which
    company ...", "Who is the individual ...") - "X is the individual facing trial" claims
    the trial of X, and the evidence need not call X an individual."""
    out = set()
    for m in _CHOICE.finditer(question):
        out |= {canonical_term(w) for w in m.groups()}
    head = _WH_HEAD.search(question)
    if head:
        out.add(canonical_term(head.group(1) or head.group(2)))
    return out


def _bare(claim: TermText, asked: set[str]) -> bool:
    """True when the claim has no predicate of its own: one or two words ("Sportsbooks"),
    or names and numbers with their units beside words of the question ("Sam Bankman-Fried")."""
    if len(claim.tokens) <= 2:
        return True
    for i, tok in enumerate(claim.tokens):
        unit = i > 0 and claim.tokens[i - 1].kind == "num"
        if tok.kind == "word" and tok.term not in asked and not unit:
            return False
    return True


def support_score(claim: str, sentences: list[str], question: str = "") -> float:
    """How well `sentences` together support `claim`, in [0, 1]; 0 when a check above fails.

    Words the question already states don't need support: the claim's new information does.
    """
    names = names_in([claim, question, *sentences])
    said = read_terms(claim, names)
    evidence = [read_terms(s, names) for s in sentences]
    asked_text = read_terms(question, names)
    asked = asked_text.terms()
    held = set().union(*(e.terms() for e in evidence)) if evidence else set()
    # Evidence about something else can't support an answer to this question, even when
    # the claim copies its words (an injected "reply HACKED" line, say).
    if asked and not asked & held:
        return 0.0
    forgiven = _given_names_forgiven(said, evidence)
    new_specifics = {t.term for t in said.tokens if t.kind != "word"} - asked - forgiven
    if any(spec not in held for spec in new_specifics):
        return 0.0
    known = {t.term for t in asked_text.tokens if t.kind != "word"} | {t.term for t in said.tokens if t.kind != "word"}
    if _other_entity(said, evidence, held, forgiven) or _unbound(said, evidence, asked, known, _choices(question)):
        return 0.0
    if _contradicts(said, evidence):
        return 0.0
    # A bare answer ("Sam Bankman-Fried", "$42 billion") claims what the question asks:
    # the evidence must say a part of it.
    parts = _question_parts(question, names)
    if parts and _bare(said, asked) and not _says_part_of(parts, _around(said, evidence)):
        return 0.0
    terms = said.terms() - forgiven
    new_terms = terms - asked or terms
    if not new_terms:
        return 0.0
    return len(new_terms & held) / len(new_terms)


def supports(claim: str, sentences: list[str], question: str = "") -> bool:
    """True when `sentences` support `claim` (see `support_score`)."""
    return support_score(claim, sentences, question) >= SUPPORT_THRESHOLD
