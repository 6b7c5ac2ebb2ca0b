"""HTML for the chat window: answers with footnote markers, the sources panel, the paragraph view.

Everything taken from an article or the LLM (title, sentence, paragraph, url, answer text)
is untrusted: it is escaped here, and URLs become links only when they are http(s).
Chat messages are wrapped in one <div> with no blank line inside, so the chat's markdown
renderer passes them through as an HTML block instead of reading markdown in article text.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlparse

from newsdesk.articles import Passage
from newsdesk.citations import MARKER

CITE_HREF = "#nd-cite-{msg}-{n}"
UNVERIFIED_TIP = "Unverified: the check could not confirm that this sentence supports the claim."
LEGEND = (
    '<div class="nd-legend"><span class="nd-key">[n]</span> opens the cited sentence \u00b7 '
    '<span class="nd-key nd-unverified">[n]</span> orange: unverified, the check could not confirm '
    "that the sentence supports the claim - read it before relying on it</div>"
)


def esc(text: Any) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(str(text or ""), quote=True)


def _lines(escaped: str) -> str:
    # Newlines as <br>: a blank line would end the HTML block and let markdown in.
    return escaped.replace("\r", "").replace("\n", "<br>")


def safe_url(url: str) -> str:
    """The URL when it is http(s) with a host, else ''."""
    url = (url or "").strip()
    try:
        parsed = urlparse(url)
    except ValueError:
        return ""
    return url if parsed.scheme in ("http", "https") and parsed.netloc else ""


def user_message(question: str) -> str:
    """A question as typed, shown as text."""
    return f'<div class="nd-question">{_lines(esc(question))}</div>'


def streaming_message(text: str) -> str:
    """An answer still being generated: plain escaped text, labelled as a draft (the check
    that follows may trim it); before the first word, a line saying the search is on."""
    if not text.strip():
        label = "Finding the evidence\u2026"
    else:
        label = "Drafting\u2026 the answer is checked against its sources when done"
    return (
        f'<div class="nd-answer nd-streaming"><div class="nd-draft-label">{label}</div>'
        f'<div class="nd-draft-text">{_lines(esc(text))}</div></div>'
    )


def waiting_message(ahead: int) -> str:
    """A question waiting for its turn: how many questions are ahead of it, as a status
    line (not an answer: the reply replaces it when this question's turn comes)."""
    what = "1 question" if ahead == 1 else f"{ahead} questions"
    return f'<div class="nd-waiting" role="status">{what} ahead of you</div>'


def change_note(line: str) -> str:
    """The one line saying what the check changed in the draft."""
    return f'<div class="nd-change" role="note">{esc(line)}</div>'


def error_message(message: str) -> str:
    """A problem the user can fix, as one short line in the chat."""
    return f'<div class="nd-error" role="alert">&#9888; {esc(message)}</div>'


def _byline(c: dict[str, Any]) -> str:
    return " \u00b7 ".join(esc(p) for p in (c.get("source"), c.get("published_at")) if p)


def _article_line(c: dict[str, Any]) -> str:
    # "Title - Publisher - Date", escaped, for the heading of an article's evidence.
    parts = [c.get("title") or "(untitled)", c.get("source"), c.get("published_at")]
    return " \u2013 ".join(esc(p) for p in parts if p)


def _marker(msg: int, n: int, by_n: dict[int, dict[str, Any]]) -> str:
    c = by_n.get(n)
    if c is None:
        return f"[{n}]"
    tip = f"\u201c{c['sentence']}\u201d \u2014 {c.get('title', '')}"
    extra = f" \u00b7 {c['source']}" if c.get("source") else ""
    extra += f" \u00b7 {c['published_at']}" if c.get("published_at") else ""
    cls = "nd-cite" if c.get("supported", True) else "nd-cite nd-unverified"
    if not c.get("supported", True):
        tip = f"{UNVERIFIED_TIP} {tip}"
    return (
        f'<a class="{cls}" href="{CITE_HREF.format(msg=msg, n=n)}" '
        f'title="{esc(tip + extra)}">[{n}]</a>'
    )


def answer_message(answer: dict[str, Any], msg: int, change: str | None = None) -> str:
    """A complete answer: `[n]` markers as footnote links (hover shows the sentence),
    then the numbered sources, then `change` (what the check changed in the draft) if
    any; an abstention is styled as one, not as an error."""
    note = change_note(change) if change else ""
    if answer.get("abstained"):
        return f'<div class="nd-answer nd-abstain">{_lines(esc(answer["answer"]))}{note}</div>'
    by_n = {c["n"]: c for c in answer.get("citations", [])}
    text = answer.get("answer", "")
    parts: list[str] = []
    last = 0
    for m in MARKER.finditer(text):
        parts.append(_lines(esc(text[last : m.start()])))
        numbers = [int(x) for x in re.findall(r"\d+", m.group(0))]
        parts.append("".join(_marker(msg, n, by_n) for n in numbers))
        last = m.end()
    parts.append(_lines(esc(text[last:])))
    notes = "".join(
        f'<li><a class="{"nd-cite" if c.get("supported", True) else "nd-cite nd-unverified"}" '
        f'href="{CITE_HREF.format(msg=msg, n=c["n"])}">[{c["n"]}]</a> '
        f'<span class="nd-note-title">{esc(c.get("title"))}</span> '
        f'<span class="nd-byline">{_byline(c)}</span></li>'
        for c in answer.get("citations", [])
    )
    notes_html = f'<ol class="nd-notes">{notes}</ol>' if notes else ""
    return f'<div class="nd-answer">{"".join(parts)}{notes_html}{note}</div>'


def with_change(content: str, line: str) -> str:
    """A rendered answer with the change line added at its end (once)."""
    if 'class="nd-change"' in content or not content.endswith("</div>"):
        return content
    return content[: -len("</div>")] + change_note(line) + "</div>"


def evidence_panel(evidence: list[dict[str, Any]], msg: int | None = None) -> str:
    """The numbered evidence sentences the LLM is answering from, grouped under their
    article ("Title - Publisher - Date"), numbered as the answer's markers will be."""
    if not evidence:
        return '<div class="nd-sources nd-evidence"><div class="nd-empty">No sentence found to answer from.</div></div>'
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in evidence:
        groups.setdefault(e.get("doc_id") or e.get("title") or "", []).append(e)
    out = [
        f'<div class="nd-sources nd-evidence" data-msg="{esc(msg)}">'
        '<div class="nd-sources-q">Evidence <span class="nd-draft-label">the answer is being written '
        "from these sentences\u2026</span></div>"
    ]
    for items in groups.values():
        out.append(f'<div class="nd-source"><div class="nd-title">{_article_line(items[0])}</div><ol class="nd-ev-list">')
        out.extend(
            f'<li id="nd-ev-{int(e["n"])}"><span class="nd-n">[{int(e["n"])}]</span> {esc(e.get("sentence"))}</li>'
            for e in items
        )
        out.append("</ol></div>")
    out.append("</div>")
    return "".join(out)


def sources_panel(
    answer: dict[str, Any] | None, chosen: int | None, passage: Passage | None, msg: int | None = None
) -> str:
    """The cited sentences of one answer (message `msg`); the chosen one is shown
    highlighted in its paragraph; retrieved but uncited passages sit in a collapsed section."""
    if not answer:
        return (
            '<div class="nd-sources nd-empty nd-placeholder">Sources appear here: as soon as you ask, '
            "the numbered sentences the answer is written from, then the ones it cites - click a "
            "marker like [1] in the answer to see its sentence in its paragraph.</div>"
        )
    out = [
        f'<div class="nd-sources" data-msg="{esc(msg)}">'
        f'<div class="nd-sources-q">Sources for: {esc(answer.get("question"))}</div>'
    ]
    citations = answer.get("citations", [])
    if answer.get("abstained") or not citations:
        out.append('<div class="nd-empty">No sentence is cited in this answer.</div>')
    for c in citations:
        is_chosen = c["n"] == chosen
        cls = "nd-source nd-chosen" if is_chosen else "nd-source"
        url = safe_url(c.get("url", ""))
        title = esc(c.get("title")) or "(untitled)"
        link = (
            f'<a class="nd-title" href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{title}</a>'
            if url
            else f'<span class="nd-title">{title}</span>'
        )
        flag = "" if c.get("supported", True) else f' <span class="nd-flag" title="{esc(UNVERIFIED_TIP)}">unverified</span>'
        out.append(
            f'<div class="{cls}" id="nd-source-{c["n"]}"><span class="nd-n">[{c["n"]}]</span> {link}{flag}'
            f'<div class="nd-byline">{_byline(c)}</div>'
        )
        if is_chosen and passage is not None:
            out.append(
                '<div class="nd-paragraph">'
                f'{esc(passage.before)}<mark class="nd-highlight">{esc(passage.sentence)}</mark>{esc(passage.after)}'
                "</div>"
            )
        else:
            out.append(f'<blockquote class="nd-sentence">{esc(c["sentence"])}</blockquote>')
        out.append("</div>")
    cited = {c["doc_id"] for c in citations}
    others = [r for r in answer.get("retrieved", []) if r.get("doc_id") not in cited]
    if others:
        items = "".join(
            f'<li><span class="nd-title">{esc(r.get("title"))}</span>'
            f'<div class="nd-passage">{esc(r.get("text"))}</div></li>'
            for r in others
        )
        out.append(
            f'<details class="nd-uncited"><summary>Retrieved but not cited ({len(others)})</summary>'
            f"<ul>{items}</ul></details>"
        )
    if citations:
        out.append(LEGEND)
    out.append("</div>")
    return "".join(out)


STATUS_TEXT = {"loading": "loading models...", "ready": "ready", "cold": "models load on the first question"}


def header(llm: str, articles: int, status: str | None = None) -> str:
    """Which LLM answers, how many articles are indexed, and (when given) whether the
    models are loaded: `status` is a key of STATUS_TEXT."""
    count = f"{articles} article{'s' if articles != 1 else ''} indexed"
    state = (
        f'<span class="nd-status nd-status-{esc(status)}" id="nd-status">{esc(STATUS_TEXT[status])}</span>'
        if status in STATUS_TEXT else ""
    )
    return (
        '<div class="nd-header"><span class="nd-brand">newsdesk</span>'
        f'<span class="nd-meta">answers by <b>{esc(llm)}</b> \u00b7 {count}</span>{state}</div>'
    )
