"""A publication date read from an article's own text, for articles nothing else dates.

Only a date that the text presents as its own counts: a dateline opening the text
("WASHINGTON, Oct. 31, 2025 (Reuters) -", "October 31, 2025:"), a short line of its own
at the top ("By Jane Doe | 31 October 2025", "Oct 31, 2025 10:00 AM ET"),
or "published/posted (on) <date>" in the lead. A date inside a sentence
("the curbs run until 10 November 2026") is an event's, not the article's, and is never
taken; nor is an "updated" date. A date needs day, month and year, with the month as a
name or in ISO order (03/04/2025 is ambiguous). Measured against the dates publishers gave
(README, "Dates"): htmldate's extensive search over the same text wrapped as HTML dates
almost every article and is almost always wrong (it takes event dates and bare years);
these rules date few and wrongly none of the sample.
"""

from __future__ import annotations

import re

from ingest.metadata import parse_date

LEAD_CHARS = 400
_TOP_LINES = 2  # lines at the top looked at for a date line of their own
_DATE_LINE_WORDS = 6  # words beside the date on such a line: more is a sentence, whose dates are events

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_YEAR = r"(?:19|20)\d\d"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_DATE_PATTERN = (
    rf"(?:{_MONTH}\.?\s+{_DAY},?\s+{_YEAR}"  # October 31, 2025 / Oct. 31 2025
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH}\.?,?\s+{_YEAR}"  # 31 October 2025 / 31st of Oct 2025
    rf"|{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"  # 2025-10-31
    rf"|{_YEAR}/(?:0[1-9]|1[0-2])/(?:0[1-9]|[12]\d|3[01]))"  # 2025/10/31
)
_DATE = re.compile(rf"(?i)\b{_DATE_PATTERN}\b")
# "WASHINGTON, Oct. 31, 2025 (Reuters) -" / "October 31, 2025:" opening the text.
_DATELINE = re.compile(
    rf"(?i)^\s*(?:[A-Z][\w .'-]{{0,40}},\s*)?(?P<date>{_DATE_PATTERN})\b\s*(?:\([^()]{{0,40}}\)\s*)?[-\u2013\u2014:|]"
)
_OTHER_VERSION = re.compile(r"(?i)\b(?:updated|originally|previous(?:ly)?|first published|modified|revised)\b")
# Not after "originally" / "first" / "previously": that is an earlier version's date.
_PUBLISHED = re.compile(
    rf"(?i)(?<!originally )(?<!first )(?<!previously )\b(?:published|posted)\s*(?:on\s*|:\s*)?(?P<date>{_DATE_PATTERN})\b"
)


def date_from_text(text: str) -> str:
    """The ISO date ("YYYY-MM-DD") a dateline or publication line in `text` gives, or ""."""
    text = (text or "").strip()
    if not text:
        return ""
    dateline = _DATELINE.match(text[:LEAD_CHARS])
    candidates = [dateline.group("date")] if dateline else []
    top = [line.strip() for line in text[:LEAD_CHARS].splitlines() if line.strip()][:_TOP_LINES]
    candidates += [m.group(0) for line in top if _is_date_line(line) for m in _DATE.finditer(line)]
    candidates += [m.group("date") for m in _PUBLISHED.finditer(text[:LEAD_CHARS])]
    for candidate in candidates:
        found = parse_date(candidate)
        if found:
            return found[0]
    return ""


def _is_date_line(line: str) -> bool:
    """A line that is a date with a few words around it (a byline, a time), not a sentence,
    and not the date of an update or an earlier version."""
    rest = _DATE.sub(" ", line)
    return (
        rest != line
        and not line.rstrip().endswith(".")
        and len(rest.split()) <= _DATE_LINE_WORDS
        and not _OTHER_VERSION.search(rest)
    )
