"""The answer prompt's fixed prefix, kept as llama.cpp KV state in the model cache.

Reading the prefix (rules and worked examples) costs the local model seconds on a CPU,
once per process. After the first prefill the slot's KV state is saved to a file; a later
process restores it in milliseconds instead. The file's name is a hash of everything the
state depends on (model file, prefix text, context size, llama.cpp build), so a changed
model or prompt never restores an old state. A small JSON record beside it holds that key
and the state file's sha256, written last: a half-written or damaged state is ignored (and
rebuilt), never restored.

llama.cpp reads and writes these files itself (the server's slot save/restore, by file
name inside `slot_save_path`); `slot_action` asks the in-process server over its loopback
port, as the wheel offers no in-process call for slots.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATE_FOLDER = "prefix-state"
# Bumped when what goes into the key changes.
FORMAT = 1
_SUFFIX = ".kv"
_TIMEOUT = 120.0  # seconds; a restore reads tens of MB
_STALE_TEMP = 3600.0  # seconds


class SlotError(Exception):
    """llama.cpp refused or failed a slot save/restore; the state is then recomputed."""


@dataclass(frozen=True)
class PrefixState:
    """Where the KV state of one (model, prefix, context size) lives, and whether it is usable."""

    folder: Path
    stem: str  # the model file's stem: states of one model replace each other
    key: str  # sha256 hex of everything the state depends on

    @classmethod
    def of(cls, folder: Path, model_path: Path, n_ctx: int, messages: list[dict[str, str]], build: str) -> PrefixState:
        """The state for `messages` read by the model at `model_path` with context `n_ctx`.

        The model file is identified by its resolved path, size and modification time.
        """
        st = model_path.stat()
        identity = {
            "format": FORMAT,
            "model": str(model_path.resolve()),
            "size": st.st_size,
            "mtime_ns": st.st_mtime_ns,
            "n_ctx": n_ctx,
            "build": build,
            "messages": messages,
        }
        key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode("utf-8")).hexdigest()
        return cls(Path(folder), model_path.stem, key)

    @property
    def name(self) -> str:
        """The state file's name inside the folder (llama.cpp takes names, not paths)."""
        return f"{self.stem}.{self.key[:32]}{_SUFFIX}"

    @property
    def path(self) -> Path:
        """The state file."""
        return self.folder / self.name

    @property
    def record_path(self) -> Path:
        """The JSON record that vouches for the state file."""
        return self.folder / (self.name + ".json")

    def usable(self) -> bool:
        """True when the state file is complete and undamaged: its record names this key,
        and its size and sha256 match what was recorded after it was written. (llama.cpp
        aborts the whole process on a truncated state file, so this check comes first.)"""
        try:
            record = json.loads(self.record_path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or record.get("key") != self.key:
                return False
            if self.path.stat().st_size != record.get("size"):
                return False
            return _sha256(self.path) == record.get("sha256")
        except (OSError, ValueError):
            return False

    def temp_name(self) -> str:
        """A fresh name for llama.cpp to write a new state under, before it is vouched for."""
        return f"{self.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"

    def commit(self, temp_name: str, written: int) -> None:
        """Make the state llama.cpp wrote under `temp_name` (`written` bytes, as it reported)
        this key's state: rename it into place, then write its record (both atomically), then
        drop this model's older states. Raises OSError when the file is not what was written.
        """
        temp = self.folder / temp_name
        # llama.cpp aborts the process on a short state file: only a whole one is vouched for.
        if written <= 0 or temp.stat().st_size != written:
            raise OSError(f"{temp} holds {temp.stat().st_size} bytes, llama.cpp wrote {written}")
        os.replace(temp, self.path)
        record = {"key": self.key, "size": self.path.stat().st_size, "sha256": _sha256(self.path)}
        record_temp = self.folder / (temp_name + ".json")
        record_temp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(record_temp, self.record_path)
        for old in self.folder.glob(f"{self.stem}.*{_SUFFIX}*"):
            if old.name in (self.name, self.record_path.name):
                continue
            # Another process may be writing a temp file right now; one an hour old was left by a crash.
            try:
                if not old.name.endswith(".tmp") or time.time() - old.stat().st_mtime > _STALE_TEMP:
                    old.unlink(missing_ok=True)
            except OSError:  # removed by another process meanwhile
                pass

    def discard(self) -> None:
        """Remove this key's state and record, e.g. after llama.cpp failed to restore it."""
        for path in (self.record_path, self.path):
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass


def slot_action(address: str, api_key: str, action: str, filename: str | None = None, slot: int = 0) -> dict[str, Any]:
    """POST /slots/{slot}?action=save|restore|erase to the in-process llama.cpp server.

    Returns llama.cpp's JSON reply; raises `SlotError` (its message) when it fails.
    """
    body = json.dumps({"filename": filename} if filename else {}).encode("utf-8")
    request = urllib.request.Request(
        f"{address.rstrip('/')}/slots/{slot}?action={action}",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
        method="POST",
    )
    try:
        # The server is this process's own loopback port: never through an HTTP(S)_PROXY.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=_TIMEOUT) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        raise SlotError(_message(exc.read()) or f"HTTP {exc.code}") from None
    except (OSError, ValueError) as exc:
        raise SlotError(str(exc)) from None


def _message(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return raw.decode("utf-8", "replace")[:200]


def _sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()
