"""One writer at a time per index: a lease that a crashed writer's successor can take over.

Ingest, an upload in the chat and `index remove` each hold the writer lease for their
whole run. Only the lease holder may remove what a dead writer left marked `writing`,
so a live writer's batch is never mistaken for a crashed one's.

- Embedded folder: an exclusive flock on `<index>/writer.lock`. The kernel releases it
  the moment its holder exits or is killed, so a successor takes over at once.
- Chroma server (several machines): a record in the `<collection>-lease` collection
  naming its holder (host, pid, a random token) and a heartbeat the holder renews every
  few seconds. A successor takes the lease over when the heartbeat is older than
  `LEASE_TTL`, or at once when the holder ran on this host and its pid is gone.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.connection import StoreError
from index.locks import WRITER_LOCK, try_flock

LEASE_TTL = 30.0  # seconds without a heartbeat before a server lease counts as abandoned
HEARTBEAT = 5.0  # seconds between a holder's heartbeats
_POLL = 0.25  # seconds between attempts while waiting
_SETTLE = 0.3  # seconds a server claim must survive before it counts (last writer wins)
_RECORD = "writer"

Notify = Callable[[str], None]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WriterLease:
    """The writer lease of one index; `acquire` waits for it, `release` gives it back."""

    def __init__(self, folder: Path, *, server_client: Any = None, collection: str = "newsdesk") -> None:
        self._folder = Path(folder)
        self._client = server_client
        self._collection = collection
        self._fd: int | None = None
        self._token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        self.held = False

    # -- taking and giving back ---------------------------------------------------------

    def acquire(self, wait: float, notify: Notify | None = None) -> None:
        """Take the lease, waiting up to `wait` seconds for the current holder; StoreError after that."""
        deadline = time.monotonic() + wait
        told = False
        while not self.try_acquire():
            if not told and notify is not None:
                notify(f"another writer ({self.holder()}) is writing to this index - waiting for it to finish")
                told = True
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"another writer ({self.holder()}) has been writing to this index for over {wait:g} s"
                    " - wait for it to finish, or stop it"
                )
            time.sleep(_POLL)

    def try_acquire(self) -> bool:
        """Take the lease now if nobody holds it; True when this object holds it after the call."""
        if self.held:
            return True
        if self._client is None:
            self._folder.mkdir(parents=True, exist_ok=True)
            self._fd = try_flock(self._folder / WRITER_LOCK)
            if self._fd is not None:
                _write_holder(self._folder, self._token)
            self.held = self._fd is not None
        else:
            self.held = self._claim_on_server()
            if self.held:
                self._stop.clear()
                self._beat = threading.Thread(target=self._heartbeat, name="newsdesk-lease", daemon=True)
                self._beat.start()
        return self.held

    def release(self) -> None:
        """Give the lease back (a no-op when not held)."""
        if not self.held:
            return
        self.held = False
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=HEARTBEAT + 1)
        try:
            record = self._record()
            if record and record.get("token") == self._token:
                self._leases().delete(ids=[_RECORD])
        except Exception:  # the server went away: the lease expires by itself
            pass

    def holder(self) -> str:
        """Who holds the lease now, for messages ("pid 123 on host, for 12 s")."""
        if self._client is None:
            try:
                token, since = (self._folder / "writer.holder").read_text(encoding="utf-8").split()
                host, pid, _ = token.split(":")
                return f"pid {pid} on {host}, for {time.time() - float(since):.0f} s"
            except (OSError, ValueError):
                return "another process"
        record = self._record() or {}
        host, _, pid = str(record.get("token", "?:?")).partition(":")
        age = time.time() - float(record.get("heartbeat", time.time()))
        return f"pid {pid.split(':')[0]} on {host}, heartbeat {age:.0f} s ago"

    # -- the server lease ---------------------------------------------------------------

    def _leases(self) -> Any:
        return self._client.get_or_create_collection(f"{self._collection}-lease", embedding_function=None)

    def _record(self) -> dict[str, Any] | None:
        got = self._leases().get(ids=[_RECORD], include=["metadatas"])
        return dict(got["metadatas"][0]) if got["ids"] else None

    def _write(self) -> None:
        meta = {"token": self._token, "heartbeat": time.time()}
        self._leases().upsert(ids=[_RECORD], embeddings=[[1.0]], metadatas=[meta])

    def _abandoned(self, record: dict[str, Any]) -> bool:
        if time.time() - float(record.get("heartbeat", 0)) > LEASE_TTL:
            return True
        host, _, rest = str(record.get("token", "")).partition(":")
        pid = rest.split(":")[0]
        return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))

    def _claim_on_server(self) -> bool:
        record = self._record()
        if record is not None and record.get("token") != self._token and not self._abandoned(record):
            return False
        self._write()
        # Two claimants may both have seen the lease free: the last write wins, and the
        # other sees a foreign token once the dust settles.
        time.sleep(_SETTLE)
        record = self._record()
        return record is not None and record.get("token") == self._token

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                record = self._record()
                if record is None or record.get("token") != self._token:
                    return  # taken over after a stall: the holder's writes still go through the manifest protocol
                self._write()
            except Exception:  # a missed beat; the next one may succeed
                continue


def _write_holder(folder: Path, token: str) -> None:
    try:
        (folder / "writer.holder").write_text(f"{token} {time.time():.3f}", encoding="utf-8")
    except OSError:  # a read-only folder: messages just say "another process"
        pass
