"""The chat window in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright),
served by `newsdesk serve` over the sample articles with the scripted fake LLM."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from newsdesk.articles import add_articles
from index.embedders import FakeEmbedder
from newsdesk.settings import load_settings
from tests.conftest import NEWSDESK, REPO, SAMPLE
from tests.test_app_desk import EVIL, STRAYER

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(os.environ.get("NEWSDESK_SCREENSHOTS", REPO / ".newsdesk" / "screenshots"))
ANSWERED = "#nd-chat .nd-answer:not(.nd-streaming), #nd-chat .nd-error"
# Counts the distinct partial answers the page displayed, to see the answer stream in, and
# notes when the evidence, the first drafted word and the verified answer first showed.
WATCH_STREAM = """() => {
  window.__partials = new Set();
  window.__first = {};
  const first = (key) => { if (!(key in window.__first)) window.__first[key] = performance.now(); };
  new MutationObserver(() => {
    for (const el of document.querySelectorAll('#nd-chat .nd-streaming .nd-draft-text')) {
      if (el.textContent.trim()) { window.__partials.add(el.textContent.trim()); first('draft'); }
    }
    if (document.querySelector('#nd-sources .nd-evidence li')) first('evidence');
    if (document.querySelector('#nd-chat .nd-answer:not(.nd-streaming)')) first('answer');
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""
# The fake LLM pauses before each streamed word, so the page has time to show the evidence first.
FAKE_SCRIPT = '[{"delay": 0.05}]'
# Where an element is against the viewport: [top, bottom, viewport height].
IN_VIEW = "el => { const r = el.getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight]; }"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(index: Path, *extra: str, script: Path | None = None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(NEWSDESK_INDEX=str(index), NEWSDESK_EMBEDDER="fake", NEWSDESK_LLM="fake")
    if script is not None:
        env["NEWSDESK_FAKE_LLM_SCRIPT"] = str(script)
    proc = subprocess.Popen(
        [str(NEWSDESK), "serve", "--port", str(port), *extra],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"newsdesk serve exited: {proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    pytest.fail("newsdesk serve did not answer within 180 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def serve_sample(tmp_path_factory, fake_script: str):
    """`newsdesk serve` over the sample articles, fake embedder, the fake LLM following
    `fake_script`: yields its URL, stops it afterwards (for module fixtures)."""
    index = tmp_path_factory.mktemp("ui") / "index"
    settings = load_settings(None, index=index, embedder="fake", llm="fake")
    assert add_articles([SAMPLE], settings, embedder_factory=lambda: FakeEmbedder()).ok
    script = index.parent / "fake-llm.json"
    script.write_text(fake_script, encoding="utf-8")
    proc, url = _start_server(index, script=script)
    yield url
    _stop(proc)


def launch_chromium():
    """Debian's headless Chromium under Playwright (skips when it is not installed): yields the browser."""
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed (make test installs it with apt-get)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_sample(tmp_path_factory, FAKE_SCRIPT)


@pytest.fixture(scope="module")
def browser():
    yield from launch_chromium()


def _open(browser, url, width: int = 1400, height: int = 1000):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.goto(url)
    page.wait_for_selector("#nd-question textarea", timeout=60_000)
    return page


def _ask(page, question: str, nth: int = 1):
    box = page.locator("#nd-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n", arg=[ANSWERED, nth], timeout=60_000
    )
    return page.locator(ANSWERED).nth(nth - 1)


def test_question_gets_a_streamed_answer_with_working_citations(browser, server):
    page = _open(browser, server)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.evaluate(WATCH_STREAM)

    answer = _ask(page, STRAYER)
    assert "Strayer" in answer.inner_text()
    assert page.evaluate("window.__partials.size") >= 2, "the answer did not stream"
    marker = answer.locator("a.nd-cite").first
    # The marker keeps the number the sentence had in the evidence (not renumbered from 1).
    assert re.fullmatch(r"\[\d+\]", marker.inner_text()) and "Strayer" in marker.get_attribute("title")
    panel = page.locator("#nd-sources")
    title = "US minerals delegation holds talks with Pakistan's finance minister"
    assert title in panel.inner_text() and "Daily Times" in panel.inner_text()
    assert panel.locator("a.nd-title").get_attribute("href").startswith("https://example.com/dailytimes/")

    # A second question; then the first answer's marker brings its own source back.
    second = _ask(page, "How much did antimony prices rise in Rotterdam?", 2)
    assert second.locator("a.nd-cite").count() >= 1
    page.wait_for_function("document.querySelector('#nd-sources').innerText.includes('antimony')")
    marker.click()
    page.wait_for_function("document.querySelector('#nd-sources').innerText.includes('Sources for: Who led')")
    highlight = panel.locator("mark.nd-highlight")
    assert highlight.inner_text() == (
        "The US side was led by Robert Louis Strayer II, who heads the Critical Minerals Forum (CMF)."
    )
    assert "Retrieved but not cited" in panel.inner_text()
    assert not panel.locator("details.nd-uncited").first.evaluate("d => d.open")  # collapsed

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "chat_answer.png"), full_page=True)
    # Every asset came from the local server: no fonts, analytics or CDNs on the internet.
    outside = [u for u in requests if not u.startswith((server, "data:", "blob:"))]
    assert outside == []
    page.close()


def test_evidence_shows_before_the_answer_numbered_as_its_markers(browser, server):
    page = _open(browser, server)
    panel = page.locator("#nd-sources")
    assert "Sources appear here" in panel.inner_text()  # a blank page explains the empty panel
    assert not page.locator("#nd-choose").is_visible()  # no empty bordered "Sources" box
    page.evaluate(WATCH_STREAM)
    box = page.locator("#nd-question textarea")
    box.fill(STRAYER)
    box.press("Enter")
    page.wait_for_selector("#nd-sources .nd-evidence li", timeout=30_000)
    assert "Evidence" in panel.inner_text()
    # Grouped under "Title - Publisher - Date", numbered from [1].
    headings = panel.locator(".nd-evidence .nd-source .nd-title").all_inner_texts()
    assert "US minerals delegation holds talks with Pakistan's finance minister \u2013 Daily Times \u2013 2025-10-31" in headings
    numbers = [int(n.strip("[]")) for n in panel.locator(".nd-evidence .nd-n").all_inner_texts()]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    cited = panel.locator(".nd-evidence li:has-text('Strayer')").first
    n, sentence = re.fullmatch(r"\[(\d+)\] (.*)", cited.inner_text(), re.S).groups()
    # The reply is visibly a draft while the evidence is up.
    page.wait_for_selector("#nd-chat .nd-streaming .nd-draft-label", timeout=10_000)
    answer = page.locator(ANSWERED).first
    answer.wait_for(timeout=60_000)
    times = page.evaluate("window.__first")
    assert times["evidence"] < times["draft"] < times["answer"], times
    # The verified answer's marker has the evidence's number for that sentence.
    marker = answer.locator("a.nd-cite").first
    assert marker.inner_text() == f"[{n}]" and sentence in marker.get_attribute("title")
    assert page.locator("#nd-chat .nd-streaming").count() == 0
    # Each source in the list says which sentence it is, and the legend explains the orange marker.
    page.wait_for_selector("#nd-choose label", timeout=10_000)
    label = page.locator("#nd-choose label").first.inner_text()
    assert label.startswith(f"[{n}] \u201cThe US side was led") and "US minerals delegation" in label
    assert "orange: unverified" in panel.locator(".nd-legend").inner_text()
    page.close()


def test_phone_layout_and_a_tapped_marker_shows_its_sentence(browser, server):
    page = _open(browser, server, 390, 844)
    answer = _ask(page, STRAYER)
    page.wait_for_selector("#nd-sources mark.nd-highlight", timeout=10_000)
    # Sources come right under the conversation, before Filters and Add articles.
    top = {sel: page.locator(sel).bounding_box()["y"] for sel in ("#nd-chat", "#nd-sources", "#nd-filters", "#nd-add-articles")}
    assert top["#nd-chat"] < top["#nd-sources"] < top["#nd-filters"] < top["#nd-add-articles"], top
    page.evaluate("window.scrollTo(0, 0)")
    mark = page.locator("#nd-sources mark.nd-highlight")
    assert mark.evaluate(IN_VIEW)[0] > 844  # below the fold before the tap
    answer.locator("a.nd-cite").first.click()
    page.wait_for_function(
        "() => { const m = document.querySelector('#nd-sources mark.nd-highlight');"
        " const r = m && m.getBoundingClientRect(); return r && r.top >= 0 && r.bottom <= window.innerHeight; }",
        timeout=10_000,
    )
    assert "Strayer" in mark.inner_text()
    assert page.locator("#nd-sources .nd-source.nd-flash").count() == 1  # and it flashes
    page.close()


def test_desktop_sources_stay_in_view_with_the_accordions_open(browser, server):
    page = _open(browser, server, 1400, 700)
    _ask(page, STRAYER)
    page.locator("text=Filters").click()
    page.locator("text=Add articles").click()
    page.wait_for_selector("#nd-upload", timeout=10_000)
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_function("window.scrollY > 200")
    top, bottom, height = page.locator("#nd-right").evaluate(IN_VIEW)
    assert 0 <= top < height / 2, (top, bottom, height)  # the column stuck to the top of the window
    page.close()


def test_sessions_are_separate_and_new_chat_clears(browser, server):
    alice, bob = _open(browser, server), _open(browser, server)
    _ask(alice, STRAYER)
    _ask(bob, "How much did antimony prices rise in Rotterdam?")
    assert "Strayer" not in bob.locator("#nd-chat").inner_text()
    assert "antimony" not in alice.locator("#nd-chat").inner_text().lower()
    # A follow-up in Alice's conversation, then a fresh start.
    follow = _ask(alice, "Which forum does he head?", 2)
    assert "Critical Minerals Forum" in follow.inner_text()
    alice.locator("#nd-new-chat").click()
    alice.wait_for_function("document.querySelectorAll('#nd-chat .nd-answer').length === 0")
    assert "Strayer" not in alice.locator("#nd-sources").inner_text()
    alice.close()
    bob.close()


def test_article_with_script_tags_runs_nothing(browser, server, tmp_path):
    evil = tmp_path / "graphite-quota.jsonl"
    evil.write_text(EVIL, encoding="utf-8")
    page = _open(browser, server)
    page.locator("text=Add articles").click()
    page.locator("#nd-upload input[type=file]").set_input_files(str(evil))
    page.wait_for_selector("#nd-upload :text('graphite-quota.jsonl')", timeout=30_000)
    page.locator("#nd-add").click()
    page.wait_for_function(
        "document.querySelector('#nd-added textarea').value.startsWith('added 1')", timeout=60_000
    )
    answer = _ask(page, "What graphite quota did the Zanzibar Graphite Board set?")
    assert "18,125" in answer.inner_text()
    page.wait_for_function("document.querySelector('#nd-sources').innerText.includes('18,125')")
    panel = page.locator("#nd-sources")
    shown = panel.inner_text()
    assert "<script>window.__pwned=1</script>" in shown  # the title, shown as text
    assert "<script>window.__pwned=3</script>" in panel.locator("mark.nd-highlight").inner_text()
    assert "<b>Times</b>" in shown
    page.wait_for_timeout(1000)  # give any injected handler time to fire
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    for where in ("#nd-chat", "#nd-sources"):
        assert page.locator(f"{where} script").count() == 0
        assert page.locator(f"{where} img[src='x']").count() == 0
        assert page.locator(f"{where} b:text('Times')").count() == 0
        assert page.locator(f"{where} a[href^='javascript']").count() == 0
    page.close()


def test_ask_endpoint_gives_scripts_the_same_answer(server):
    from gradio_client import Client

    client = Client(server, verbose=False)
    data = client.predict(STRAYER, api_name="/ask")
    assert list(data) == ["question", "answer", "abstained", "citations", "retrieved", "timings", "llm", "evidence"]
    assert {c["n"] for c in data["citations"]} <= {e["n"] for e in data["evidence"]}
    assert not data["abstained"] and data["llm"] == "fake"
    cited = data["citations"][0]
    assert "Strayer" in cited["sentence"] and cited["source"] == "Daily Times"
    assert cited["end"] - cited["start"] == len(cited["sentence"])
    with pytest.raises(Exception, match="the question is empty"):
        client.predict("   ", api_name="/ask")


def test_login_required_with_auth(browser, tmp_path):
    from gradio_client import Client

    settings = load_settings(None, index=tmp_path / "index", embedder="fake", llm="fake")
    assert add_articles([SAMPLE], settings, embedder_factory=lambda: FakeEmbedder()).ok
    proc, url = _start_server(tmp_path / "index", "--auth", "ann:s3cret")
    try:
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector("input[type=password]", timeout=30_000)
        assert page.locator("#nd-question").count() == 0
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(STRAYER, api_name="/ask")
        data = Client(url, auth=("ann", "s3cret"), verbose=False).predict(STRAYER, api_name="/ask")
        assert data["citations"]
        # Signing in on the page: everything the page loads after that passes the server's guard.
        page.locator("input[type=text]").first.fill("ann")
        page.locator("input[type=password]").fill("s3cret")
        page.locator("button:has-text('Login')").click()
        page.wait_for_selector("#nd-question textarea", timeout=30_000)
        assert "Strayer" in _ask(page, STRAYER).inner_text()
        page.close()
    finally:
        _stop(proc)


def test_filters_apply_to_retrieval(browser, server):
    page = _open(browser, server)
    page.locator("text=Filters").click()
    page.locator("#nd-publishers input").click()
    assert page.locator("[role=option]:has-text('Daily Times (1)')").count() == 1  # read from the index
    page.keyboard.press("Escape")
    since = page.locator("#nd-since input")
    since.fill("2026-01-01")
    since.press("Enter")
    answer = _ask(page, STRAYER)
    assert "nd-abstain" in answer.get_attribute("class")  # nothing published since then
    page.close()
