"""The scale-out path: every command against a real `chroma run` server on 127.0.0.1."""

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import SAMPLE, cli

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = Path(sys.executable).with_name("chroma")
    if not chroma.exists():
        chroma = Path(shutil.which("chroma") or "chroma")
    port = _free_port()
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start listening within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_ingest_rerun_stats_against_server(chroma_server, tmp_path):
    env = {"NEWSDESK_CHROMA_URL": chroma_server, "NEWSDESK_EMBEDDER": "fake"}
    # The local index folder is only a cache here: point it somewhere empty each time.
    first = cli("ingest", str(SAMPLE), "--index", str(tmp_path / "cache1"), env=env)
    assert first.returncode == 0, first.stderr
    assert "added 0" not in first.stdout
    again = cli("ingest", str(SAMPLE), "--index", str(tmp_path / "cache2"), env=env)
    assert again.returncode == 0, again.stderr
    assert "added 0, updated 0" in again.stdout and "(0 chunks written)" in again.stdout
    stats = cli("index", "stats", "--json", env=env)
    assert stats.returncode == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["location"] == chroma_server
    assert data["articles"] >= 10 and data["chunks"] >= data["articles"]
    assert data["size_bytes"] is None
    assert not list(tmp_path.glob("cache*/chroma"))  # nothing written to the local folder


def test_unreachable_server_is_one_line(tmp_path):
    out = cli("index", "stats", env={"NEWSDESK_CHROMA_URL": f"http://127.0.0.1:{_free_port()}"})
    assert out.returncode == 1
    assert out.stderr.startswith("error: cannot reach the Chroma server at http://127.0.0.1:")
    assert "NEWSDESK_CHROMA_URL" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
