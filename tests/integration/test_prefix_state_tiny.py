"""The prompt prefix's KV state saved and restored across LLM objects, with SmolLM2-135M."""

from __future__ import annotations

import json

import pytest
from llama_index.core.llms import ChatMessage

from newsdesk.llm_local import XLlamaCppLLM, tiny_model_path
from newsdesk.llms import LLMError

pytestmark = pytest.mark.integration

RULES = (
    "You answer questions about news articles. Use only the numbered sentences. "
    "End each sentence with the number of the sentence it comes from, like [1]. "
    "If the sentences do not answer, say: The articles don't say."
)
PREFIX = [ChatMessage(role="system", content=RULES), ChatMessage(role="user", content="Sentences:\n")]
QUESTION = [
    ChatMessage(role="system", content=RULES),
    ChatMessage(role="user", content="Sentences:\n[1] Copper rose 3% on Monday.\nQuestion: What did copper do?"),
]


def _llm(state_dir, context: int = 1024) -> XLlamaCppLLM:
    pytest.importorskip("xllamacpp", reason="xllamacpp is not installed")
    try:
        path = tiny_model_path()
    except LLMError as exc:
        pytest.skip(str(exc))
    return XLlamaCppLLM(model_path=str(path), model_name="tiny", context_window=context, max_tokens=12, state_dir=str(state_dir))


def _reply(llm: XLlamaCppLLM) -> tuple[str, int]:
    response = llm.chat(QUESTION)
    return response.message.content, response.raw["timings"]["cache_n"]


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A state folder after one prefill from scratch, and that LLM's reply to QUESTION."""
    folder = tmp_path_factory.mktemp("prefix-state")
    llm = _llm(folder)
    llm.prefill(PREFIX)
    assert llm.prefix_restored is False
    return folder, _reply(llm)[0]


def _state_files(folder):
    states = sorted(folder.glob("*.kv"))
    assert len(states) == 1, list(folder.iterdir())
    return states[0], states[0].with_name(states[0].name + ".json")


def test_restore_in_a_fresh_llm_gives_the_same_reply(saved, capfd):
    folder, computed = saved
    state, record = _state_files(folder)
    assert state.stat().st_size > 0 and json.loads(record.read_text())["size"] == state.stat().st_size
    assert not list(folder.glob("*.tmp"))
    llm = _llm(folder)
    llm.prefill(PREFIX)
    assert llm.prefix_restored is True
    reply, cache_n = _reply(llm)
    assert cache_n > 10  # the restored prefix was reused, not recomputed
    assert reply == computed  # greedy: restoring answers exactly as recomputing did
    assert capfd.readouterr().err == ""


def test_stale_state_is_not_restored(saved, tmp_path):
    folder, _ = saved
    src, src_record = _state_files(folder)
    for path in (src, src_record):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    other_context = _llm(tmp_path, context=2048)
    other_context.prefill(PREFIX)
    assert other_context.prefix_restored is False
    # The new state replaced the old one: one state per model file.
    assert [p.name for p in tmp_path.glob("*.kv")] != [src.name]
    other_prefix = _llm(tmp_path)
    other_prefix.prefill([ChatMessage(role="system", content=RULES + " Be brief.")])
    assert other_prefix.prefix_restored is False


def test_damaged_state_is_ignored_and_rebuilt(saved, tmp_path):
    folder, computed = saved
    # A copy of the saved state, then one byte of its KV data flipped.
    src, src_record = _state_files(folder)
    state, record = tmp_path / src.name, tmp_path / src_record.name
    data = bytearray(src.read_bytes())
    data[len(data) // 2] ^= 0xFF
    state.write_bytes(bytes(data))
    record.write_bytes(src_record.read_bytes())
    llm = _llm(tmp_path)
    llm.prefill(PREFIX)
    assert llm.prefix_restored is False
    assert _reply(llm)[0] == computed
    assert state.read_bytes() == src.read_bytes()  # rebuilt and saved again


def test_truncated_state_is_ignored(saved, tmp_path):
    # llama.cpp aborts the process on a short state file: the record's size check must catch it.
    folder, computed = saved
    src, src_record = _state_files(folder)
    (tmp_path / src.name).write_bytes(src.read_bytes()[: src.stat().st_size // 3])
    (tmp_path / src_record.name).write_bytes(src_record.read_bytes())
    llm = _llm(tmp_path)
    llm.prefill(PREFIX)
    assert llm.prefix_restored is False
    assert _reply(llm)[0] == computed
    assert (tmp_path / src.name).stat().st_size == src.stat().st_size


def test_garbage_record_is_ignored(saved, tmp_path):
    folder, _ = saved
    src, src_record = _state_files(folder)
    (tmp_path / src.name).write_bytes(src.read_bytes())
    (tmp_path / src_record.name).write_text("{not json")
    llm = _llm(tmp_path)
    llm.prefill(PREFIX)
    assert llm.prefix_restored is False
    assert json.loads((tmp_path / src_record.name).read_text())["sha256"]  # a good record again
