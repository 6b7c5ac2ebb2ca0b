"""What a question names and how the answer's articles stand in time.

A question that names several publishers or dates ("Did The Verge and TechCrunch both
report ...", "... the Sporting News report of October 7 and the one of October 12") has
*sides*: each gets its own search, restricted to that publisher and/or day
(`question_sides`), so the evidence of every side reaches the prompt. A side whose search
finds nothing about the question is stated as a fact line (`missing_fact`).

A question about order in time ("before", "after", "earlier", "same day") gets a fact line
computed from the articles' publication dates (`order_fact`). Fact lines are `Candidate`s
with `computed=True`: numbered and citable like article sentences, but with no article
(doc_id "", no offsets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Collection, Sequence

from index.fusion import SourceMatcher, clauses, named_dates
from index.hits import FilterError, SearchFilters
from index.text import MONTHS, content_terms
from newsdesk.context import Candidate

ORDER_SOURCE = "newsdesk (from the articles' dates)"
ORDER_FACT_START = "Publication order of the articles:"
SEARCH_SOURCE = "newsdesk (from the search)"
MAX_SIDES = 4
ORDER_WINDOW = 4  # words either side of "before"/"after" where a publisher, date or report is looked for
SIDE_TOP_K = 3  # chunks searched per side
# A publisher's best sentence must hold more than this share of the question (idf-weighted,
# see newsdesk.context.select_sentences) to be shown, else the side is reported missing:
# a search restricted to one publisher returns its closest chunks, about the question or not.
# An article of the publisher on the day the question names is shown whatever it holds.
SIDE_FLOOR = 0.0
DAY_FLOOR = -1.0
# A side whose own text holds fewer content terms than this is searched with the whole question.
MIN_CLAUSE_TERMS = 3

_DATE_TERMS = content_terms(" ".join(MONTHS)) | content_terms("published on between")
_REPORTS = re.compile(r"\b(reports?|reported|articles?|published|publishes|stor(y|ies)|coverage|covered|wrote|written)\b", re.I)
_SOURCE_PART = re.compile(r"\s+[-|:\u2013\u2014]\s+")
_TEMPORAL = re.compile(
    r"\b(before|after|earlier|later|prior to|same day|first|previous(ly)?|preceding|subsequent(ly)?|"
    r"older|newer|most recent|latest)\b",
    re.IGNORECASE,
)


# -- which publishers a question names -------------------------------------------------


def _core(source: str) -> str:
    """A publisher's short name: "FOX News - Health" -> "FOX News", "The Verge" -> "Verge"."""
    return re.sub(r"^the\s+", "", _SOURCE_PART.split(source)[0].strip(), flags=re.IGNORECASE)


def _count(name: str, question: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", question, re.IGNORECASE)) if name else 0


def named_sources(question: str, sources: Sequence[str]) -> dict[str, int]:
    """The publishers among `sources` that the question names, with how often it names them.

    A section named in full ("FOX News - Health") excludes the other sections that only
    share its short name ("FOX News - Lifestyle").
    """
    sources = list(sources)
    named = [sources[code] for code in sorted(SourceMatcher(sources).codes(question))]
    full = {s: _count(s, question) for s in named}
    return {
        s: full[s] or max(1, _count(_core(s), question))
        for s in named
        if full[s] or not any(full[o] and _core(o) == _core(s) for o in named)
    }


# -- the sides of a question -------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One publisher and/or day the question names, and how to search for its evidence.

    `fallback` is the side without its day, searched when the day finds nothing (a
    question's date may be the event's, not the article's).
    """

    label: str  # "from The Verge", "from Wired published on 2023-11-25", "published on 2023-11-25"
    query: str
    filters: SearchFilters | None  # None: the user's filters leave this side nothing
    fallback: SearchFilters | None = None
    source: str = ""  # the publisher named, "" for a date alone
    dated: bool = False  # restricted to a day or month the question names


def _day_range(low: int, high: int) -> tuple[date, date]:
    def day(ts: int) -> date:
        return datetime.fromtimestamp(ts, tz=timezone.utc).date()

    return day(low), day(high)


def _within(side: SearchFilters, user: SearchFilters | None) -> SearchFilters | None:
    """The side's filters narrowed by the user's; None when together they allow nothing."""
    if user is None or user.empty:
        return side
    sources = side.sources
    if user.sources:
        sources = tuple(s for s in side.sources if s in user.sources) if side.sources else user.sources
        if not sources:
            return None
    since = max((d for d in (side.since, user.since) if d), default=None)
    until = min((d for d in (side.until, user.until) if d), default=None)
    try:
        return SearchFilters(since=since, until=until, sources=sources)
    except FilterError:
        return None


def _label(source: str, days: tuple[date, date] | None) -> str:
    """How a side reads after "no article": "from The Verge", "published on 2023-11-25"..."""
    parts = [f"from {source}"] if source else []
    if days is not None:
        one = days[0] == days[1]
        parts.append(f"published on {days[0]}" if one else f"published between {days[0]} and {days[1]}")
    return " ".join(parts)


def question_sides(question: str, sources: Sequence[str], user: SearchFilters | None = None) -> list[Side]:
    """The sides of a question that names two or more publishers or dates; [] otherwise.

    The question is cut into clauses (`index.fusion.clauses`); each publisher a clause
    names is a side, restricted to the clause's date when it names exactly one, and a date
    in a clause that names no publisher belongs to the question's only publisher, if it
    names one. A side is searched with the question less the clauses of the other sides
    ("Did A report X, while B says Y?": A's search leaves out "while B says Y"), or the
    whole question when that says too little. The user's filters narrow every side.
    """
    whole = named_sources(question, sources)
    only = next(iter(whole)) if len(whole) == 1 else ""
    parts = clauses(question, lambda text: len(content_terms(text)))
    raw: list[tuple[str, tuple[date, date] | None, int]] = []  # (publisher, days, clause)
    for k, clause in enumerate(parts):
        days = [_day_range(low, high) for low, high in named_dates(clause)]
        named = named_sources(clause, sources)
        names = [s for s, times in named.items() for _ in range(times)]
        if names:
            day = days[0] if len(days) == 1 else None
            raw += [(s, day, k) for s in names]
        else:
            raw += [(only, day, k) for day in days]
    # A publisher searched on a day of its own needs no undated side besides.
    dated = {s for s, day, _ in raw if day is not None}
    raw = [(s, day, k) for s, day, k in raw if day is not None or s not in dated][:MAX_SIDES]
    if len(raw) < 2:
        return []
    sides: list[Side] = []
    for source, days, k in raw:
        side_filters = SearchFilters(
            since=days[0] if days else None, until=days[1] if days else None, sources=(source,) if source else ()
        )
        narrowed = _within(side_filters, user)
        fallback = _within(SearchFilters(sources=(source,)), user) if source and days else None
        others = {j for _, _, j in raw if j != k}
        text = " ".join(part for j, part in enumerate(parts) if j not in others)
        own = {t for t in content_terms(text) - content_terms(source) - _DATE_TERMS if not t[0].isdigit()}
        query = text if len(own) >= MIN_CLAUSE_TERMS else question
        sides.append(Side(_label(source, days), query, narrowed, fallback, source, days is not None))
    return sides


def admits(filters: SearchFilters, source: str, published_ts: int | None) -> bool:
    """True when an article of `source` published at `published_ts` passes `filters`."""
    if filters.sources and source not in filters.sources:
        return False
    low, high = filters.ts_range()
    if low is None and high is None:
        return True
    return published_ts is not None and (low is None or published_ts >= low) and (high is None or published_ts <= high)


def missing_sides(
    sides: Sequence[Side], side_docs: Sequence[tuple[Collection[str], float]], shown: Sequence[Candidate]
) -> list[str]:
    """Labels of the publisher sides of which no sentence is shown. A date alone is never
    reported missing: a question's date is often the event's, not an article's."""
    shown_docs = {c.doc_id for c in shown}
    return [side.label for side, (docs, _) in zip(sides, side_docs) if side.source and not shown_docs & set(docs)]


def missing_fact(labels: Sequence[str]) -> Candidate | None:
    """The fact line saying which sides' searches found no article about the question."""
    if not labels:
        return None
    text = f"The search found no article {' and no article '.join(labels)} about this question."
    return Candidate(
        doc_id="", title="Search", source=SEARCH_SOURCE, published_at="", url="", start=0, end=0, text=text, computed=True
    )


# -- publication order -------------------------------------------------------------------


def asks_order(question: str, sources: Sequence[str] = ()) -> bool:
    """True when the question asks about the order in time of reports: a word of order
    (before, after, earlier, same day...) stands within a few words of a publisher, a date
    or a word for a report ("before Fortune mentioned", "its earlier report", "published
    later"). "After a loss at home to Bayern" and "before the collapse of FTX" are about
    events: publication dates don't answer them.
    """
    named = named_sources(question, sources)
    for source in named:  # "Business Today | Latest Stock Market ..." is a name, not "latest"
        question = re.sub(re.escape(source), lambda _, s=source: _core(s), question, flags=re.IGNORECASE)
    for m in _TEMPORAL.finditer(question):
        before = question[: m.start()].split()[-ORDER_WINDOW:]
        after = question[m.end() :].split()[:ORDER_WINDOW]
        near = " ".join([*before, m.group(0), *after])
        if _REPORTS.search(near) or named_dates(near) or (named and named_sources(near, sources)):
            return True
    return False


def _day(published_at: str) -> date | None:
    try:
        return date.fromisoformat(published_at[:10])
    except ValueError:
        return None


def _article(cand: Candidate, day: date) -> str:
    # Publisher and day name the article (its title is in the header above its sentences);
    # a title here would make the fact line look like an answer to any question on its topic.
    source = cand.source if cand.source.lower().startswith("the ") else f"the {cand.source}".rstrip()
    return f"{source} article of {day.isoformat()}"


def order_fact(articles: Sequence[Candidate]) -> Candidate | None:
    """The fact line stating the publication order of the articles of `articles` (one
    sentence each, most relevant first), or None when fewer than two have a date.

    "Publication order of the articles: The Verge article of 2023-10-02 was published
    before the TechCrunch article of 2023-10-05."; articles of one day "were published on
    the same day".
    """
    dated: list[tuple[date, Candidate]] = []
    seen: set[str] = set()
    for cand in articles:
        day = _day(cand.published_at)
        if cand.computed or day is None or cand.doc_id in seen:
            continue
        seen.add(cand.doc_id)
        dated.append((day, cand))
    if len(dated) < 2:
        return None
    dated.sort(key=lambda dc: dc[0])  # stable: of one day, the more relevant first
    steps = []
    for (day_a, a), (day_b, b) in zip(dated, dated[1:]):
        if day_a == day_b and a.source == b.source:
            steps.append(f"two articles from {a.source or 'one publisher'} were published on the same day, {day_a.isoformat()}")
        elif day_a == day_b:
            steps.append(f"{_article(a, day_a)} and {_article(b, day_b)} were published on the same day")
        else:
            steps.append(f"{_article(a, day_a)} was published before {_article(b, day_b)}")
    text = ORDER_FACT_START + " " + "; ".join(steps) + "."
    return Candidate(
        doc_id="", title="Publication order", source=ORDER_SOURCE, published_at="", url="", start=0, end=0,
        text=text, computed=True,
    )


def involved_articles(
    shown: Sequence[Candidate], side_docs: Sequence[tuple[Collection[str], float]], most: int = 3
) -> list[Candidate]:
    """The best shown sentence of each article a question involves, most relevant first.

    With sides: the best article of each side. Without: the best articles whose best
    sentence is at least half as relevant as the best one's, at most `most`.
    """
    best: dict[str, Candidate] = {}
    for cand in shown:
        if cand.computed:
            continue
        if cand.doc_id not in best or cand.score > best[cand.doc_id].score:
            best[cand.doc_id] = cand
    ranked = sorted(best.values(), key=lambda c: -c.score)
    if side_docs:
        picks: list[Candidate] = []
        for docs, _ in side_docs:
            pick = next((c for c in ranked if c.doc_id in docs and c not in picks), None)
            if pick is not None:
                picks.append(pick)
        if len(picks) >= 2:
            return picks
    if not ranked:
        return []
    floor = ranked[0].overlap / 2
    return [c for c in ranked if c.overlap >= floor][:most]


_STEP = re.compile(
    r"^(?:the )?(.+?) article of (\d{4}-\d{2}-\d{2}) was published before (?:the )?(.+?) article of (\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
_BEFORE = re.compile(r"\b(before|earlier|prior|preceded|preceding|first)\b", re.IGNORECASE)
_AFTER = re.compile(r"\b(after|later|following|subsequent(?:ly)?|followed)\b", re.IGNORECASE)
_SAME_DAY = re.compile(r"\bsame day\b", re.IGNORECASE)


def order_agrees(text: str, fact: str) -> bool | None:
    """Whether the order of two publishers' articles that `text` states agrees with the
    publication order fact line `fact`: False for "B before A" where the fact says A before
    B (or the same day where it says before), True when what it states agrees, None when
    it states no order the fact covers.

    The words of a reversed claim are all in the fact line, so a word-based support check
    alone would pass it.
    """
    low = text.lower()
    verdict: bool | None = None
    steps = fact.removeprefix(ORDER_FACT_START).strip().rstrip(".").split("; ")
    for match in filter(None, (_STEP.match(step.strip()) for step in steps)):
        first, second = match.group(1).lower(), match.group(3).lower()
        a, b = low.find(first), low.find(second)
        if a < 0 or b < 0 or first == second:
            continue
        if _SAME_DAY.search(text):
            if match.group(2) != match.group(4):
                return False
            verdict = True
            continue
        says_before, says_after = bool(_BEFORE.search(text)), bool(_AFTER.search(text))
        if says_before == says_after:  # neither, or both: no order to compare
            continue
        if (a < b) != says_before:
            return False
        verdict = True
    return verdict
