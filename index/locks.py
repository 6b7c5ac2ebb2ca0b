"""Cross-process locks on an embedded index folder, and its write generation.

Embedded Chroma is not process-safe: a process keeps its own in-memory copy of the vector
index and never sees another process's writes (measured with chromadb 1.5.9: a reader that
stays open counts 700 chunks but its queries find only the 200 it loaded). So every
process that opens an index folder goes through these locks:

- `access.lock`: readers hold it shared while they read, a writer holds it exclusive
  while it writes one batch (and while a process opens or reopens its Chroma client), so
  nobody reads a half-written batch or loads files being rewritten;
- `generation`: a number a writer bumps after each batch; a reader that sees a new one
  reopens its client (see index.connection) before reading;
- `writer.lock`: held for the whole of an ingest by the one writer (see index.lease).

Every acquisition opens the lock file anew, so threads of one process exclude each other
the same way processes do (flock locks belong to an open file, not to a process), and the
kernel releases a lock the moment its holder dies - a `kill -9` leaves nothing to clean.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

ACCESS_LOCK = "access.lock"
WRITER_LOCK = "writer.lock"
GENERATION = "generation"


@contextlib.contextmanager
def flocked(path: Path, mode: int) -> Iterator[None]:
    """Hold `fcntl.flock(mode)` (LOCK_SH or LOCK_EX) on `path` for the block; blocks until granted."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def try_flock(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on `path`, or None when another holds it.

    The caller keeps the descriptor for as long as it needs the lock and closes it to release.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class FolderLocks:
    """The access lock and write generation of one embedded index folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._access = self.folder / ACCESS_LOCK
        self._generation = self.folder / GENERATION

    def shared(self) -> contextlib.AbstractContextManager[None]:
        """Read access: many readers at once, no writer."""
        return flocked(self._access, fcntl.LOCK_SH)

    def exclusive(self) -> contextlib.AbstractContextManager[None]:
        """Write access: this holder alone."""
        return flocked(self._access, fcntl.LOCK_EX)

    def generation(self) -> int:
        """The number of batches written to this folder so far (0 for a new folder)."""
        try:
            return int(self._generation.read_text(encoding="ascii").strip() or 0)
        except (OSError, ValueError):
            return 0

    def bump(self) -> int:
        """Record one more written batch (call under `exclusive()`); returns the new generation."""
        value = self.generation() + 1
        tmp = self._generation.with_name(f"{GENERATION}.{os.getpid()}.tmp")
        tmp.write_text(str(value), encoding="ascii")
        os.replace(tmp, self._generation)
        return value
