"""`newsdesk ask` in a terminal: evidence first, then the draft, then what checking changed."""

import io

from rich.console import Console

from app.terminal import follow_answer, print_answer
from newsdesk.answer import Answer, Citation, Evidence, Shown

EVIDENCE = [
    Evidence(1, "d1", "US delegation visits", "Daily Times", "2025-10-31", "", "Officials met in Islamabad.", 0, 27),
    Evidence(2, "d1", "US delegation visits", "Daily Times", "2025-10-31", "", "Robert Louis Strayer II led the US side.", 28, 68),
    Evidence(3, "d2", "Copper record", "Minerals Monitor", "2025-10-03", "", "Copper reached $11,240 a tonne.", 0, 31),
]


def _console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=200, color_system=None, soft_wrap=True), buf


def _answer(text: str, abstained: bool = False, cited: tuple[int, ...] = ()) -> Answer:
    citations = [Citation(n, e.doc_id, e.title, e.source, e.published_at, e.url, e.sentence, e.start, e.end, True)
                 for n, e in ((n, EVIDENCE[n - 1]) for n in cited)]
    return Answer("Who led it?", text, abstained, citations, evidence=EVIDENCE)


def test_evidence_then_draft_then_the_change_line():
    console, buf = _console()
    items = [Shown(EVIDENCE), "Strayer led it [2]. ", "It met on the moon [3].", _answer("Strayer led it [2].", cited=(2,))]
    answer = follow_answer(items, console)
    assert answer.answer == "Strayer led it [2]."
    out = buf.getvalue()
    # Grouped under "Title - Publisher - Date", numbered as the prompt numbers them.
    assert out.index("US delegation visits - Daily Times - 2025-10-31") < out.index("[1] Officials met") < out.index("[2] Robert")
    assert out.index("[2] Robert") < out.index("Copper record - Minerals Monitor - 2025-10-03") < out.index("[3] Copper")
    assert out.index("[3] Copper") < out.index("draft: Strayer led it [2]. It met on the moon [3].")
    assert out.index("draft:") < out.index("checked: 1 unsupported claim removed") < out.index("Checked answer")


def test_a_withdrawn_draft_says_so_and_an_unchanged_one_says_nothing():
    console, buf = _console()
    follow_answer([Shown(EVIDENCE), "Strayer flew to Mars [1].", _answer("The articles don't say.", abstained=True)], console)
    assert "checked: the draft was withdrawn - no shown sentence supports it" in buf.getvalue()
    console, buf = _console()
    follow_answer([Shown(EVIDENCE), "Strayer led it [2].", _answer("Strayer led it [2].", cited=(2,))], console)
    assert "checked:" not in buf.getvalue() and "draft: Strayer led it [2]." in buf.getvalue()


def test_without_a_terminal_nothing_but_the_answer():
    answer = follow_answer(iter([Shown(EVIDENCE), "x", _answer("Strayer led it [2].", cited=(2,))]))
    console, buf = _console()
    print_answer(answer, console)
    assert buf.getvalue().startswith("Strayer led it [2].") and "[2] \u201cRobert Louis Strayer II" in buf.getvalue()
