"""Which questions and articles an eval run uses: a named set, or a Q&A JSONL path.

    sample        data/sample/qa.jsonl over data/sample/articles/ (the project's own set)
    multihop-rag  <data-dir>/multihop-rag/{queries,articles}.jsonl
    realtimeqa    <data-dir>/realtimeqa/{queries,articles}.jsonl
    PATH          a Q&A JSONL in the sample's format (or RealTimeQA's: rows with `choices`),
                  with its articles beside it: articles.jsonl, or an articles/ folder
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from eval.datasets import QAItem, load_multihop, load_realtimeqa
from index.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA_DIR = REPO.parent / "shared" / "data"
SAMPLE_QA = REPO / "data" / "sample" / "qa.jsonl"
SAMPLE_ARTICLES = REPO / "data" / "sample" / "articles"
SHARED_SETS = ("multihop-rag", "realtimeqa")
SAMPLE_SEED = 0


class EvalError(UsageError):
    """A problem the user can fix (unknown set, missing folder); the message is one line."""


@dataclass(frozen=True)
class EvalSet:
    """A Q&A set and the articles it is asked over. `kind` picks the metrics: multihop or realtimeqa."""

    name: str
    kind: str
    queries: Path
    articles: Path

    def load(self) -> list[QAItem]:
        """Every question of the set, in file order."""
        loader = load_realtimeqa if self.kind == "realtimeqa" else load_multihop
        try:
            return loader(self.queries)
        except (OSError, ValueError, KeyError) as exc:
            raise EvalError(f"{self.queries}: cannot read the questions ({type(exc).__name__}: {exc})") from None

    def fingerprint(self) -> str:
        """A short hash of where the articles are, so each article source gets its own index folder."""
        return hashlib.sha1(str(self.articles.resolve()).encode()).hexdigest()[:8]


def _kind_of(queries: Path) -> str:
    with open(queries, encoding="utf-8") as handle:
        first = next((line for line in handle if line.strip()), "{}")
    try:
        row = json.loads(first)
    except json.JSONDecodeError:
        raise EvalError(f"{queries}: the first line is not JSON - expected a Q&A JSONL") from None
    return "realtimeqa" if "choices" in row else "multihop"


def resolve_set(dataset: str, data_dir: Path | None = None) -> EvalSet:
    """The EvalSet that `dataset` (a set name or a Q&A JSONL path) names."""
    data_dir = Path(data_dir) if data_dir else DEFAULT_DATA_DIR
    if dataset == "sample":
        return EvalSet("sample", "multihop", SAMPLE_QA, SAMPLE_ARTICLES)
    if dataset in SHARED_SETS:
        folder = data_dir / dataset
        if not data_dir.is_dir():
            raise EvalError(
                f"data folder {data_dir} not found - put the evaluation sets there or pass --data-dir DIR"
            )
        for needed in ("queries.jsonl", "articles.jsonl"):
            if not (folder / needed).is_file():
                raise EvalError(
                    f"{folder / needed} not found - --data-dir must hold {dataset}/queries.jsonl and articles.jsonl"
                )
        kind = "realtimeqa" if dataset == "realtimeqa" else "multihop"
        return EvalSet(dataset, kind, folder / "queries.jsonl", folder / "articles.jsonl")
    path = Path(dataset)
    if path.is_dir() and (path / "queries.jsonl").is_file():
        path = path / "queries.jsonl"
    if not path.is_file():
        raise EvalError(
            f"unknown dataset '{dataset}': use sample, multihop-rag, realtimeqa or a path to a Q&A JSONL"
        )
    for articles in (path.parent / "articles.jsonl", path.parent / "articles"):
        if articles.exists():
            return EvalSet(path.stem if path.stem not in ("queries", "qa") else path.parent.name,
                           _kind_of(path), path, articles)
    raise EvalError(f"{path}: no articles beside it - put articles.jsonl or an articles/ folder next to it")


def sample_items(items: list[QAItem], limit: int | None, seed: int = SAMPLE_SEED) -> list[QAItem]:
    """A fixed, seeded sample of `limit` questions (all when `limit` is falsy), kept in file order."""
    if not limit or limit >= len(items):
        return list(items)
    chosen = set(random.Random(seed).sample(range(len(items)), limit))
    return [item for i, item in enumerate(items) if i in chosen]


def first_articles(evalset: EvalSet, n: int, folder: Path) -> tuple[EvalSet, set[str]]:
    """The set cut to its first `n` articles (a JSONL articles file), and the URLs kept.

    The cut is written once to `folder` (a stable path, so its index is reused); questions
    are then kept by `keeps_question`. For sets too big to index on the machine at hand."""
    if not evalset.articles.is_file():
        raise EvalError(f"--articles needs an articles.jsonl; {evalset.articles} is a folder")
    lines: list[str] = []
    with open(evalset.articles, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                lines.append(line if line.endswith("\n") else line + "\n")
                if len(lines) == n:
                    break
    folder.mkdir(parents=True, exist_ok=True)
    cut = folder / f"{evalset.name}-first{n}-{evalset.fingerprint()}.jsonl"
    text = "".join(lines)
    if not cut.is_file() or cut.read_text(encoding="utf-8") != text:
        cut.write_text(text, encoding="utf-8")
    urls = {json.loads(line).get("url", "") for line in lines}
    return EvalSet(f"{evalset.name}-first{n}", evalset.kind, evalset.queries, cut), urls


def keeps_question(item: QAItem, urls: set[str]) -> bool:
    """After a cut: a null question always stays; another stays when one of its gold articles is in."""
    return item.is_null or any(u in urls for u in item.answer_urls)
