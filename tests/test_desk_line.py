"""The line of questions waiting for an answer (app/line.py), alone and through the chat's
`Desk.respond` and `/ask` with the fake LLM: places reported in order, slots freed however a
reply ends, several answered at once with a hosted backend.

Threads are synchronised by queues and events; timeouts are only there to fail, not to wait."""

from __future__ import annotations

import threading
from contextlib import ExitStack
from queue import Queue

import pytest

from app import render
from app.desk import Desk, Filters, Session
from app.line import Line
from newsdesk.engine import AnswerEngine
from newsdesk.llm_fake import FakeLLM

STRAYER = "Who led the US delegation that held minerals talks in Islamabad?"
ANTIMONY = "How much did antimony prices rise in Rotterdam?"
FAIL = 30  # seconds before a step that should come at once counts as never coming


def _join(line: Line, stack: ExitStack, heartbeat: float | None = None):
    """Join `line` inside `stack`: the iterator of questions ahead (closing the stack leaves)."""
    return stack.enter_context(line.turn(heartbeat=heartbeat))


# -- the line alone ------------------------------------------------------------------


def test_places_are_reported_in_arrival_order_and_move_up():
    line = Line(1)
    a, b, c, d = ExitStack(), ExitStack(), ExitStack(), ExitStack()
    assert list(_join(line, a)) == []  # a free slot: answered at once
    waits = [_join(line, s) for s in (b, c, d)]
    assert [next(w) for w in waits] == [1, 2, 3]
    a.close()  # the answer ahead is done
    with pytest.raises(StopIteration):
        next(waits[0])  # b's turn
    assert [next(waits[1]), next(waits[2])] == [1, 2]
    d.close()  # the last one leaves the line: nobody moves
    b.close()
    with pytest.raises(StopIteration):
        next(waits[1])
    e = ExitStack()
    assert next(_join(line, e)) == 1
    c.close()
    e.close()


def test_a_slot_is_freed_when_the_answer_raises():
    line = Line(1)
    with pytest.raises(RuntimeError):
        with line.turn() as places:
            assert list(places) == []
            raise RuntimeError("the LLM crashed")
    with line.turn() as places:
        assert list(places) == []  # nothing holds the slot


def test_a_reply_closed_while_it_waits_leaves_the_line():
    line = Line(1)

    def reply():  # as a chat reply uses the line
        with line.turn() as places:
            yield from places
            yield "answering"

    first, second, third = reply(), reply(), reply()
    assert next(first) == "answering"
    assert next(second) == 1 and next(third) == 2
    second.close()  # the user closed the tab
    assert next(third) == 1
    first.close()  # a reply closed mid-answer frees its slot
    assert next(third) == "answering"
    third.close()


def test_hosted_backend_answers_at_once_and_the_next_one_waits():
    line = Line(4)
    answering = [ExitStack() for _ in range(4)]
    assert all(list(_join(line, s)) == [] for s in answering)  # four at once
    fifth, sixth = ExitStack(), ExitStack()
    waits = [_join(line, fifth), _join(line, sixth)]
    assert [next(w) for w in waits] == [1, 2]
    answering[2].close()
    with pytest.raises(StopIteration):
        next(waits[0])
    assert next(waits[1]) == 1
    for s in (*answering, fifth, sixth):
        s.close()


def test_a_waiting_thread_is_woken_when_the_slot_frees():
    line = Line(1)
    seen: Queue = Queue()

    def wait_in_line():
        with line.turn(heartbeat=None) as places:
            for ahead in places:
                seen.put(ahead)
            seen.put("served")

    holder = ExitStack()
    assert list(_join(line, holder)) == []
    waiter = threading.Thread(target=wait_in_line, daemon=True)
    waiter.start()
    assert seen.get(timeout=FAIL) == 1
    holder.close()
    assert seen.get(timeout=FAIL) == "served"
    waiter.join(FAIL)
    assert not waiter.is_alive()


def test_a_waiting_place_is_repeated_every_heartbeat():
    line = Line(1)
    with ExitStack() as holder, ExitStack() as waiter:
        assert list(_join(line, holder)) == []
        places = _join(line, waiter, heartbeat=0.01)
        assert [next(places) for _ in range(3)] == [1, 1, 1]  # so a chat reply can notice its user left


def test_waiting_message_is_a_status_line():
    assert render.waiting_message(1) == '<div class="nd-waiting" role="status">1 question ahead of you</div>'
    assert "3 questions ahead of you" in render.waiting_message(3)
    assert "nd-answer" not in render.waiting_message(2)


# -- through the chat and /ask -------------------------------------------------------


def _desk(settings) -> Desk:
    return Desk(settings, engine=AnswerEngine(settings, llm=FakeLLM()))


def _chat_on_thread(desk: Desk, question: str, steps: Queue, hold: threading.Event | None = None) -> threading.Thread:
    """A chat reply run on its own thread as Gradio runs one: each step's (place in line,
    reply message) goes on `steps`; with `hold`, the reply stops at its first step after
    getting a slot until `hold` is set (an answer in progress); "done" ends the steps."""

    def run():
        held = hold is None
        for state in desk.respond(question, Session(), Filters()):
            steps.put((state.waiting, state.messages[-1]["content"]))
            if state.waiting is None and not held:
                held = True
                assert hold.wait(FAIL)
        steps.put(("done", None))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _next_change(steps: Queue, place: int | None) -> tuple[int | None, str]:
    """The next step whose place in line differs from `place` (heartbeats repeat it)."""
    while True:
        step = steps.get(timeout=FAIL)
        if step[0] != place:
            return step


def _rest(steps: Queue) -> list[tuple[int | str | None, str | None]]:
    rest = []
    while not rest or rest[-1][0] != "done":
        rest.append(steps.get(timeout=FAIL))
    return rest


def test_chat_says_how_many_questions_are_ahead_until_its_turn(sample_settings):
    desk = _desk(sample_settings)
    a, b, c = Queue(), Queue(), Queue()
    go_a, go_b = threading.Event(), threading.Event()
    threads = [_chat_on_thread(desk, STRAYER, a, go_a)]
    assert a.get(timeout=FAIL)[0] is None  # the first question has the slot
    threads.append(_chat_on_thread(desk, ANTIMONY, b, go_b))
    place, message = b.get(timeout=FAIL)
    assert place == 1 and 'class="nd-waiting"' in message and "1 question ahead of you" in message
    threads.append(_chat_on_thread(desk, STRAYER, c))
    place, message = c.get(timeout=FAIL)
    assert place == 2 and "2 questions ahead of you" in message

    go_a.set()  # the first answer finishes: the second starts, the third moves up
    place, message = _next_change(b, 1)
    assert place is None and message == render.streaming_message("")  # the status line gave way to the reply
    place, message = _next_change(c, 2)
    assert place == 1 and "1 question ahead of you" in message
    go_b.set()
    for steps, thread in zip((a, b, c), threads):
        rest = _rest(steps)[:-1]
        thread.join(FAIL)
        final = rest[-1][1]
        assert "nd-waiting" not in final and "nd-streaming" not in final and 'class="nd-cite"' in final
        # Once a reply is in progress, the status line never comes back.
        places = [place for place, _ in rest]
        assert None in places and all(place is None for place in places[places.index(None) :])


def test_a_failed_or_abandoned_reply_frees_the_line(sample_settings, monkeypatch):
    desk = _desk(sample_settings)
    engine = desk.engine()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
        yield  # a generator, as the engine's stream is

    monkeypatch.setattr(engine, "stream", broken)
    failed = [s.messages[-1]["content"] for s in desk.respond(STRAYER, Session(), Filters())]
    assert "nd-error" in failed[-1] and "RuntimeError" in failed[-1]
    monkeypatch.undo()

    first = desk.respond(STRAYER, Session(), Filters())
    assert next(first).waiting is None  # the failed reply left the slot free
    second = desk.respond(ANTIMONY, Session(), Filters())
    third = desk.respond(ANTIMONY, Session(), Filters())
    assert next(second).waiting == 1 and next(third).waiting == 2
    second.close()  # its user left while it waited
    assert next(third).waiting == 1
    first.close()  # and the first one's user left mid-answer
    steps = list(third)
    assert steps[0].waiting is None and 1 in steps[-1].answers


def test_ask_api_and_chat_share_the_line(sample_settings, monkeypatch):
    desk = _desk(sample_settings)
    engine = desk.engine()
    asking, go = threading.Event(), threading.Event()
    real_ask = engine.ask

    def slow_ask(*args, **kwargs):
        asking.set()
        assert go.wait(FAIL)
        return real_ask(*args, **kwargs)

    monkeypatch.setattr(engine, "ask", slow_ask)
    result: Queue = Queue()
    api = threading.Thread(target=lambda: result.put(desk.ask(STRAYER)), daemon=True)
    api.start()
    assert asking.wait(FAIL)  # the API call holds the slot
    chat = desk.respond(ANTIMONY, Session(), Filters())
    assert "1 question ahead of you" in next(chat).messages[-1]["content"]
    go.set()
    states = list(chat)
    assert 1 in states[-1].answers and "nd-waiting" not in states[-1].messages[-1]["content"]
    assert result.get(timeout=FAIL)["citations"]
    api.join(FAIL)


def test_hosted_backend_answers_two_chats_at_once_and_the_third_waits(sample_settings):
    desk = _desk(sample_settings)
    desk.line = Line(2)  # what `hosted_concurrency = 2` gives a hosted LLM
    first = desk.respond(STRAYER, Session(), Filters())
    second = desk.respond(ANTIMONY, Session(), Filters())
    assert next(first).waiting is None and next(second).waiting is None  # both answering
    third = desk.respond(STRAYER, Session(), Filters())
    assert "1 question ahead of you" in next(third).messages[-1]["content"]
    assert 1 in list(first)[-1].answers
    steps = list(third)
    assert steps[0].waiting is None and 1 in steps[-1].answers
    second.close()
