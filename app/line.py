"""The line of questions waiting for an answer: a few are answered at a time, the rest
wait their turn in arrival order and can say how many questions are ahead of them."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

# A waiting chat reply yields at least this often (seconds), so Gradio can end the reply of
# a user who left (it closes a generator only between yields) and free their place in line.
HEARTBEAT = 1.0


class Line:
    """The questions waiting to be answered: `at_once` are answered at a time, the others
    wait in arrival order. The chat and `/ask` share one line."""

    def __init__(self, at_once: int) -> None:
        self.at_once = max(1, at_once)
        self._changed = threading.Condition()
        self._waiting: list[object] = []  # tickets, in arrival order
        self._answering = 0

    @contextmanager
    def turn(self, heartbeat: float | None = HEARTBEAT) -> Iterator[Iterator[int]]:
        """Join the line. The context is an iterator of how many questions must finish
        before this one starts (1 for the first in line): yielded at once when every slot
        is taken, again when it changes and every `heartbeat` seconds (None: only when it
        changes); it ends, yielding nothing more, when a slot is this question's. Leaving
        the context however it ends (done, an error, a closed generator) frees the slot,
        or the place in line if the question never got one."""
        ticket = object()
        with self._changed:
            self._waiting.append(ticket)
        try:
            yield self._wait(ticket, heartbeat)
        finally:
            with self._changed:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                else:
                    self._answering -= 1
                self._changed.notify_all()

    def _ahead(self, ticket: object) -> int:
        # With every slot taken, the first in line waits for one answer to finish: 1 ahead.
        return self._answering + self._waiting.index(ticket) - self.at_once + 1

    def _wait(self, ticket: object, heartbeat: float | None) -> Iterator[int]:
        told = None
        while True:
            with self._changed:
                ahead = self._ahead(ticket)
                if ahead == told:
                    self._changed.wait(heartbeat)
                    ahead = self._ahead(ticket)
                if ahead <= 0:
                    self._waiting.remove(ticket)
                    self._answering += 1
                    return
            told = ahead
            yield ahead
