"""Checks on what a user asks, shared by the CLI, the chat and `/ask`: dates, question length,
publishers. Each failure is a UsageError whose one line names the option and what to do."""

from __future__ import annotations

from datetime import date, datetime

from index.errors import UsageError
from newsdesk import articles
from newsdesk.settings import Settings

# Far beyond any real question, far below what makes retrieval and the prompt slow.
MAX_QUESTION_CHARS = 2000
KNOWN_SHOWN = 5  # publishers named when one is not in the index


def parse_day(value: str | float | datetime | date | None, name: str) -> date | None:
    """The day `value` names (YYYY-MM-DD, a datetime, or a timestamp); None when empty.

    `name` is the option or widget the value came from, so the error line can name it.
    """
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)):
        try:
            return datetime.fromtimestamp(value).date()
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"{name}: {value!r} is not a date - use YYYY-MM-DD") from None
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise UsageError(f"{name}: '{value}' is not a date - use YYYY-MM-DD") from None


def check_question(question: str) -> str:
    """`question` when it is short enough to ask; a UsageError saying the limit when not."""
    if len(question) > MAX_QUESTION_CHARS:
        raise UsageError(
            f"the question is {len(question):,} characters long - ask in at most {MAX_QUESTION_CHARS:,}"
        )
    return question


def preview(question: str) -> str:
    """The question as the chat shows it: cut at the length limit."""
    return question if len(question) <= MAX_QUESTION_CHARS else question[:MAX_QUESTION_CHARS] + " …"


def check_sources(settings: Settings, sources: list[str] | tuple[str, ...], name: str) -> tuple[str, ...]:
    """The publishers `sources` names, spelled as the index spells them (case is forgiven).

    A publisher with no article in the index would silently filter everything out, so it is
    a UsageError naming it and a few known ones. With nothing indexed there is nothing to
    check against: the engine then says the index is empty.
    """
    wanted = tuple(s.strip() for s in sources if s and s.strip())
    if not wanted:
        return ()
    known = list(articles.overview(settings).sources)
    if not known:
        return wanted
    by_folded = {publisher.casefold(): publisher for publisher in known}
    resolved: list[str] = []
    for source in wanted:
        match = by_folded.get(source.casefold())
        if match is None:
            shown = ", ".join(known[:KNOWN_SHOWN])
            more = f", ... ({len(known)} in all)" if len(known) > KNOWN_SHOWN else ""
            raise UsageError(f"{name}: no articles from '{source}' in the index - known: {shown}{more}")
        resolved.append(match)
    return tuple(dict.fromkeys(resolved))
