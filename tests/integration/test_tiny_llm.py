"""Real models through make_llm: SmolLM2-135M (plumbing only; it answers badly), and the
1.5B local model when NEWSDESK_TEST_LOCAL_LLM=1 (slow: assembles 1 GB once, ~10 s)."""

from __future__ import annotations

import os
import time

import pytest
from llama_index.core.llms import ChatMessage

from newsdesk.llm_local import XLlamaCppLLM
from newsdesk.llms import LLMError, make_llm
from newsdesk.settings import load_settings

pytestmark = pytest.mark.integration

# Read at import: conftest removes NEWSDESK_* variables before each test runs.
RUN_LOCAL = os.environ.get("NEWSDESK_TEST_LOCAL_LLM") == "1"


@pytest.fixture(scope="module")
def tiny():
    pytest.importorskip("xllamacpp", reason="xllamacpp is not installed")
    settings = load_settings(None, llm="tiny", llm_context=1024, llm_max_tokens=24)
    try:
        return make_llm(settings)
    except LLMError as exc:
        pytest.skip(str(exc))


def test_tiny_complete_and_stream(tiny, capfd):
    assert isinstance(tiny, XLlamaCppLLM)
    assert tiny.metadata.is_chat_model and tiny.metadata.context_window == 1024
    first = tiny.complete("What is the capital of France?")
    assert first.text.strip()
    assert tiny.load_seconds is not None
    pieces = list(tiny.stream_complete("What is the capital of France?"))
    deltas = [p.delta for p in pieces if p.delta]
    assert len(deltas) > 1
    assert "".join(deltas) == pieces[-1].text
    assert pieces[-1].text == first.text  # temperature 0: same prompt, same answer
    # llama.cpp's log lines go straight to fd 2; none may reach the user.
    assert capfd.readouterr().err == ""


def test_tiny_stream_chat(tiny):
    messages = [
        ChatMessage(role="system", content="Answer in one short sentence."),
        ChatMessage(role="user", content="Name a metal."),
    ]
    chunks = list(tiny.stream_chat(messages))
    assert chunks[-1].message.content.strip()
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    assert tiny.chat(messages).message.content == chunks[-1].message.content


def test_tiny_stream_stops_early_when_the_consumer_does(tiny):
    stream = tiny.stream_complete("Count from one to one hundred in words.", max_tokens=200)
    next(stream)
    started = time.perf_counter()
    stream.close()  # signals llama.cpp to stop and waits for the worker thread
    assert time.perf_counter() - started < 5
    assert tiny.complete("Say yes.", max_tokens=4).text  # the engine is free again


def test_tiny_prompt_longer_than_context_is_one_line_error(tiny):
    with pytest.raises(LLMError, match="NEWSDESK_LLM_CONTEXT"):
        tiny.complete("word " * 3000)
    with pytest.raises(LLMError, match="NEWSDESK_LLM_CONTEXT"):
        list(tiny.stream_complete("word " * 3000))


@pytest.mark.skipif(not RUN_LOCAL, reason="set NEWSDESK_TEST_LOCAL_LLM=1 to run the 1.5B local model")
def test_local_model_answers_with_a_marker():
    llm = make_llm(load_settings(None, llm="local", llm_max_tokens=48))
    # One worked example: the 1.5B follows the [n] format from an example, not from rules alone.
    messages = [
        ChatMessage(role="system", content="Answer only from the numbered sentences. End each sentence with its number, like [1]."),
        ChatMessage(role="user", content="[1] Copper rose 3% on Monday after a strike closed a mine in Chile.\n"
                    "[2] Traders said stocks were low.\nQuestion: Why did copper rise?"),
        ChatMessage(role="assistant", content="Copper rose 3% because a strike closed a mine in Chile [1]."),
        ChatMessage(role="user", content="[1] Pakistan and the United States held talks on critical minerals in Islamabad.\n"
                    "[2] Officials discussed copper and antimony exports.\nQuestion: Which metals did the officials discuss?"),
    ]
    text = "".join(c.delta or "" for c in llm.stream_chat(messages))
    assert "antimony" in text.lower() and "[2]" in text
