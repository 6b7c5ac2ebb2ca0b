"""Verdict plumbing with a real llama.cpp model (SmolLM2-135M): log-probabilities come back
for a one-word reply, and a yes/no question still yields a well-formed Answer."""

from __future__ import annotations

import pytest
from llama_index.core.llms import ChatMessage

from index.embedders import FakeEmbedder
from newsdesk.articles import add_articles
from newsdesk.citations import marker_numbers
from newsdesk.engine import AnswerEngine
from newsdesk.llms import LLMError, make_llm, one_word_kwargs
from newsdesk.settings import load_settings
from newsdesk.verdicts import OPTIONS, first_token_alternatives, read_logprobs
from tests.conftest import SAMPLE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_settings(tmp_path_factory):
    pytest.importorskip("xllamacpp", reason="xllamacpp is not installed")
    settings = load_settings(
        None, index=tmp_path_factory.mktemp("tiny-verdict") / "index", embedder="fake", llm="tiny", llm_max_tokens=32
    )
    try:
        make_llm(settings)
    except LLMError as exc:
        pytest.skip(str(exc))
    return settings


def test_one_word_reply_carries_the_top_logprobs(tiny_settings):
    llm = make_llm(tiny_settings)
    messages = [ChatMessage(role="user", content="Is Paris in France? Reply with one word: Yes, No or Insufficient.")]
    response = llm.chat(messages, **one_word_kwargs(tiny_settings))
    alternatives = first_token_alternatives(response.logprobs)
    assert len(alternatives) == 10 and all(lp <= 0 for _, lp in alternatives)
    assert len(response.logprobs) == 1  # one token generated
    reading = read_logprobs(alternatives)
    if reading is not None:
        assert set(reading.probs) == set(OPTIONS) and sum(reading.probs.values()) == pytest.approx(1.0)


def test_yes_no_question_with_the_tiny_model_keeps_the_contract(tiny_settings):
    report = add_articles([SAMPLE], tiny_settings, embedder_factory=FakeEmbedder)
    assert report.ok
    engine = AnswerEngine(tiny_settings)
    ctx = engine.context("Did China suspend the rare earth export controls it announced on 9 October?")
    assert ctx.yes_no and ctx.relevant
    answer = engine.verify(ctx, "".join(engine.generate(ctx)))
    assert sorted(set(marker_numbers(answer.answer))) == [c.n for c in answer.citations]
    if ctx.reading is not None and not answer.abstained:
        assert answer.answer.split(":")[0] in ("Yes", "No")
    if answer.abstained:
        assert answer.citations == []
