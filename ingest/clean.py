"""Clean article text: normalise whitespace and remove boilerplate.

The rules are general (no site- or article-specific strings): "Read More: <headline>"
style cross-links, embedded social posts, and short lines that are only boilerplate
("Copyright ...", "Advertisement", "Subscribe ..."). Whatever survives may become a
citable sentence, so boilerplate must not.
"""

from __future__ import annotations

import re
import unicodedata

from index.text import MONTHS
from ingest.safe_text import ANSI_ESCAPE

# Characters that are removed (zero-width, BOM, soft hyphen, C0 and C1 control characters,
# lone surrogates) or replaced by an ordinary space or line break; one scan finds them all.
_ODD_CHARS = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0e-\x1f\x7f\x80-\x84\x86-\x9f\ud800-\udfff"
    "\t\x0b\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
    "\r\x0c\u2028\u2029\x85]"
)
_REPLACE = {
    **dict.fromkeys("\t\x0b\u00a0\u1680\u202f\u205f\u3000", " "),
    **{chr(c): " " for c in range(0x2000, 0x200B)},
    **dict.fromkeys("\r\x0c\u2028\u2029\x85", "\n"),
}

# --- "Read More: <headline>" cross-links --------------------------------------------

# A marker is found from its punctuation (few per article) looking back, because
# scanning every character for the marker words is the slowest thing cleaning would do.
_MARKER_PUNCT = re.compile(r":|\||»|>>")
_MARKER_WORDS = re.compile(
    r"\b(?:read\s+more|also\s+read|read\s+also|must\s+read|see\s+also"
    r"|related(?:\s+(?:articles?|stories|story|news|coverage|content|reading))?"
    r"|recommended(?:\s+(?:reading|stories|articles))?|don[’']t\s+miss)\s*\Z",
    re.IGNORECASE,
)
_MARKER_LOOKBACK = 40
# Where a marker may start: a line start, or after the end of a sentence.
_SENTENCE_END_CHARS = set(".!?…\"”’)]|")
# Lowercase words that title-case headlines keep lowercase; they never end a headline.
_CONNECTORS = frozenset(
    "a an the and or but nor for so yet of in on at to by up as vs vs. via from with into "
    "onto over amid per than off out after about under".split()
)
_HEADLINE_MAX_WORDS = 25
_ENDS_SENTENCE = re.compile(r"[.!?…][\"”’')\]]*\s*$")
_INNER_SENTENCE_END = re.compile(r"[a-z0-9][.!?][\"”’')\]]*\s+[\"“‘(]?[A-Z]")
_OPEN_QUOTES = "\"“‘'"
_CLOSE_QUOTE = {'"': '"', "“": "”", "‘": "’", "'": "'"}
_LEAD_PUNCT = "\"“‘'([«"
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+$|^(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gov|Sen|Rep|Gen|Lt|Col|Prof|No)\.$")

# --- embedded social posts -----------------------------------------------------------

# Month names and abbreviations as they are written in a post's credit ("Oct 31, 2025").
_MONTH = "(?:" + "|".join(sorted((m.capitalize() for m in MONTHS), key=len, reverse=True)) + r")\.?"
_POST_DATE = rf"{_MONTH}[ \t]+\d{{1,2}},?[ \t]+\d{{4}}"
_POST_LINK = re.compile(
    r"(?:https?://)?(?:www\.)?pic\.(?:twitter|x)\.com/\w+|https?://t\.co/\w+", re.IGNORECASE
)
# "— Name (@handle) October 31, 2025": optional date right after an embed link,
# required when the credit stands alone (so prose with a handle is left alone).
_CREDIT_AFTER_LINK = re.compile(rf"\s*(?:—|–|--)[ \t]*[^\n()—–]{{0,120}}?\(@\w{{1,15}}\)(?:[ \t]*{_POST_DATE})?")
_CREDIT_ALONE = re.compile(rf"[ \t]*(?:—|–|--)[ \t]*[^\n()—–]{{0,120}}?\(@\w{{1,15}}\)[ \t]*{_POST_DATE}")
_TRUNCATED = re.compile(r"(?:…|\.\.\.)\s*$")
# The last sentence start before a truncated post fragment.
_SENTENCE_START = re.compile(r"(?:[.!?][\"”’)]?[ \t]+|\n)(?=[\"“‘(]?[A-Z0-9])")
_POST_MAX_CHARS = 300

# --- boilerplate lines ---------------------------------------------------------------

_BOILERPLATE_LINE = re.compile(
    r"""(?:
        copyright\b | © | \(c\)\s*\d{4}
      | (?:advertisement|advertising|sponsored(?:\s+content)?)\W*$
      | advertisement\s*[-–—:|]
      | story\s+continues\s+(?:below|after)\b
      | subscribe(?:\W*$|\s+(?:now|today|here|for\b|to\s+(?:our|the|us)\b|to\s+\S+\.(?:com|org|net)\b))
      | sign\s+up\b.*\b(?:newsletters?|alerts?|updates|e-?mails?|here|now|today)\b
      | sign\s+up\s+(?:for|to)\s+our\b
      | share\s+(?:this|on)\b
      | follow\s+(?:us|@\w+)\b
      | follow\s+.{1,60}?\s+on\s+(?:twitter|x|facebook|instagram|threads|bluesky|linkedin|tiktok|youtube)\b
      | click\s+here\b
      | [^()\n]{1,80}\(@[\w.]{1,30}\)\s+on\s+(?:threads|instagram|twitter|x|tiktok|bluesky)\W*$
      | (?:read\s+more|related\s+(?:articles|stories|news)|see\s+also|also\s+read)\W*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# "Copyright dailytimes" is boilerplate, "Copyright law changed in 2020." is not: a
# "Copyright" line needs a ©/year/"rights reserved", or to be very short.
_BARE_COPYRIGHT = re.compile(r"copyright\b", re.IGNORECASE)
_DATED_COPYRIGHT = re.compile(r"copyright\s*(?:©|\(c\)|\d{4})", re.IGNORECASE)
_BARE_COPYRIGHT_MAX_WORDS = 4
_BOILERPLATE_MAX_WORDS = 20
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """Return `text` with whitespace normalised and boilerplate removed.

    Paragraphs come out separated by exactly one blank line; single line breaks inside
    a paragraph are kept. Real sentences are never rewritten, only boilerplate removed.
    """
    if "\x1b" in text:
        text = ANSI_ESCAPE.sub("", text)  # the whole escape, not only its ESC
    text = _ODD_CHARS.sub(_replace_char, text.replace("\r\n", "\n"))
    text = unicodedata.normalize("NFC", text)
    if "pic." in text or "t.co/" in text or "(@" in text:
        text = _remove_social_posts(text)
    lines = []
    for line in text.split("\n"):
        line = " ".join(line.split())
        if ":" in line or "|" in line or "»" in line:
            line = _remove_cross_links(line)
        if len(line) < 300 and is_boilerplate_line(line):
            line = ""
        lines.append(line)
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def is_boilerplate_line(line: str) -> bool:
    """True when a whole (short) line is boilerplate such as "Copyright ..." or "Advertisement"."""
    line = line.strip()
    if not (_BOILERPLATE_LINE.match(line) or "all rights reserved" in line.lower()):
        return False
    words = len(line.split())
    if words > _BOILERPLATE_MAX_WORDS:
        return False
    if _BARE_COPYRIGHT.match(line) and not _DATED_COPYRIGHT.match(line):
        return words <= _BARE_COPYRIGHT_MAX_WORDS or "all rights reserved" in line.lower()
    return True


def _replace_char(match: re.Match) -> str:
    return _REPLACE.get(match.group(), "")


def _remove_social_posts(text: str) -> str:
    """Drop embed links, their "— Name (@handle) Date" credits and truncated post text."""
    pieces = []
    pos = 0
    for link in _POST_LINK.finditer(text):
        if link.start() < pos:
            continue
        start = link.start()
        before = text[pos:start]
        if _TRUNCATED.search(before):
            start = _fragment_start(text, pos, start)
        end = link.end()
        credit = _CREDIT_AFTER_LINK.match(text, end)
        if credit:
            end = credit.end()
        pieces.append(text[pos:start])
        pieces.append("\n" if "\n" in text[start:end] else " ")
        pos = end
    pieces.append(text[pos:])
    return _CREDIT_ALONE.sub("", "".join(pieces))


def _fragment_start(text: str, floor: int, link_start: int) -> int:
    """Where the truncated post text ("Discussions focused on ...…") before a link begins."""
    window_start = max(floor, link_start - _POST_MAX_CHARS)
    last = None
    for m in _SENTENCE_START.finditer(text, window_start, link_start):
        last = m
    if last is None:
        # No sentence start nearby: keep the text rather than guess how much to drop.
        return link_start
    return last.end()


def _remove_cross_links(line: str) -> str:
    """Remove every "Read More: <headline>" in one line, keeping the sentences around it."""
    search_from = 0
    while True:
        marker = _find_marker(line, search_from)
        if marker is None:
            return line
        start, end = marker
        before = line[:start].rstrip()
        at_line_start = not any(c.isalnum() for c in before)
        if at_line_start:
            before = ""  # and any bullet ("►", "•") in front of the marker
        elif before[-1] not in _SENTENCE_END_CHARS:
            search_from = end  # "... were related: ..." is prose, not a marker.
            continue
        rest = line[end:].lstrip()
        cut = _headline_length(rest, at_line_start)
        if cut is None:
            line = f"{before} {rest}".strip()  # only the marker goes; see _headline_length
        else:
            line = f"{before} {rest[cut:].lstrip()}".strip()
        search_from = len(before)


def _find_marker(line: str, pos: int) -> tuple[int, int] | None:
    """The span of the next "Read More:"-style marker in `line` from `pos`, or None."""
    for punct in _MARKER_PUNCT.finditer(line, pos):
        words = _MARKER_WORDS.search(line, max(pos, punct.start() - _MARKER_LOOKBACK), punct.start())
        if words:
            return words.start(), punct.end()
    return None


def _headline_length(rest: str, at_line_start: bool) -> int | None:
    """How many characters of `rest` (the text after a marker) are the headline.

    A marker opening its line takes the whole line when that is short or holds no
    sentence ("RELATED: <headline> | <headline>"); a short rest of a line that does not
    end like a sentence is all headline too. Otherwise the next sentence is found from
    capitalisation, since a headline has no end punctuation: a title-case headline ends
    at the capitalised word just before the first lowercase content word ("... Bargaining
    Chip The delegation, led ..."); a sentence-case headline ends at the first
    capitalised word after a lowercase content word ("... mineral development Mr Strayer
    said ..."). None means no boundary was found, and the caller keeps the text rather
    than cut real sentences.
    """
    if not rest:
        return 0
    spans = [m.span() for m in re.finditer(r"\S+", rest)]
    short = len(spans) <= _HEADLINE_MAX_WORDS
    ends_sentence = bool(_ENDS_SENTENCE.search(rest))
    if at_line_start and (short or not (ends_sentence or _INNER_SENTENCE_END.search(rest))):
        return len(rest)
    if short and not ends_sentence:
        return len(rest)
    if rest[0] in _OPEN_QUOTES:
        close = rest.find(_CLOSE_QUOTE[rest[0]], 1)
        if 0 < close:
            return close + 1
    words = [rest[a:b] for a, b in spans[: _HEADLINE_MAX_WORDS + 1]]
    boundary = _headline_boundary(words)
    if boundary is None:
        return len(rest) if short else None
    return spans[boundary][0]


def _headline_boundary(words: list[str]) -> int | None:
    """Index of the first word after the headline, or None."""
    first_lower = next((k for k, w in enumerate(words) if _is_lower(w) and not _is_connector(w)), None)
    question = next(
        (
            k
            for k in range(1, len(words))
            if words[k - 1].rstrip("\"”’'").endswith(("?", "!")) and _is_capital(words[k])
        ),
        None,
    )
    boundary = None
    if first_lower is not None:
        sentence_case = _sentence_case_boundary(words, first_lower)
        title_case = _title_case_boundary(words, first_lower)
        # One or two capitalised words then lowercase: a sentence-case headline
        # ("Pakistan seeks ..."); a longer capitalised run is a title-case headline.
        if first_lower <= 1 or (sentence_case is not None and first_lower <= 3):
            boundary = sentence_case
        else:
            boundary = title_case if title_case is not None else sentence_case
    if question is not None and (boundary is None or question < boundary):
        boundary = question
    return boundary


def _sentence_case_boundary(words: list[str], first_lower: int) -> int | None:
    for k in range(max(first_lower, 1), len(words)):
        prev = words[k - 1]
        if _ends_clause(prev):
            return None  # a comma or full stop: already inside the next sentence
        starts_sentence = _is_capital(words[k]) and not _is_acronym(words[k])
        if starts_sentence and _is_lower(prev) and not _is_connector(prev):
            return k
    return None


def _title_case_boundary(words: list[str], first_lower: int) -> int | None:
    k = first_lower - 1
    while k > 0 and _is_connector(words[k]) and _is_lower(words[k]):
        k -= 1
    return k if k >= 1 and _is_capital(words[k]) else None


def _is_capital(word: str) -> bool:
    word = word.lstrip(_LEAD_PUNCT)
    return bool(word) and word[0].isupper()


def _is_lower(word: str) -> bool:
    word = word.lstrip(_LEAD_PUNCT)
    return bool(word) and word[0].islower()


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _is_connector(word: str) -> bool:
    return word.lower().strip(",;:") in _CONNECTORS


def _ends_clause(word: str) -> bool:
    word = word.rstrip("\"”’')")
    if word.endswith((",", ";")):
        return True
    return word.endswith(".") and not _ABBREVIATION.match(word)
