"""Waiting in line, in a real headless Chromium: while one question is answered (the fake LLM,
one answer at a time, slowed down), the next ones say how many questions are ahead of them,
move up as the line moves, leave it with "New chat", and then get their answer."""

from __future__ import annotations

import pytest

from index.embedders import FakeEmbedder
from newsdesk.articles import add_articles
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE
from tests.test_app_browser import ANSWERED, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, STRAYER, _open, _start_server, _stop

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ANTIMONY = "How much did antimony prices rise in Rotterdam?"
# Each streamed word waits this long, so the first answer lasts long enough (10 s or more)
# for the other pages to join the line behind it.
FAKE_SCRIPT = '[{"delay": 0.6}]'
STATUS = "#nd-chat .nd-waiting"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    index = tmp_path_factory.mktemp("line") / "index"
    settings = load_settings(None, index=index, embedder="fake", llm="fake")
    assert add_articles([SAMPLE], settings, embedder_factory=lambda: FakeEmbedder()).ok
    script = index.parent / "fake-llm.json"
    script.write_text(FAKE_SCRIPT, encoding="utf-8")
    proc, url = _start_server(index, script=script)
    yield url
    _stop(proc)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


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
