"""What checking changed: the draft the LLM wrote beside the verified Answer, in one line.

Front ends show the draft while it streams and the verified answer after it; when the two
differ, `answer_change` says how and why, so an answer is never silently replaced:

    checked: 1 unsupported claim removed, 1 citation corrected
    checked: the draft was withdrawn - no shown sentence supports it
"""

from __future__ import annotations

import re

from ingest.sentences import split_sentences
from newsdesk.answer import Answer
from newsdesk.citations import marker_numbers, normalise_markers, strip_markers
from newsdesk.verify import says_insufficient

WITHDRAWN = "checked: the draft was withdrawn - no shown sentence supports it"
QUOTED = "checked: the draft's claims are not supported by the sentences - quoting [{n}], which answers the question, instead"
_QUOTE = re.compile(r'^"(.+)" \[(\d+)\]\.$', re.DOTALL)


def _claims(text: str) -> list[tuple[str, set[int]]]:
    """(comparable text, marker numbers) per sentence of an answer or draft."""
    text = normalise_markers(" ".join(text.split()))
    out = []
    for start, end in split_sentences(text):
        piece = text[start:end]
        key = _key(strip_markers(piece))
        if key:
            out.append((key, set(marker_numbers(piece))))
    return out


def _key(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .!?;:,\"'")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def answer_change(draft: str, answer: Answer) -> str | None:
    """One line saying how the verified `answer` differs from the LLM's `draft` and why; None if it doesn't.

    Counted per draft sentence: removed (no part of it survived checking), cut back (only
    some clauses, or a shorter form, did), citation corrected (a marker pointed at a
    sentence that doesn't support it, or at none); and the citations left flagged
    unverified. Markers the check adds to an uncited claim are not a change of substance.
    Nothing drafted (the LLM was not asked) is no change either.
    """
    drafted = _claims(draft)
    if not drafted:
        return None
    if answer.abstained:
        return None if says_insufficient(draft) else WITHDRAWN
    final = _claims(answer.answer)
    quote = _QUOTE.match(answer.answer.strip())
    if quote and [key for key, _ in drafted] != [key for key, _ in final]:
        return QUOTED.format(n=quote.group(2))
    removed = cut = corrected = 0
    for key, markers in drafted:
        same = [numbers for text, numbers in final if text == key]
        if same:
            corrected += bool(markers - same[0])
        elif any(text and text in key for text, _ in final):
            cut += 1
        else:
            removed += 1
    unverified = sum(not c.supported for c in answer.citations)
    parts = [
        _count(removed, "unsupported claim removed", "unsupported claims removed") if removed else "",
        _count(cut, "claim cut back to what its sentences support", "claims cut back to what their sentences support") if cut else "",
        _count(corrected, "citation corrected", "citations corrected") if corrected else "",
        _count(unverified, "citation marked unverified (its sentence does not clearly support the claim)",
               "citations marked unverified (their sentences do not clearly support the claims)") if unverified else "",
    ]
    parts = [p for p in parts if p]
    return f"checked: {', '.join(parts)}" if parts else None
