"""The default local LLM (Qwen2.5-Coder-1.5B on llama.cpp) over the seed article: the issue's checks."""

import pytest

from newsdesk.articles import add_articles
from newsdesk.engine import AnswerEngine
from newsdesk.settings import load_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from tests.conftest import SEED

    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED} (../shared is absent on this machine)")
    settings = load_settings(None, index=tmp_path_factory.mktemp("local") / "index", llm="local")
    report = add_articles([SEED], settings)
    assert report.ok and len(report.added) == 1
    return AnswerEngine(settings)


def test_strayer_is_answered_and_cited_verbatim(engine):
    answer = engine.ask("Who led the US delegation that visited Islamabad?")
    assert not answer.abstained, answer.answer
    assert "Strayer" in answer.answer
    cited = [c for c in answer.citations if "Strayer" in c.sentence and c.supported]
    assert cited
    article = engine.store.article(cited[0].doc_id)
    assert article.text[cited[0].start : cited[0].end] == cited[0].sentence
    assert answer.llm == "qwen2.5-coder-1.5b-instruct-q4_k_m"


def test_unanswerable_question_abstains(engine):
    answer = engine.ask("How much money did the US pledge for lithium mines in Pakistan?")
    assert answer.abstained and answer.citations == []
