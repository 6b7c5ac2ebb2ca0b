"""The scale-out path: every command against a real `chroma run` server on 127.0.0.1."""

import json

import pytest

from tests.conftest import SAMPLE, cli, free_port

pytestmark = pytest.mark.integration


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
    out = cli("index", "stats", env={"NEWSDESK_CHROMA_URL": f"http://127.0.0.1:{free_port()}"})
    assert out.returncode == 1
    assert out.stderr.startswith("error: cannot reach the Chroma server at http://127.0.0.1:")
    assert "NEWSDESK_CHROMA_URL" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
