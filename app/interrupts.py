"""Ctrl-C for long-running commands: the first asks for a clean stop, the second stops now."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def stop_requests() -> Iterator[threading.Event]:
    """An Event set by the first Ctrl-C (SIGINT) while the block runs; a second Ctrl-C
    raises KeyboardInterrupt as usual.

    A KeyboardInterrupt raised inside a native call (Chroma, ONNX Runtime) can be lost;
    a flag checked between rounds never is. Outside the main thread, nothing is installed
    and the Event is only set by the caller.
    """
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_interrupt(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
