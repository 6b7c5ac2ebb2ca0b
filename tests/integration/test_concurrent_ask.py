"""20 questions sent to /ask at once, against the real server: with the fake LLM (answered one
at a time, as the local model is) and with a hosted backend (the test OpenAI-compatible
server, slowed down as a remote model is, answered `hosted_concurrency` at a time).

0 errors, every answer cites its own question's article, and the hosted run takes far less
than 20 answers one after another. Both wall times are printed (`pytest -s`)."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from app.server import serve
from index.embedders import FakeEmbedder
from newsdesk.articles import add_articles
from newsdesk.llm_fake import default_fake_reply
from newsdesk.settings import load_settings
from tests.fake_openai_server import serve_fake_openai

N = 20
HOSTED_DELAY = 1.0  # seconds a hosted model takes before its first word

TOWNS = ["Quillhaven", "Marrowby", "Pellister", "Ostrava Cove", "Dunkeld Reach", "Tarnwick", "Vellmoor", "Ashcombe",
         "Brindlemere", "Corvath", "Elderwyn", "Fennimore", "Galloway Point", "Harrowgate", "Islebrook", "Jessamine",
         "Kestrel Bay", "Lunderholm", "Mistral Key", "Northwold"]
KEEPERS = ["Odalys Brennick", "Tobias Quarrington", "Sunniva Okafor", "Radomir Velasko", "Ines Halvorsen",
           "Caspian Moretti", "Leocadia Wren", "Anselm Dubrovka", "Philippa Ng'ang'a", "Evander Stroud",
           "Marisol Achterberg", "Thaddeus Kilbride", "Yevgenia Portnoy", "Lucan Oyelaran", "Perpetua Lindqvist",
           "Barnaby Xiomara", "Rosalind Tennant", "Ignatius Falkirk", "Zuleika Harcourt", "Osric Penhallow"]
COLOURS = ["saffron", "cobalt", "vermilion", "teal", "ochre", "magenta", "indigo", "chartreuse", "crimson", "amber",
           "turquoise", "scarlet", "lavender", "emerald", "maroon", "cerulean", "tangerine", "olive", "plum", "silver"]


def _article(i: int) -> dict[str, str]:
    town, keeper, colour = TOWNS[i], KEEPERS[i], COLOURS[i]
    return {
        "title": f"{town} lighthouse gets a new coat",
        "source": f"Coastal Courier {i}",
        "published_at": f"2025-{1 + i % 12:02d}-{1 + i:02d}",
        "text": (
            f"The lighthouse at {town} was repainted {colour} by its keeper, {keeper}, over three weeks in spring. "
            f"Residents of {town} said the new colour could be seen from the ferry long before the harbour came into view. "
            f"The harbour board paid for the paint and scaffolding from its maintenance budget. "
            f"Fishing crews welcomed the work, saying the old white tower had faded against the cliffs. "
            f"The keeper plans to open the tower to visitors on the first weekend of every month."
        ),
    }


def _question(i: int) -> str:
    return f"Who repainted the lighthouse at {TOWNS[i]}?"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("concurrent")
    articles = folder / "lighthouses.jsonl"
    articles.write_text("".join(json.dumps(_article(i)) + "\n" for i in range(N)), encoding="utf-8")
    settings = load_settings(None, index=folder / "index", embedder="fake")
    report = add_articles([articles], settings, embedder_factory=FakeEmbedder)
    assert report.ok and len(report.added) == N, report
    return settings.index


def _ask(base: str, question: str) -> tuple[dict[str, Any] | None, str]:
    """(the Answer dict, "") from /ask by Gradio's call API, or (None, the error)."""
    with httpx.Client(base_url=base, timeout=300) as client:
        # All four inputs: question, since, until, sources (gradio_client fills the defaults in).
        sent = client.post("/gradio_api/call/ask", json={"data": [question, "", "", []]})
        if sent.status_code != 200:
            return None, f"join {sent.status_code}: {sent.text[:200]}"
        event = None
        with client.stream("GET", f"/gradio_api/call/ask/{sent.json()['event_id']}") as events:
            for line in events.iter_lines():
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:") and event in ("complete", "error"):
                    data = line[5:].strip()
                    if event == "error":
                        return None, f"error: {data}"
                    return json.loads(data)[0], ""
    return None, "the event stream ended without an answer"


def _run(settings) -> tuple[float, float, list[tuple[dict[str, Any] | None, str]]]:
    """(one answer's seconds, 20 concurrent answers' wall seconds, the 20 results) on a served app."""
    ui = serve(settings, "127.0.0.1", _free_port(), None, block=False)
    base = f"http://127.0.0.1:{ui.server_port}"
    try:
        _ask(base, _question(0))  # the warm-up is done and timed apart from the answers
        t0 = time.perf_counter()
        answer, error = _ask(base, _question(1))
        one = time.perf_counter() - t0
        assert answer is not None, error
        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=N) as pool:
            results = list(pool.map(lambda i: _ask(base, _question(i)), range(N)))
        wall = time.perf_counter() - t0
    finally:
        ui.close()
    return one, wall, results


def _check(results: list[tuple[dict[str, Any] | None, str]]) -> None:
    errors = [error for _, error in results if error]
    assert errors == [], errors
    for i, (answer, _) in enumerate(results):
        assert not answer["abstained"] and answer["citations"], (i, answer["answer"])
        titles = {c["title"] for c in answer["citations"]}
        assert titles == {_article(i)["title"]}, (i, answer["answer"], titles)
        assert KEEPERS[i] in answer["answer"]


def test_twenty_at_once_with_the_fake_llm(index_dir):
    settings = load_settings(None, index=index_dir, embedder="fake", llm="fake")
    one, wall, results = _run(settings)
    print(f"\nfake LLM (one at a time): one answer {one:.2f} s, {N} concurrent {wall:.2f} s ({wall / one:.1f}x)")
    _check(results)


def test_twenty_at_once_with_a_hosted_llm(index_dir):
    def reply(messages):
        return default_fake_reply("\n".join(m["content"] for m in messages))

    with serve_fake_openai(reply=reply, delay=HOSTED_DELAY) as server:
        settings = load_settings(
            None, index=index_dir, embedder="fake", llm="openai",
            openai_base_url=server.base_url, openai_model="test-model", llm_timeout=60,
        )
        one, wall, results = _run(settings)
        print(
            f"\nhosted LLM ({settings.hosted_concurrency} at once, {HOSTED_DELAY:.1f} s per reply): "
            f"one answer {one:.2f} s, {N} concurrent {wall:.2f} s ({wall / one:.1f}x); "
            f"at most {server.in_flight_max} replies at once"
        )
    _check(results)
    assert server.in_flight_max == settings.hosted_concurrency  # the setting, and no more
    assert wall < 8 * one, f"{N} concurrent answers took {wall:.1f} s, {wall / one:.1f}x one answer ({one:.2f} s)"
