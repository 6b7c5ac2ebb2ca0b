"""The Answer contract shared by the engine, the CLI, the UI and eval (see ARCHITECTURE.md)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ABSTAIN_TEXT = "The articles don't say."


@dataclass
class Citation:
    """A numbered source sentence: `sentence` is the article text at `[start, end)`.

    A computed fact (`computed`: the publication order of the articles, a named publisher
    the search found nothing from) is newsdesk's own line: doc_id "", start = end = 0,
    source "newsdesk (from the articles' dates)" or "newsdesk (from the search)".
    """

    n: int
    doc_id: str
    title: str
    source: str
    published_at: str
    url: str
    sentence: str
    start: int
    end: int
    supported: bool
    computed: bool = False


@dataclass
class Evidence:
    """A numbered sentence shown to the LLM; `n` is the number the answer's markers use;
    `computed` as in Citation."""

    n: int
    doc_id: str
    title: str
    source: str
    published_at: str
    url: str
    sentence: str
    start: int
    end: int
    computed: bool = False


@dataclass
class Shown:
    """What `AnswerEngine.stream` yields before the LLM's first token: the numbered evidence."""

    evidence: list[Evidence]


@dataclass
class Retrieved:
    """A retrieved passage, cited or not."""

    doc_id: str
    title: str
    score: float
    text: str


@dataclass
class Answer:
    """What newsdesk answers: text with [n] markers, the cited sentences, and how it got there."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    retrieved: list[Retrieved] = field(default_factory=list)
    timings: dict[str, int] = field(default_factory=dict)
    llm: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object `newsdesk ask --json` prints: exactly the fields ARCHITECTURE.md lists."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """Rebuild an Answer from `to_dict()` output."""
        return cls(
            question=data["question"],
            answer=data["answer"],
            abstained=data["abstained"],
            citations=[Citation(**c) for c in data.get("citations", [])],
            retrieved=[Retrieved(**r) for r in data.get("retrieved", [])],
            timings=dict(data.get("timings", {})),
            llm=data.get("llm", ""),
            evidence=[Evidence(**e) for e in data.get("evidence", [])],
        )
