"""Measure the support check (newsdesk.citations.supports) on labelled claim/sentence pairs.

    python -m eval.support_check [--qa data/sample/qa.jsonl --articles data/sample/articles]
    python -m eval.support_check --pairs data/sample/hard_pairs.jsonl

From a Q&A set with gold sentences (`--qa`): each answerable question gives one claim, its
gold short answer read in the context of the question (as the engine reads an answer
sentence). Positives pair the claim with its gold sentence(s); hard negatives pair it with
the three corpus sentences that share most words with the question and the answer but
don't contain the answer. Yes/No answers carry no checkable content and are left out.

From a file of labelled pairs (`--pairs`, JSON lines of {"question", "claim", "sentence",
"supported", "kind"}): each pair is scored as it is, and the misses are broken down by kind.

Prints accuracy, precision and recall of "supported".
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path
from typing import Callable

from index.text import content_terms
from ingest.pipeline import prepare_article
from ingest.readers import readable_articles
from ingest.sentences import split_sentences
from newsdesk.citations import supports

REPO = Path(__file__).resolve().parents[1]
Check = Callable[[str, list[str], str], bool]


def corpus_sentences(articles: Path) -> list[str]:
    """Every sentence of every article under `articles`, cleaned as ingest cleans them."""
    out = []
    for raw in readable_articles([articles]):
        record = prepare_article(raw)
        out.extend(record.text[a:b] for a, b in split_sentences(record.text))
    return out


def scores(tp: int, fp: int, tn: int, fn: int) -> dict[str, float]:
    """Accuracy, precision and recall of "supported" from the four counts."""
    total = tp + fp + tn + fn
    return {
        "pairs": total,
        "accuracy": round((tp + tn) / total, 3) if total else 0.0,
        "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
        "positives": tp + fn,
        "negatives": tn + fp,
    }


def evaluate(qa_path: Path, sentences: list[str], check: Check = supports) -> dict[str, float]:
    """Accuracy, precision and recall of `check` on gold sentences and hard negatives."""
    tp = fp = tn = fn = 0
    for line in qa_path.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        answer = q["answer"].strip().rstrip(".")
        facts = [e["fact"] for e in q.get("evidence_list", [])]
        if not facts or answer.lower() in {"yes", "no", "insufficient information"}:
            continue
        question = q.get("question") or q.get("query", "")
        if check(answer, facts, question):
            tp += 1
        else:
            fn += 1
        # Hard negatives: close to the question and the answer, without the answer itself.
        near = content_terms(question) | content_terms(answer)
        negatives = [s for s in sentences if answer.lower() not in s.lower() and s not in facts]
        negatives.sort(key=lambda s: -len(near & content_terms(s)))
        for sentence in negatives[:3]:
            if check(answer, [sentence], question):
                fp += 1
            else:
                tn += 1
    return scores(tp, fp, tn, fn)


def evaluate_pairs(pairs_path: Path, check: Check = supports) -> dict:
    """Accuracy, precision and recall of `check` on labelled pairs, and the errors by kind."""
    tp = fp = tn = fn = 0
    wrong: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for line in pairs_path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        pair = json.loads(line)
        said = check(pair["claim"], [pair["sentence"]], pair["question"])
        label = bool(pair["supported"])
        tp += said and label
        fp += said and not label
        tn += not said and not label
        fn += not said and label
        total[pair["kind"]] += 1
        wrong[pair["kind"]] += said != label
    out: dict = scores(tp, fp, tn, fn)
    out["errors_by_kind"] = {kind: f"{wrong[kind]}/{n}" for kind, n in sorted(total.items())}
    return out


def main() -> None:
    """Print the support check's measured accuracy."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--qa", type=Path, default=REPO / "data" / "sample" / "qa.jsonl")
    parser.add_argument("--articles", type=Path, default=REPO / "data" / "sample" / "articles")
    parser.add_argument("--pairs", type=Path, help="score a JSON-lines file of labelled pairs instead of a Q&A set")
    args = parser.parse_args()
    if args.pairs:
        print(json.dumps(evaluate_pairs(args.pairs), indent=2))
        return
    print(json.dumps(evaluate(args.qa, corpus_sentences(args.articles)), indent=2))


if __name__ == "__main__":
    main()
