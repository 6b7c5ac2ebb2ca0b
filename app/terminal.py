"""The terminal side of the CLI: the ingest progress bar, and `ask`'s evidence, draft and Answer as text."""

from __future__ import annotations

from typing import Iterable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from newsdesk.answer import Answer, Evidence, Shown
from newsdesk.changes import answer_change


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{rate:5.1f} articles/s  {task.fields.get('chunks', 0)} chunks")


class RichProgress:
    """The ingest Progress protocol drawn with rich on the given console."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            _RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._scan = None
        self._embed = None

    def __enter__(self) -> RichProgress:
        self._progress.__enter__()
        self._scan = self._progress.add_task("reading", total=None, chunks=0)
        return self

    def __exit__(self, *exc) -> None:
        self._progress.__exit__(*exc)

    def scanned(self, files: int, articles: int) -> None:
        """Update the reading line."""
        self._progress.update(self._scan, description=f"reading {files} files, {articles} articles")

    def start(self, total_articles: int) -> None:
        """Begin the embedding bar."""
        self._progress.update(self._scan, total=1, completed=1)
        self._embed = self._progress.add_task("embedding", total=total_articles, chunks=0)

    def advance(self, articles: int, chunks: int) -> None:
        """Move the embedding bar on."""
        task = self._progress.tasks[self._embed]
        self._progress.update(self._embed, advance=articles, chunks=task.fields["chunks"] + chunks)


def print_answer(answer: Answer, console: Console) -> None:
    """Print the answer, then each cited sentence with title, publisher and date."""
    console.print(Text(answer.answer, style="italic" if answer.abstained else ""))
    if not answer.citations:
        return
    console.print()
    for c in answer.citations:
        flag = "" if c.supported else "  (unverified: the sentence does not clearly support the claim)"
        console.print(Text.assemble((f"[{c.n}] ", "bold"), f"\u201c{c.sentence}\u201d", (flag, "yellow")))
        meta = " - ".join(p for p in (c.title, c.source, c.published_at) if p)
        console.print(Text(f"    {meta}", style="dim"))
        if c.url:
            console.print(Text(f"    {c.url}", style="dim"))


def _header(e: Evidence) -> str:
    return " - ".join(p for p in (e.title, e.source, e.published_at) if p) or "(untitled)"


def print_evidence(evidence: list[Evidence], console: Console) -> None:
    """The numbered sentences the model is shown, grouped under "Title - Publisher - Date"."""
    if not evidence:
        console.print(Text("No sentence in the articles is about this question.", style="dim"))
        return
    console.print(Text("Evidence", style="bold"))
    current = None
    for e in evidence:
        if e.doc_id != current:
            current = e.doc_id
            console.print(Text(f"  {_header(e)}", style="dim"))
        console.print(Text.assemble((f"    [{e.n}] ", "bold"), " ".join(e.sentence.split())))
    console.print()


def follow_answer(items: Iterable[Shown | str | Answer], console: Console | None = None) -> Answer:
    """Consume `AnswerEngine.stream` and return its Answer.

    With a `console` (a terminal), show the evidence as soon as it is known, then the
    model's draft as it streams (dim, after "draft:"), then - when checking changed it -
    the one line saying what changed and why. The verified answer itself is left to the
    caller (`print_answer`).
    """
    draft: list[str] = []
    answer = None
    for item in items:
        if isinstance(item, Answer):
            answer = item
        elif isinstance(item, Shown):
            if console is not None:
                print_evidence(item.evidence, console)
        else:
            if console is not None:
                if not draft:
                    console.print(Text("draft: ", style="bold dim"), end="")
                console.print(Text(item, style="dim"), end="")
            draft.append(item)
    if answer is None:  # the engine always ends with the Answer; a broken stream is a bug
        raise RuntimeError("the answer stream ended without an Answer")
    if console is not None:
        if draft:
            console.print()
        change = answer_change("".join(draft), answer)
        if change:
            console.print(Text(change, style="yellow"))
        console.print(Text("Checked answer", style="bold"))
    return answer
