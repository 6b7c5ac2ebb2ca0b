"""`newsdesk watch`: a file added to a watched folder and an item added to a watched feed are
answerable within one interval; the writer lease is free between rounds; Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time

import pytest

from tests.conftest import NEWSDESK, cli
from tests.news_server import NewsSite, atom

FAST = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_FETCH_TIMEOUT": "2"}

COBALT = ("---\ntitle: Congo cobalt quota takes effect\nsource: Kinshasa Mining Daily\npublished_at: 2025-10-16\n---\n"
          "Congo's cobalt export quota took effect on Thursday, ending an eight-month ban.\n\n"
          "Traders in Shanghai said the first shipments would reach Chinese refiners in December.\n")
URANIUM = ("---\ntitle: Namibia uranium mine restarts\nsource: Windhoek Observer\npublished_at: 2025-11-02\n---\n"
           "The Langer Heinrich uranium mine in Namibia restarted processing after a two-month halt.\n\n"
           "The operator said output would reach 5 million pounds of uranium oxide next year.\n")
ANTIMONY_PAGE = [
    "Bolivian antimony miners in Potosi doubled shipments to Rotterdam after Chinese export curbs.",
    "The Potosi cooperatives sold 900 tonnes of antimony concentrate in October, the mining ministry said.",
    "Buyers in Europe paid record prices as smelters searched for supply outside China.",
]
NICKEL_PAGE = [
    "Indonesia raised its royalty on nickel ore to 14 percent, the energy ministry said in Jakarta on Wednesday.",
    "Smelter operators warned that the higher royalty would squeeze margins already hurt by low nickel prices.",
]


@pytest.fixture
def site():
    server = NewsSite().start()
    yield server
    server.stop()


def _feed(site: NewsSite, entries: list[tuple[str, str]]) -> str:
    return site.set("/feed.atom", atom("Metals Atom", [
        {"title": title, "link": site.url(path), "updated": "2025-11-05T06:00:00Z"} for title, path in entries
    ]), content_type="application/atom+xml")


def _wait_for(condition, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def test_a_new_file_and_a_new_feed_item_are_answerable_within_one_interval(tmp_path, site):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "cobalt.md").write_text(COBALT, encoding="utf-8")
    site.page("/news/nickel.html", "Indonesia raises nickel ore royalty", NICKEL_PAGE, site="Jakarta Metals", date="2025-11-05")
    feed = _feed(site, [("Indonesia raises nickel ore royalty", "/news/nickel.html")])
    index = str(tmp_path / "index")
    results = []
    watcher = threading.Thread(target=lambda: results.append(
        cli("watch", str(folder), feed, "--interval", "1", "--rounds", "3", "--index", index, env=FAST)))
    watcher.start()
    # Round 1 reads the folder, then the feed: once the feed is asked for, the folder is read.
    _wait_for(lambda: site.hits["/feed.atom"] >= 1)
    (folder / "uranium.md").write_text(URANIUM, encoding="utf-8")
    site.page("/news/antimony.html", "Potosi antimony shipments double", ANTIMONY_PAGE, site="Andes Metals", date="2025-11-06")
    _feed(site, [("Potosi antimony shipments double", "/news/antimony.html"),
                 ("Indonesia raises nickel ore royalty", "/news/nickel.html")])
    watcher.join(60)
    assert not watcher.is_alive()

    result = results[0]
    assert result.returncode == 0, result.stderr
    rounds = [line.split(" ", 1)[1] for line in result.stdout.splitlines()]
    assert rounds[0].startswith("round 1: added 2, updated 0, unchanged 0"), rounds
    assert rounds[1].startswith("round 2: added 2, updated 0, unchanged 2"), rounds  # the next round has both
    assert rounds[2].startswith("round 3: added 0, updated 0, unchanged 4"), rounds
    assert len(rounds) == 3
    assert site.hits["/news/nickel.html"] == 1 and site.hits["/news/antimony.html"] == 1  # indexed items: never again

    for question, title in (("When will the Langer Heinrich uranium mine output reach 5 million pounds?", "Namibia uranium mine restarts"),
                            ("How many tonnes of antimony concentrate did the Potosi cooperatives sell?", "Potosi antimony shipments double")):
        answer = cli("ask", question, "--llm", "fake", "--json", "--index", index, env=FAST)
        assert answer.returncode == 0, answer.stderr
        assert title in [hit["title"] for hit in json.loads(answer.stdout)["retrieved"]][:2]


def test_ctrl_c_stops_the_watch_cleanly_and_other_writers_write_between_rounds(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "cobalt.md").write_text(COBALT, encoding="utf-8")
    extra = tmp_path / "uranium.md"
    extra.write_text(URANIUM, encoding="utf-8")
    index = str(tmp_path / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env.update(FAST, PYTHONUNBUFFERED="1")
    # 3 s between rounds leaves the in-process ingest below time to run between them.
    proc = subprocess.Popen([str(NEWSDESK), "watch", str(folder), "--interval", "3", "--index", index],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = proc.stdout.readline()
        assert " round 1: added 1," in first, first + proc.stderr.read() if proc.poll() is not None else first
        # Between rounds the writer lease is free: another ingest writes without waiting.
        started = time.monotonic()
        other = cli("ingest", str(extra), "--index", index, env=FAST)
        assert other.returncode == 0 and "added 1" in other.stdout, other.stderr
        assert "waiting" not in other.stderr and time.monotonic() - started < 15
        second = proc.stdout.readline()
        assert " round 2: added 0, updated 0, unchanged 1," in second
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1].startswith("stopped after ") and "the index is consistent" in out
    assert "Traceback" not in err


def test_watch_options_are_checked(tmp_path):
    result = cli("watch", str(tmp_path), "--interval", "0", "--index", str(tmp_path / "index"))
    assert result.returncode == 2 and result.stderr.strip() == "error: --interval: 0 is not a number of seconds above 0"
    result = cli("watch", str(tmp_path), "--rounds", "0", "--index", str(tmp_path / "index"))
    assert result.returncode == 2 and "--rounds: 0 is not a number of rounds" in result.stderr
