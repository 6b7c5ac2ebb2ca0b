"""The chat window's handlers: plain functions over one engine, called by Gradio and by tests.

A conversation lives in a per-session `Session` (Gradio keeps one per browser tab), so two
users never see each other's messages; the engine (models, index) is shared.
"""

from __future__ import annotations

import logging
import re
import shutil
import threading
from contextlib import closing
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from app import render
from app.checks import check_question, check_sources, parse_day, preview
from app.line import Line
from index.errors import NewsdeskError
from index.hits import SearchFilters
from newsdesk import articles
from newsdesk.answer import Answer, Shown
from newsdesk.changes import answer_change
from newsdesk.engine import AnswerEngine, Turn
from newsdesk.llms import answers_at_once, llm_label
from newsdesk.settings import Settings

log = logging.getLogger("newsdesk.app")
UNEXPECTED = "something went wrong answering ({kind}) - the server log has the details"
_PICK = re.compile(r"^(\d+):(\d+)")


@dataclass
class Session:
    """One browser session's conversation: chat messages and the Answer behind each reply."""

    messages: list[dict[str, str]] = field(default_factory=list)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)
    turns: list[tuple[str, str]] = field(default_factory=list)
    shown: int | None = None  # the message whose sources the panel shows
    streaming: bool = False  # a reply is being written: only the chat changes
    evidence: dict[int, list[dict]] = field(default_factory=dict)  # numbered sentences the LLM saw, per reply
    changes: dict[int, str] = field(default_factory=dict)  # what the check changed in the draft, per reply
    waiting: int | None = None  # questions ahead of the latest one while it waits in line, else None


@dataclass
class Filters:
    """The filter widgets' values: ISO dates (or empty) and publisher names."""

    since: str | float | None = None
    until: str | float | None = None
    sources: list[str] = field(default_factory=list)


class Desk:
    """Everything the UI does, over one settings object and one lazily built engine."""

    def __init__(self, settings: Settings, engine: AnswerEngine | None = None, *, login_required: bool = False) -> None:
        self.settings = settings
        self._engine = engine
        self._lock = threading.Lock()
        # Set when the server asks for a login: the handlers that write refuse anyone not signed in.
        self.login_required = login_required
        self.line = Line(answers_at_once(settings))  # questions answered at once; the rest wait here
        # None until a warm-up starts, then "loading", then "ready" (or "cold": it failed,
        # and the first question loads the models and shows why not).
        self.status: str | None = None

    # -- the engine ------------------------------------------------------------------

    def engine(self) -> AnswerEngine:
        """The shared engine, built on first use (again after an index appears)."""
        with self._lock:
            if self._engine is None:
                self._engine = AnswerEngine(self.settings)
            return self._engine

    def start_warm_up(self) -> threading.Thread:
        """Mark the models as loading and run `warm_up` in a background thread."""
        self.status = "loading"
        thread = threading.Thread(target=self.warm_up, name="newsdesk-warm-up", daemon=True)
        thread.start()
        return thread

    def warm_up(self) -> None:
        """Build the engine, load its models and run one search now, if there is an index;
        never raises. `status` becomes "ready", or "cold" when that failed."""
        self.status = "loading"
        try:
            with self._lock:
                if self._engine is None:
                    self._engine = AnswerEngine(self.settings)
                engine = self._engine
            engine.warm_up()
            # The first search also pays one-offs (the vector index read into memory,
            # the embedder's first run): paid here, not by the first question.
            engine.retriever.search("warm up", top_k=1)
            self.status = "ready"
        except Exception as exc:  # the first question shows the problem as one line
            self.status = "cold"
            log.warning("models not loaded yet: %s", problem(exc, "(warm-up)"))

    def search_filters(self, filters: Filters, sources_name: str = "publishers"):
        """The engine's SearchFilters for the widgets' values; a UsageError (one line) if one is wrong."""
        return articles.make_filters(
            since=parse_day(filters.since, "from"),
            until=parse_day(filters.until, "to"),
            sources=check_sources(self.settings, filters.sources or [], sources_name),
        )

    def answers_at_once(self) -> int:
        """How many questions the chat and /ask answer at once: several with a hosted LLM, else 1."""
        return self.line.at_once

    def llm_name(self) -> str:
        """The label of the LLM that answers."""
        return llm_label(self.settings)

    # -- header and filter choices --------------------------------------------------

    def header(self) -> str:
        """The header line: LLM, article count and whether the models are loaded."""
        return render.header(self.llm_name(), articles.overview(self.settings).articles, self.status)

    def date_note(self, since: str | float | None = None, until: str | float | None = None) -> str:
        """What the date filter does with undated articles: included until From or To is set."""
        undated = articles.overview(self.settings).undated
        what = f"{undated} undated article{'' if undated == 1 else 's'}"
        if since not in (None, "") or until not in (None, ""):
            return f"Dated articles only: {what} left out while From or To is set."
        return f"All dates, {what} included; setting From or To leaves undated articles out."

    def publisher_choices(self) -> list[tuple[str, str]]:
        """(label with article count, publisher) for the publisher filter, read from the index."""
        return [(f"{name} ({n})", name) for name, n in articles.overview(self.settings).sources.items()]

    # -- chat -----------------------------------------------------------------------

    def respond(self, question: str, session: Session, filters: Filters) -> Iterator[Session]:
        """Answer `question` in `session`: yields the session as the reply streams, and
        once more with the verified answer (markers as links) or a one-line error.

        While other questions hold every answer slot, the reply is a status line saying
        how many questions are ahead (`session.waiting`), yielded as that changes and every
        `app.line.HEARTBEAT` seconds; it gives way to the answer when this question's turn comes.
        The evidence (`session.evidence[msg]`, Evidence as dicts, numbered as the markers)
        is yielded as soon as the search is done, before the first token; with the answer,
        `session.changes[msg]` says what the check changed in the draft, when it did."""
        question = (question or "").strip()
        if not question:
            return
        session.messages.append({"role": "user", "content": render.user_message(preview(question))})
        session.messages.append({"role": "assistant", "content": render.streaming_message("")})
        msg = len(session.messages) - 1
        session.waiting = None
        try:
            check_question(question)
            wanted = self.search_filters(filters)
            history = [Turn(q, a) for q, a in session.turns]
            with self.line.turn() as places:
                for ahead in places:
                    session.waiting = ahead
                    session.messages[msg]["content"] = render.waiting_message(ahead)
                    yield session
                # This question's turn: the status line gives way to the reply. After a wait
                # only the chat changes; the first yield of a reply also clears the question box.
                session.streaming = session.waiting is not None
                session.waiting = None
                session.messages[msg]["content"] = render.streaming_message("")
                yield session
                yield from self._reply(question, session, msg, history, wanted)
        except Exception as exc:  # never a traceback or a dead spinner in the chat
            session.streaming = False
            session.waiting = None
            session.messages[msg]["content"] = render.error_message(problem(exc, question))
            yield session

    def _reply(self, question: str, session: Session, msg: int, history: list[Turn], wanted: SearchFilters) -> Iterator[Session]:
        # The engine's reply to `question` into message `msg`, once this question has a slot.
        text = ""
        stream = self.engine().stream(question, history=history, filters=wanted)
        with closing(stream):  # a reply ended early (the user left) stops the LLM before its slot is freed
            for item in stream:
                if isinstance(item, Shown):  # before the first token: the UI shows it at once
                    session.evidence[msg] = [asdict(e) for e in item.evidence]
                elif isinstance(item, Answer):
                    answer = item.to_dict()
                    change = answer_change(text, item)
                    if change:
                        session.changes[msg] = change
                    session.answers[msg] = answer
                    session.turns.append((question, item.answer))
                    session.shown = msg
                    session.messages[msg]["content"] = render.answer_message(answer, msg, change)
                    if self.status == "cold":  # the models loaded for this answer
                        self.status = "ready"
                else:
                    text += item
                    session.messages[msg]["content"] = render.streaming_message(text)
                session.streaming = not isinstance(item, Answer)
                yield session

    def sources(self, session: Session, msg: int | None = None, n: int | None = None) -> str:
        """The sources panel for message `msg` (default: the latest answer), with
        citation `n` (default: the first) highlighted in its paragraph."""
        msg = session.shown if msg is None else msg
        answer = session.answers.get(msg) if msg is not None else None
        if answer is None:
            return render.sources_panel(None, None, None)
        session.shown = msg
        citations = answer.get("citations", [])
        chosen = next((c for c in citations if c["n"] == n), citations[0] if citations else None)
        passage = None
        # A computed fact (publication order...) has no article to show a paragraph of.
        if chosen is not None and chosen.get("doc_id") and not chosen.get("computed"):
            passage = articles.paragraph(self.settings, chosen["doc_id"], chosen["start"], chosen["end"])
        return render.sources_panel(answer, chosen["n"] if chosen else None, passage, msg)

    def drafting(self, session: Session) -> tuple[int, str] | None:
        """(message, evidence panel) while the latest reply is drafted and its evidence is
        known; None before the search finishes or once the reply is verified."""
        msg = len(session.messages) - 1
        if msg < 0 or msg in session.answers or msg not in session.evidence:
            return None
        return msg, render.evidence_panel(session.evidence[msg], msg)

    def source_choices(self, session: Session) -> list[tuple[str, str]]:
        """(label, "msg:n") for each citation of the message the panel shows."""
        answer = session.answers.get(session.shown) if session.shown is not None else None
        if not answer:
            return []
        return [(_choice_label(c), f"{session.shown}:{c['n']}") for c in answer.get("citations", [])]

    def pick(self, session: Session, choice: str) -> str:
        """The sources panel for a "msg:n" choice (a clicked marker or the source list)."""
        m = _PICK.match(choice or "")
        if not m:
            return self.sources(session)
        return self.sources(session, int(m.group(1)), int(m.group(2)))

    @staticmethod
    def new_chat() -> Session:
        """A fresh conversation."""
        return Session()

    # -- the /ask API ---------------------------------------------------------------

    def ask(self, question: str, since: str = "", until: str = "", sources: list[str] | None = None) -> dict[str, Any]:
        """The Answer object (ARCHITECTURE.md) for `question`, as a dict; NewsdeskError if not."""
        check_question(question or "")
        wanted = self.search_filters(Filters(since, until, list(sources or [])), "sources")
        with self.line.turn(heartbeat=None) as places:
            for _ in places:  # the caller sees nothing while it waits: just wait for the turn
                pass
            return self.engine().ask(question, filters=wanted).to_dict()

    # -- adding articles ------------------------------------------------------------

    def upload_dir(self) -> Path:
        """Where uploaded files are kept (they stay: the index records their path)."""
        return (Path(self.settings.index) / "uploads").resolve()

    def add_files(
        self,
        files: list[str],
        progress: Callable[[float, str], None] | None = None,
        *,
        user: str | None = None,
        source: str | None = None,
        date: str | float | None = None,
    ) -> str:
        """Copy uploaded files into the upload folder and ingest them; a short report (text).

        `user` is who is signed in; when the server requires a login and nobody is, nothing
        is written (the server refuses such requests before this; this is the second lock).
        `source` and `date` (the form's optional Source and Date fields) are the publisher
        and publication date of the files that give none, as `ingest --source --date`.
        """
        if self.login_required and not user:
            log.warning("refused an upload from a request that is not signed in")
            return "refused: sign in to add articles"
        try:
            defaults = articles.batch_defaults(source, parse_day(date, "Date"), "Date")
        except NewsdeskError as exc:
            return f"nothing indexed: {exc.message}"
        progress = progress or (lambda fraction, desc: None)
        folder = self.upload_dir()
        folder.mkdir(parents=True, exist_ok=True)
        lines: list[str] = []
        kept: list[Path] = []
        limit = self.settings.upload_max_mb * 1024 * 1024
        for item in files or []:
            src = Path(item)
            name = safe_name(src.name)
            if src.suffix.lower() not in articles.supported_suffixes():
                lines.append(f"failed  {src.name}: unsupported file type - use one of {' '.join(articles.supported_suffixes())}")
                continue
            try:
                size = src.stat().st_size
            except OSError:
                lines.append(f"failed  {src.name}: the upload is gone - upload it again")
                continue
            if size > limit:
                lines.append(f"failed  {src.name}: larger than {self.settings.upload_max_mb} MB")
                continue
            dest = (folder / name).resolve()
            if dest.parent != folder:  # safe_name makes this impossible; check anyway
                lines.append(f"failed  {src.name}: bad file name")
                continue
            shutil.copyfile(src, dest)
            kept.append(dest)
        if kept:
            try:
                report = articles.add_articles(kept, self.settings, progress=_UploadProgress(progress), defaults=defaults)
            except Exception as exc:  # e.g. the index is unreachable: one line, not a traceback
                return "\n".join([f"nothing indexed: {problem(exc, 'upload')}", *lines])
            for where, reason in report.skipped:
                lines.append(f"skipped {_short(where, folder)}: {reason}")
            for where, reason in report.failed:
                lines.append(f"failed  {_short(where, folder)}: {reason}")
            lines.insert(
                0,
                f"added {len(report.added)}, updated {len(report.updated)}, unchanged {len(report.unchanged)}, "
                f"skipped {len(report.skipped)}, failed {len(report.failed)}",
            )
        elif not lines:
            lines.append("no file chosen")
        return "\n".join(lines)


def problem(exc: Exception, question: str = "") -> str:
    """The one line a user sees for `exc`: the message of a problem they can fix, else a
    pointer to the server log (where the traceback goes)."""
    if isinstance(exc, NewsdeskError):
        return exc.message
    log.error("answering %r failed", question, exc_info=exc)
    return UNEXPECTED.format(kind=type(exc).__name__)


def _choice_label(c: dict[str, Any], width: int = 60) -> str:
    # Two citations of one article differ by the start of their sentence, so it comes first
    # (the list shows one line per source).
    sentence = " ".join(str(c.get("sentence") or "").split())
    snippet = sentence if len(sentence) <= width else sentence[: width - 1].rstrip() + "\u2026"
    return f"[{c['n']}] \u201c{snippet}\u201d \u2013 {c.get('title') or '(untitled)'}"


def safe_name(name: str) -> str:
    """A file name that stays inside a folder: no path, no leading dots, plain characters."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).lstrip(".") or "upload"
    return base[:120]


def _short(where: str, folder: Path) -> str:
    return where.replace(str(folder) + "/", "")


class _UploadProgress:
    """The ingest Progress protocol as `progress(fraction, description)` calls."""

    def __init__(self, report: Callable[[float, str], None]) -> None:
        self._report = report
        self._total = 0
        self._done = 0

    def scanned(self, files: int, articles: int) -> None:
        self._report(0.0, f"reading {files} files, {articles} articles")

    def start(self, total_articles: int) -> None:
        self._total = total_articles
        self._report(0.0, f"embedding {total_articles} articles")

    def advance(self, articles: int, chunks: int) -> None:
        self._done += articles
        self._report(self._done / max(self._total, 1), f"indexed {self._done} of {self._total} articles")
