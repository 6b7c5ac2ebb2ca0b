"""Waiting in line, in a real headless Chromium: while one question is answered (the fake LLM,
one answer at a time, slowed down), the next ones say how many questions are ahead of them,
move up as the line moves, leave it with "New chat", and then get their answer."""

from __future__ import annotations

import pytest

from tests.test_app_browser import ANSWERED, SCREENSHOTS, STRAYER, _open, launch_chromium, serve_sample

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ANTIMONY = "How much did antimony prices rise in Rotterdam?"
# Each streamed word waits this long, so the first answer lasts long enough (10 s or more)
# for the other pages to join the line behind it.
FAKE_SCRIPT = '[{"delay": 0.6}]'
STATUS = "#nd-chat .nd-waiting"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_sample(tmp_path_factory, FAKE_SCRIPT)


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium()


def _send(page, question: str) -> None:
    box = page.locator("#nd-question textarea")
    box.fill(question)
    box.press("Enter")


def _status_is(page, text: str) -> None:
    page.wait_for_function(
        "([sel, text]) => { const s = document.querySelector(sel); return s && s.innerText.trim() === text; }",
        arg=[STATUS, text], timeout=30_000,
    )


def test_waiting_questions_show_their_place_then_their_answer(browser, server):
    first, second, third, fourth = (_open(browser, server) for _ in range(4))
    _send(first, STRAYER)
    first.wait_for_selector("#nd-chat .nd-streaming .nd-draft-text:not(:empty)", timeout=60_000)  # answering

    _send(second, ANTIMONY)
    _status_is(second, "1 question ahead of you")
    assert second.locator("#nd-question textarea").input_value() == ""  # the question left the box...
    assert "antimony" in second.locator("#nd-chat .nd-question").inner_text()  # ...for the chat
    assert second.locator("#nd-chat .nd-answer").count() == 0  # a status line, not an answer
    _send(third, ANTIMONY)
    _status_is(third, "2 questions ahead of you")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    third.screenshot(path=str(SCREENSHOTS / "chat_waiting.png"))

    third.locator("#nd-new-chat").click()  # the third leaves the line
    third.wait_for_function("document.querySelectorAll('#nd-chat .nd-question').length === 0")
    _send(fourth, ANTIMONY)
    _status_is(fourth, "2 questions ahead of you")  # the first is answered, the second waits
    assert first.locator(ANSWERED).count() == 0, "the first answer ended too soon for this test"

    # The line moves: the second question's status gives way to its answer, the fourth moves up.
    second.wait_for_selector("#nd-chat .nd-streaming", timeout=60_000)
    assert second.locator(STATUS).count() == 0
    _status_is(fourth, "1 question ahead of you")
    for page in (first, second, fourth):
        page.wait_for_selector(ANSWERED, timeout=120_000)
        assert page.locator(STATUS).count() == 0
        assert page.locator("#nd-chat .nd-answer a.nd-cite").count() >= 1
    third.wait_for_timeout(500)
    assert third.locator("#nd-chat .nd-question").count() == 0  # the reply it left never came back
    for page in (first, second, third, fourth):
        page.close()
