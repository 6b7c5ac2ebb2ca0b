"""PrefixState: what keys a saved prompt prefix, and when a state file is vouched for."""

from __future__ import annotations

import json
import os

import pytest

from newsdesk.prefix_state import PrefixState

MESSAGES = [{"role": "system", "content": "Rules."}]


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF" + bytes(100))
    return path


def _state(tmp_path, model, n_ctx=4096, messages=MESSAGES, build="1"):
    return PrefixState.of(tmp_path / "states", model, n_ctx, messages, build)


def test_key_follows_model_prefix_context_and_build(tmp_path, model):
    key = _state(tmp_path, model).key
    assert _state(tmp_path, model).key == key
    assert _state(tmp_path, model, n_ctx=2048).key != key
    assert _state(tmp_path, model, messages=[{"role": "system", "content": "Rules!"}]).key != key
    assert _state(tmp_path, model, build="2").key != key
    st = model.stat()
    os.utime(model, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert _state(tmp_path, model).key != key


def _write(state: PrefixState, data: bytes) -> str:
    state.folder.mkdir(parents=True, exist_ok=True)
    temp = state.temp_name()
    (state.folder / temp).write_bytes(data)
    return temp


def test_commit_vouches_for_a_whole_file_only(tmp_path, model):
    state = _state(tmp_path, model)
    assert not state.usable()
    temp = _write(state, b"kv" * 50)
    with pytest.raises(OSError):
        state.commit(temp, 200)  # llama.cpp said it wrote more than the file holds
    assert not state.usable()
    state.commit(temp, 100)
    assert state.usable()
    assert not list(state.folder.glob("*.tmp*"))


def test_damaged_or_foreign_record_is_not_usable(tmp_path, model):
    state = _state(tmp_path, model)
    state.commit(_write(state, b"kv" * 50), 100)
    state.path.write_bytes(b"kv" * 49 + b"KV")  # same size, other bytes
    assert not state.usable()
    state.commit(_write(state, b"kv" * 50), 100)
    record = json.loads(state.record_path.read_text())
    state.record_path.write_text(json.dumps({**record, "key": "0" * 64}))
    assert not state.usable()
    state.record_path.write_text("{")
    assert not state.usable()


def test_a_new_state_replaces_the_models_older_ones(tmp_path, model):
    old = _state(tmp_path, model, n_ctx=2048)
    old.commit(_write(old, b"a" * 10), 10)
    busy = _write(old, b"b" * 10)  # another process's save in progress
    new = _state(tmp_path, model)
    new.commit(_write(new, b"c" * 10), 10)
    assert new.usable() and not old.path.exists() and not old.record_path.exists()
    assert (new.folder / busy).exists()
