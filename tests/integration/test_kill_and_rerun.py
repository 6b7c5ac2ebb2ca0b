"""`kill -9` in the middle of an ingest of 500 real articles, then a rerun, equals one clean pass."""

import json
import os
import signal
import subprocess
import time

import pytest

from tests.conftest import NEWSDESK, REPO, cli, data_file, run_cli

pytestmark = pytest.mark.integration


def _stats(index):
    out = cli("index", "stats", "--json", "--index", str(index), env={"NEWSDESK_EMBEDDER": "fake"})
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    return {k: data[k] for k in ("articles", "chunks", "sources", "first_date", "last_date")}


def test_kill_9_then_rerun_equals_clean_pass(tmp_path):
    source = data_file("realtimeqa", "articles.jsonl")
    articles = tmp_path / "first500.jsonl"
    with source.open(encoding="utf-8") as f:
        articles.write_text("".join(next(f) for _ in range(500)), encoding="utf-8")
    env = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_INGEST_BATCH_ARTICLES": "8"}

    # A subprocess on purpose: its time (Python start-up and imports included) sets when the
    # victim process below is killed, so that the kill lands in the middle of its ingest.
    started = time.monotonic()
    clean = run_cli("ingest", str(articles), "--index", str(tmp_path / "clean"), env=env)
    clean_seconds = time.monotonic() - started
    assert clean.returncode == 0, clean.stderr
    expected = _stats(tmp_path / "clean")
    # 499: two of these lines carry the same text under two URLs (indexed once, a duplicate).
    assert expected["articles"] == 499

    victim_env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}, **env}
    proc = subprocess.Popen(
        [str(NEWSDESK), "ingest", str(articles), "--index", str(tmp_path / "killed")],
        cwd=REPO, env=victim_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(clean_seconds * 0.6)
    assert proc.poll() is None, "the ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    partial = _stats(tmp_path / "killed")
    assert 0 <= partial["articles"] < 499  # really interrupted, and consistent enough to read

    rerun = cli("ingest", str(articles), "--index", str(tmp_path / "killed"), env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert _stats(tmp_path / "killed") == expected
