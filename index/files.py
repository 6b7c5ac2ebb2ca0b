"""File helpers shared by the model caches: a cross-process build lock."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def build_lock(dest: Path) -> Iterator[None]:
    """Hold an exclusive lock (`<dest>.lock`) so two processes never build `dest` at once."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no cross-process lock, the temp-file rename still protects
        yield
        return
    with dest.with_name(dest.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
