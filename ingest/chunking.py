"""Sentence-aligned chunks sized with the embedder's own tokenizer."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Callable

# An embedder's tokenizer run once over a whole text: (token ids, each token's start offset).
Tokenize = Callable[[str], tuple[list[int], list[int]]]

# [CLS] and [SEP] take two places of the window.
SPECIAL_TOKENS = 2


@dataclass
class Chunk:
    """A run of whole sentences; `text` is `article_text[start:end]` exactly."""

    index: int
    start: int
    end: int
    text: str
    sentences: list[tuple[int, int]]
    embed_text: str
    # The word pieces of `embed_text` (no special tokens), when the chunker had the
    # embedder's tokenizer: the embedder then runs them without tokenising again.
    embed_ids: list[int] | None = None


# What each chunk is embedded with in front of its text. "title": the article's title
# alone - publisher and date are matched by filters and by the keyword index, which holds
# them for every chunk. Repeating them in every vector cost 7% more tokens to embed, and
# retrieval measured no better for it: title alone moved MultiHop-RAG dev evidence
# recall@4 0.878 -> 0.880 (mrr@10 0.977 -> 0.973) and RealTimeQA dev answer recall@4
# 0.667 -> 0.689, @10 0.795 -> 0.835. "title-source-date": the older recipe.
PREFIXES = ("title", "title-source-date")


def header_line(title: str, source: str, published_at: str, prefix: str = "title") -> str:
    """The metadata prefix a chunk is embedded with: 'Title' or 'Title - Source - Date'."""
    parts = (title,) if prefix == "title" else (title, source, published_at)
    return " - ".join(part for part in parts if part)


def _split_long(
    text: str, span: tuple[int, int], budget: int, count: Callable[[list[tuple[int, int]]], list[int]]
) -> list[tuple[int, int]]:
    """Cut a sentence that alone exceeds the budget at word boundaries."""
    pieces: list[tuple[int, int]] = []
    words = list(_word_spans(text, *span))
    counts = count(words)
    cur_start, used = words[0][0], 0
    last_end = words[0][0]
    for (a, b), n in zip(words, counts):
        if used and used + n > budget:
            pieces.append((cur_start, last_end))
            cur_start, used = a, 0
        used += n
        last_end = b
    pieces.append((cur_start, last_end))
    return pieces


def _word_spans(text: str, start: int, end: int):
    i = start
    while i < end:
        while i < end and text[i].isspace():
            i += 1
        j = i
        while j < end and not text[j].isspace():
            j += 1
        if j > i:
            yield i, j
        i = j


def make_chunks(
    text: str,
    sentences: list[tuple[int, int]],
    header: str,
    max_tokens: int,
    count_tokens: Callable[[list[str]], list[int]],
    tokenize: Tokenize | None = None,
) -> list[Chunk]:
    """Pack whole sentences into chunks whose embedded text fits in `max_tokens`.

    The embedded text is `header` + newline + the chunk text; the header's tokens and the
    model's special tokens count against the budget, so nothing is cut off unembedded.
    With `tokenize` the text is tokenised once: spans are counted from token offsets and
    each chunk carries its word pieces (`embed_ids`), which are exactly those of its
    embedded text because word pieces never cross whitespace.
    """
    if tokenize is not None:
        ids, starts = tokenize(text)

        def count_spans(spans: list[tuple[int, int]]) -> list[int]:
            return [bisect_left(starts, b) - bisect_left(starts, a) for a, b in spans]
    else:
        def count_spans(spans: list[tuple[int, int]]) -> list[int]:
            return count_tokens([text[a:b] for a, b in spans])

    header_tokens = count_tokens([header])[0] if header else 0
    # A runaway title must not eat the whole window.
    if header_tokens > max_tokens // 3:
        header = header[: max(20, len(header) * (max_tokens // 3) // header_tokens)].rstrip()
        header_tokens = count_tokens([header])[0]
    budget = max_tokens - SPECIAL_TOKENS - header_tokens
    sent_tokens = count_spans(sentences)

    spans: list[tuple[int, int]] = []
    tokens: list[int] = []
    for span, n in zip(sentences, sent_tokens):
        if n > budget:
            parts = _split_long(text, span, budget, count_spans)
            spans.extend(parts)
            tokens.extend(count_spans(parts))
        else:
            spans.append(span)
            tokens.append(n)

    groups: list[list[int]] = []
    used = 0
    for i, n in enumerate(tokens):
        if groups and used + n <= budget:
            groups[-1].append(i)
            used += n
        else:
            groups.append([i])
            used = n

    header_ids = tokenize(header)[0] if tokenize is not None and header else []
    chunks = []
    for index, group in enumerate(groups):
        start, end = spans[group[0]][0], spans[group[-1]][1]
        body = text[start:end]
        embed_text = f"{header}\n{body}" if header else body
        piece_ids = None
        if tokenize is not None:
            piece_ids = header_ids + ids[bisect_left(starts, start) : bisect_left(starts, end)]
        chunks.append(Chunk(index, start, end, body, [spans[i] for i in group], embed_text, piece_ids))
    return chunks
