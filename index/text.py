"""Shared text helpers: words, stop words, Snowball stems, month names and dates.

Keyword search (BM25 terms, `Tokenizer`) and the answer side - sentence selection, the
support check and the fake LLM (`content_terms`, `specifics`, `read_terms`) - read text
through here.
Both stem with Snowball English (PyStemmer); they differ on purpose in what they keep:
BM25 drops bm25s' stop list and splits "5.2" into "5" and "2", the support check keeps
numbers whole, acronyms ("US", "IT") and the month "May".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache

# -- months and dates ----------------------------------------------------------------

# Full month names, three-letter abbreviations and "sept", lower-cased -> month number.
MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
MONTH_NAMES = frozenset(name.lower() for name in calendar.month_name if name)


def utc_day_start(day: date) -> int:
    """Epoch seconds of `day` at 00:00 UTC, as ingest stores published_ts."""
    return calendar.timegm(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timetuple())


def month_last_day(year: int, month: int) -> int:
    """The number of days in `month` of `year`."""
    return calendar.monthrange(year, month)[1]


def date_words(published_at: str) -> str:
    """'2023-10-05' -> '2023-10-05 October 5, 2023', so both spellings of a date match."""
    try:
        day = date.fromisoformat(published_at)
    except ValueError:
        return published_at
    return f"{published_at} {calendar.month_name[day.month]} {day.day}, {day.year}"


# -- stems ---------------------------------------------------------------------------


@cache
def _stemmer():
    import Stemmer  # PyStemmer: a C extension, imported on first use only

    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word ("tariffs" -> "tariff")."""
    return _stemmer().stemWord(word)


def stem_words(words: list[str]) -> list[str]:
    """Snowball English stems of lower-case words, in order."""
    return _stemmer().stemWords(words)


# -- content terms: what a claim and a sentence must share ---------------------------

WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*|\d[\d,.]*\d|\d")
# Function words, and words that frame a question about news rather than name its subject.
STOPWORDS = frozenset(
    """a an the and or but if then of to in on at by for with from into over under about as
    is are was were be been being am do does did done has have had having it its it's this
    that these those there here which who whom whose what when where why how not no nor so
    than too very can could will would shall should may might must also just only said says
    say according he she they them their his her him we us our you your i me my mr ms mrs
    s t one two yes more most much many such any some all each other another same both
    answer question article articles sentence sentences happen happened happening news
    latest tell summarize summarise summary story stories report reports update""".split()
)


def _term(word: str) -> str:
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return stem(word)


def _number(token: str) -> str:
    return token.replace(",", "").rstrip(".")


def _is_content(tok: str) -> bool:
    # An acronym is a name even when it spells a stop word: "US" is not "us"; "May" is a month.
    return len(tok) > 1 and (tok.lower() not in STOPWORDS or tok.isupper() or tok == "May")


def content_terms(text: str) -> set[str]:
    """Stemmed content words and numbers of a text (stop words and single letters dropped)."""
    terms = set()
    for tok in WORD.findall(text):
        if tok[0].isdigit():
            terms.add(_number(tok))
        elif _is_content(tok):
            terms.add(_term(tok))
    return terms


def specifics(text: str) -> set[str]:
    """Numbers, names and dates in a text: what a supporting sentence must contain."""
    out = set()
    tokens = WORD.findall(text)
    for i, tok in enumerate(tokens):
        if tok[0].isdigit():
            out.add(_number(tok))
        elif tok.lower() in MONTH_NAMES and _is_content(tok):  # at any position, stemmed as content_terms does
            out.add(_term(tok))
        elif tok[0].isupper() and i > 0 and _is_content(tok):
            out.add(_term(tok))
    return out


# -- terms in order: what the support check compares, with where they stand ------------

# Snowball leaves irregular forms alone; these verbs also say the same thing in news copy.
_SAME_AS = {
    "rose": "rise", "risen": "rise", "climb": "rise", "increas": "rise", "jump": "rise", "gain": "rise",
    "rais": "rise", "grow": "rise", "grew": "rise", "grown": "rise", "surg": "rise", "soar": "rise", "up": "rise",
    "fell": "fall", "fallen": "fall", "drop": "fall", "declin": "fall", "slid": "fall", "slide": "fall",
    "slip": "fall", "sank": "fall", "sink": "fall", "plung": "fall", "tumbl": "fall", "decreas": "fall",
    "lower": "fall", "reduc": "fall", "cut": "fall", "shrank": "fall", "shrink": "fall", "down": "fall",
    "led": "lead", "head": "lead", "spent": "spend", "paid": "pay", "sold": "sell", "bought": "buy",
    "purchas": "buy", "began": "start", "begun": "start", "begin": "start", "made": "make", "took": "take",
    "taken": "take", "gave": "give", "given": "give", "held": "hold", "won": "win", "lost": "lose",
    "met": "meet", "requir": "need", "bar": "ban", "prohibit": "ban", "suspend": "halt", "paus": "halt",
}
_NEGATORS = frozenset("not no never cannot without nothing none neither nor nobody".split())
# Adverbs between a negator and what it denies: "not yet tested", "cannot quickly replace".
_SCOPE_SKIP = frozenset("yet quickly fully always ever even still really necessarily immediately already longer only".split())
_CLAUSE_WORDS = frozenset("while whereas but although though however".split())
_CLAUSE_MARKS = frozenset(";:()\u2013\u2014") | {"--", "-"}
_PIECE = re.compile(WORD.pattern + r"|--|[;:(),\u2013\u2014]|(?<=\s)-(?=\s)")
_CLAUSE_GAP = 4  # a clause boundary weighs as much as four words


@dataclass
class Term:
    """One content word, number or name of a text, where it stands."""

    term: str  # the stem (irregular forms and interchangeable verbs read as one)
    kind: str  # "num" (numbers and months), "name" or "word"
    pos: int  # index among the text's terms
    clause: int  # clauses are cut at ; : ( ) dashes and while/whereas/but/although
    run: int  # which run of capitalised words a name belongs to, else -1
    raw: str


@dataclass
class TermText:
    """A text's terms in order, and what each negator in it denies."""

    tokens: list[Term]
    denied: list[list[str]]  # per negator: the terms it denies, first the one it applies to

    def terms(self) -> set[str]:
        """The set of terms."""
        return {t.term for t in self.tokens}

    def runs(self) -> list[list[Term]]:
        """The names, each a run of capitalised words."""
        runs: dict[int, list[Term]] = {}
        for tok in self.tokens:
            if tok.run >= 0:
                runs.setdefault(tok.run, []).append(tok)
        return list(runs.values())


def canonical_term(token: str) -> str:
    """The term of one `WORD` token as `read_terms` gives it."""
    term = _number(token) if token[0].isdigit() else _term(token)
    return _SAME_AS.get(term, term)


def _pieces(text: str) -> list[str]:
    return [m.group() for m in _PIECE.finditer(text.replace("\u2019", "'"))]


def _kept(piece: str) -> bool:
    return piece[0].isdigit() or _is_content(piece)


def names_in(texts: list[str]) -> set[str]:
    """Terms that are names wherever they stand in these texts, even first in a sentence.

    A capital inside a sentence makes a name; a capitalised first word is a name too
    unless the texts also write it in lower case ("Copper prices..." vs "China said...").
    """
    names, common, first = set(), set(), set()
    for text in texts:
        words = [p for p in _pieces(text) if p[0].isalnum() and _kept(p)]
        for i, word in enumerate(words):
            if word[0].islower():
                common.add(canonical_term(word))
            elif i and word[0].isupper():
                names.add(canonical_term(word))
            elif word[0].isupper():
                first.add(canonical_term(word))
    return names | (first - common)


def read_terms(text: str, names: set[str]) -> TermText:
    """The text's terms with their kind, position, clause and name run; what negators deny."""
    pieces = _pieces(text)
    toks: list[Term] = []
    denied: list[list[str]] = []
    clause, runs, first, in_run, scope_left = 0, 0, True, False, 0
    for i, piece in enumerate(pieces):
        low = piece.lower()
        if piece in _CLAUSE_MARKS or low in _CLAUSE_WORDS or piece == ",":
            clause += piece != ","
            in_run, scope_left = False, 0
            continue
        if low in _NEGATORS or low.endswith("n't") or (low == "yet" and pieces[i + 1:i + 2] == ["to"]):
            denied.append([])
            in_run, scope_left, first = False, 4, False
            continue
        if not _kept(piece):
            in_run, first = False, False
            continue
        term = canonical_term(piece)
        if piece[0].isdigit() or low in MONTH_NAMES:
            kind = "num"
        elif piece[0].isupper() and (not first or piece.isupper() or term in names):
            kind = "name"
        else:
            kind = "word"
        if kind == "name" and not in_run:
            runs += 1
        in_run, first = kind == "name", False
        toks.append(Term(term, kind, len(toks), clause, runs if kind == "name" else -1, piece))
        if scope_left and low not in _SCOPE_SKIP:
            denied[-1].append(term)
            scope_left -= 1
    return TermText(toks, denied)


def term_distance(a: Term, b: Term) -> int:
    """How far apart two terms of one text stand, a clause boundary counting as four terms."""
    return abs(a.pos - b.pos) + _CLAUSE_GAP * abs(a.clause - b.clause)


# -- keyword-search terms --------------------------------------------------------------

# Bump when the indexed text or the tokenizer changes: old keyword caches then rebuild.
KEYWORD_FORMAT = "newsdesk-bm25-v1"
_KEYWORD = re.compile(r"\w\w+|\d", re.UNICODE)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
# Words that frame a question about news rather than name its subject; only dropped
# from queries, so an article about a news "report" still matches on its content words.
_QUERY_FRAME_WORDS = frozenset(
    "article articles report reports reported reporting published publication "
    "according mentioned mention discussed discuss suggest suggests story stories".split()
)


class Tokenizer:
    """BM25 terms: lower-cased words, English stop words (bm25s' list) dropped, Snowball-stemmed."""

    def __init__(self) -> None:
        from bm25s.stopwords import STOPWORDS_EN_PLUS

        self._stop = frozenset(STOPWORDS_EN_PLUS)
        self.name = f"{KEYWORD_FORMAT}/snowball-english"

    def __call__(self, text: str) -> list[str]:
        """The index terms of `text`."""
        return stem_words(self._words(text))

    def query(self, text: str) -> list[str]:
        """The index terms of a question: as `__call__`, less words that only frame it."""
        return stem_words([w for w in self._words(text) if w not in _QUERY_FRAME_WORDS])

    def _words(self, text: str) -> list[str]:
        return [w for w in _KEYWORD.findall(text.translate(_APOSTROPHES).lower()) if w not in self._stop]
