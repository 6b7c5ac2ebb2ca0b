"""The Answer as terminal text: the answer with [n] markers, then the numbered sentences."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from newsdesk.answer import Answer


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
