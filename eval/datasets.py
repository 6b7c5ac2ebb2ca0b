"""Adapters from the evaluation sets' own JSONL formats to one question type.

Sets: MultiHop-RAG (`query`, `evidence_list[].fact`), RealTimeQA (`question`, `choices`,
`answer_doc_urls`), and the sample corpus's `qa.jsonl` (MultiHop-RAG's shape with
`question` in place of `query`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

NULL_QUERY = "null_query"


@dataclass(frozen=True)
class QAItem:
    """One evaluation question; `facts` are the gold evidence sentences (empty for null queries)."""

    qid: str
    question: str
    answer: str
    question_type: str
    facts: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    answer_urls: tuple[str, ...] = ()

    @property
    def is_null(self) -> bool:
        """True when the set marks the question unanswerable (no gold evidence)."""
        return self.question_type in (NULL_QUERY, "null") or (
            not self.facts and not self.answer_urls
        )


def _queries_file(path: Path) -> Path:
    path = Path(path)
    return path / "queries.jsonl" if path.is_dir() else path


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def load_multihop(path: Path) -> list[QAItem]:
    """MultiHop-RAG questions from `queries.jsonl` (or its folder); also reads the sample `qa.jsonl`."""
    items = []
    for row in _lines(_queries_file(path)):
        evidence = row.get("evidence_list") or []
        items.append(
            QAItem(
                qid=str(row["qid"]),
                question=row.get("query") or row["question"],
                answer=str(row.get("answer", "")),
                question_type=row.get("question_type", ""),
                facts=tuple(e["fact"] for e in evidence if e.get("fact")),
                answer_urls=tuple(e["url"] for e in evidence if e.get("url")),
            )
        )
    return items


def load_realtimeqa(path: Path) -> list[QAItem]:
    """RealTimeQA questions from `queries.jsonl` (or its folder); the answer is the right choice's text."""
    return [
        QAItem(
            qid=str(row["qid"]),
            question=row["question"],
            answer=str(row["answer"]),
            question_type="multiple_choice",
            choices=tuple(row.get("choices") or ()),
            answer_urls=tuple(row.get("answer_doc_urls") or ()),
        )
        for row in _lines(_queries_file(path))
    ]


LOADERS = {"multihop-rag": load_multihop, "realtimeqa": load_realtimeqa, "sample": load_multihop}


def load_dataset(name: str, path: Path) -> list[QAItem]:
    """Load the set called `name` ('multihop-rag', 'realtimeqa' or 'sample') from `path`."""
    try:
        loader = LOADERS[name]
    except KeyError:
        raise ValueError(f"unknown dataset '{name}': use one of {', '.join(LOADERS)}") from None
    return loader(path)
