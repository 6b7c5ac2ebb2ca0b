"""The terminal side of the CLI: the ingest progress bar and an Answer printed as text."""

from __future__ import annotations

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

from newsdesk.answer import Answer


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
        console.print(Text(f"[{c.n}] ", style="bold") + Text(f"\u201c{c.sentence}\u201d") + Text(flag, style="yellow"))
        meta = " - ".join(p for p in (c.title, c.source, c.published_at) if p)
        console.print(Text(f"    {meta}", style="dim"))
        if c.url:
            console.print(Text(f"    {c.url}", style="dim"))
