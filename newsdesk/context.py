"""From retrieved hits to the numbered sentences the LLM sees, grouped under article headers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Collection, Iterable, Sequence

from index.hits import Hit
from index.text import content_terms


@dataclass
class Candidate:
    """A sentence the LLM may cite: verbatim article text at `[start, end)`."""

    doc_id: str
    title: str
    source: str
    published_at: str
    url: str
    start: int
    end: int
    text: str
    score: float = 0.0
    overlap: float = 0.0
    chunk_rank: int = 0
    computed: bool = False  # a fact newsdesk states (newsdesk.sides), not an article's sentence


def candidates_from_hits(hits: Iterable[Hit]) -> list[Candidate]:
    """Every sentence of the retrieved chunks, in rank order."""
    out: list[Candidate] = []
    for rank, hit in enumerate(hits):
        for sentence in hit.sentences():
            out.append(
                Candidate(
                    doc_id=hit.doc_id,
                    title=hit.title,
                    source=hit.source,
                    published_at=hit.published_at,
                    url=hit.url,
                    start=sentence.start,
                    end=sentence.end,
                    text=sentence.text,
                    chunk_rank=rank,
                )
            )
    return out


def select_sentences(
    question: str,
    candidates: list[Candidate],
    *,
    max_sentences: int = 8,
    max_chars: int = 2400,
    min_articles: int = 3,
    sides: Sequence[tuple[Collection[str], float]] = (),
) -> list[Candidate]:
    """The sentences most worth showing the LLM, ordered by article then position.

    Each sentence is scored by the idf-weighted share of the question's terms it holds,
    plus a small bonus for its chunk's retrieval rank. Kept first: for each of `sides`
    ((doc ids, floor): the articles of one publisher or date the question names, see
    newsdesk.sides) its best sentence holding more than `floor` of the question, from an
    article no earlier side took when there is one; then the best sentence of each of the
    top `min_articles` articles, so multi-article questions have their evidence.
    """
    question_terms = content_terms(question)
    term_sets = [content_terms(c.text) for c in candidates]
    n = len(candidates) or 1
    idf = {
        t: math.log(1 + n / (1 + sum(1 for ts in term_sets if t in ts))) for t in question_terms
    }
    total = sum(idf.values()) or 1.0
    for cand, terms in zip(candidates, term_sets):
        cand.overlap = sum(idf[t] for t in question_terms & terms) / total
        cand.score = cand.overlap + 0.1 / (1 + cand.chunk_rank)

    ranked = sorted(candidates, key=lambda c: -c.score)
    chosen: list[Candidate] = []
    for docs, floor in sides:
        own = [c for c in ranked if c.doc_id in docs and c.overlap > floor and c not in chosen]
        taken = {c.doc_id for c in chosen}
        pick = next((c for c in own if c.doc_id not in taken), own[0] if own else None)
        if pick is not None and len(chosen) < max_sentences:
            chosen.append(pick)
    seen_docs: list[str] = list(dict.fromkeys(c.doc_id for c in chosen))
    for cand in ranked:  # the best sentence of each leading article first
        if cand.doc_id not in seen_docs and len(seen_docs) < min_articles and len(chosen) < max_sentences:
            seen_docs.append(cand.doc_id)
            chosen.append(cand)
    used = sum(len(c.text) for c in chosen)
    for cand in ranked:
        if len(chosen) >= max_sentences:
            break
        if cand in chosen or used + len(cand.text) > max_chars:
            continue
        chosen.append(cand)
        used += len(cand.text)

    doc_order = {}
    for cand in sorted(chosen, key=lambda c: -c.score):
        doc_order.setdefault(cand.doc_id, len(doc_order))
    return sorted(chosen, key=lambda c: (doc_order[c.doc_id], c.start))


def _as_data(text: str) -> str:
    # Article text is data: one line per sentence, and it can't close the <articles> block
    # or pose as a header, a numbered sentence or a new question.
    flat = " ".join(text.split())
    return flat.replace("<", "‹").replace(">", "›")


def format_context(sentences: list[Candidate]) -> str:
    """Numbered sentences `[1] ...` under `## Title - Source - Date` headers; computed facts
    under `## Publication order - newsdesk (from the articles' dates)` and the like."""
    lines: list[str] = []
    current = None
    for n, cand in enumerate(sentences, start=1):
        if (cand.doc_id, cand.title, cand.source) != current:
            current = (cand.doc_id, cand.title, cand.source)
            header = " - ".join(p for p in (cand.title, cand.source, cand.published_at) if p)
            lines.append(f"## {_as_data(header) or 'Untitled'}")
        lines.append(f"[{n}] {_as_data(cand.text)}")
    return "\n".join(lines)


_REFERRING = re.compile(
    r"\b(it|its|they|them|their|theirs|he|him|his|she|her|hers|this|that|these|those|there|then|same|other|else|former|latter)\b",
    re.IGNORECASE,
)
_CONTINUING = re.compile(r"^\W*(and|or|but|also|so|what about|how about|why not|and why|then)\b", re.IGNORECASE)


def needs_history(question: str) -> bool:
    """True when a follow-up question leans on the conversation and must be rewritten first:
    it refers back ("it", "they", "that", "there"...), continues ("and in Peru?", "what
    about ..."), or holds fewer than three content words. A question that stands on its own
    is searched as asked, without the LLM call that rewriting costs (seconds on a CPU)."""
    return bool(_REFERRING.search(question) or _CONTINUING.search(question)) or len(content_terms(question)) < 3
