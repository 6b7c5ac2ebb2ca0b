"""One Chroma connection per index, shared by every IndexStore of a process.

A Chroma server is process-safe: its connection is a plain HttpClient. An embedded
folder is not (see index.locks): its connection reads under the folder's shared lock,
writes under the exclusive lock, and reopens its client when another process has written
since it was opened. Chroma itself caches one client system per folder and process, so
this module keeps one connection per folder and process too: every IndexStore on that
folder sees the same, current client.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from index.errors import NewsdeskError
from index.locks import FolderLocks


class StoreError(NewsdeskError):
    """The index can't be opened or written; the message is one line."""


class NoIndexError(StoreError):
    """A reading command found no index where the settings point."""


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


class Collections:
    """The two Chroma collections of an index: chunks (with vectors) and the article manifest."""

    def __init__(self, client: Any, collection: str) -> None:
        self.client = client
        self.chunks = client.get_or_create_collection(
            f"{collection}-chunks", embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
        self.manifest = client.get_or_create_collection(f"{collection}-manifest", embedding_function=None)


class ServerConnection:
    """A Chroma server: consistent for every client, so reads and writes need no local lock."""

    locks = None

    def __init__(self, url: str, collection: str) -> None:
        import chromadb

        self.url = url

        parsed = urlparse(url)
        try:
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
            client.heartbeat()
            self.client = client
            self._collections = Collections(client, collection)
        except Exception as exc:  # chromadb raises several types for "not there"
            raise StoreError(
                f"cannot reach the Chroma server at {url} ({type(exc).__name__})"
                " - start it (`chroma run`) or fix NEWSDESK_CHROMA_URL"
            ) from None

    @contextlib.contextmanager
    def reading(self) -> Iterator[Collections]:
        """The collections, for reading."""
        yield self._collections

    @contextlib.contextmanager
    def writing(self) -> Iterator[Collections]:
        """The collections, for writing one batch."""
        yield self._collections


class FolderConnection:
    """An embedded Chroma folder, shared safely with other processes (see index.locks)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.locks = FolderLocks(folder)
        self._path = folder / "chroma"
        self._lock = threading.Lock()  # one thread at a time swaps the client
        self._client: Any = None
        self._collections: dict[str, Collections] = {}
        self._seen = -1
        with self.locks.exclusive():
            self._open()

    def _open(self) -> None:
        """(Re)open the client from what is on disk now; call under the exclusive lock."""
        import chromadb
        from chromadb.api.shared_system_client import SharedSystemClient

        # Chroma keeps one system per folder and process, holding the vectors it loaded;
        # dropping it is the only way to read what another process wrote since. No thread
        # of this process is reading now (we hold the exclusive lock), so it can stop.
        key = str(self._path)
        old = SharedSystemClient._identifier_to_system.pop(key, None)
        SharedSystemClient._identifier_to_refcount.pop(key, None)
        if old is not None:
            old.stop()
        self._collections = {}
        try:
            self._client = chromadb.PersistentClient(path=key, settings=_chroma_settings())
        except OSError as exc:
            raise StoreError(f"{self._path}: cannot open the index folder ({exc.strerror}) - check --index") from None
        self._seen = self.locks.generation()

    def _named(self, collection: str) -> Collections:
        found = self._collections.get(collection)
        if found is None:
            found = self._collections[collection] = Collections(self._client, collection)
        return found

    def collections(self, collection: str) -> FolderCollections:
        """This connection seen through one collection name (one index)."""
        return FolderCollections(self, collection)

    @contextlib.contextmanager
    def reading(self, collection: str) -> Iterator[Collections]:
        """The collections as of the last completed write, held still while the block reads."""
        while True:
            with self.locks.shared():
                if self._seen == self.locks.generation():
                    with self._lock:
                        current = self._named(collection)
                    yield current
                    return
            with self.locks.exclusive(), self._lock:
                if self._seen != self.locks.generation():
                    self._open()

    @contextlib.contextmanager
    def writing(self, collection: str) -> Iterator[Collections]:
        """The collections, for this holder alone while the block writes one batch."""
        with self.locks.exclusive(), self._lock:
            if self._seen != self.locks.generation():
                self._open()
            try:
                yield self._named(collection)
            finally:
                self._seen = self.locks.bump()


class FolderCollections:
    """A folder connection bound to one collection name: what an IndexStore holds."""

    def __init__(self, conn: FolderConnection, collection: str) -> None:
        self._conn = conn
        self._collection = collection
        self.locks = conn.locks

    def reading(self) -> contextlib.AbstractContextManager[Collections]:
        """See FolderConnection.reading."""
        return self._conn.reading(self._collection)

    def writing(self) -> contextlib.AbstractContextManager[Collections]:
        """See FolderConnection.writing."""
        return self._conn.writing(self._collection)


_FOLDERS: dict[str, FolderConnection] = {}
_FOLDERS_LOCK = threading.Lock()


def connect(folder: Path, chroma_url: str | None, collection: str, *, create: bool) -> ServerConnection | FolderCollections:
    """The connection for an index: a Chroma server when `chroma_url` is set, else the folder.

    A missing folder raises NoIndexError unless `create`.
    """
    if chroma_url:
        return ServerConnection(chroma_url, collection)
    folder = Path(folder)
    path = folder / "chroma"
    if not create and not path.is_dir():
        raise NoIndexError(f"no articles indexed yet - run `newsdesk ingest PATH` (no index at {folder})")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{path}: cannot open the index folder ({exc.strerror}) - check --index") from None
    key = str(path.resolve())
    with _FOLDERS_LOCK:
        conn = _FOLDERS.get(key)
        if conn is None:
            conn = _FOLDERS[key] = FolderConnection(folder)
    return conn.collections(collection)
