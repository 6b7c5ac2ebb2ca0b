"""`kill -9` inside the write protocol, at 10 seeded points, then a rerun, equals a clean pass.

The victim is a real ingest process whose Chroma write calls (add, upsert, update, delete)
are counted; at the seeded call it kills itself with SIGKILL, just before or just after
that call - between marking a batch `writing` and its chunks, between deleting old chunks
and adding new ones, before the batch is marked `done`. Nothing is cleaned up on the way
out: the rerun must find the index consistent and finish the work.
"""

import json
import os
import random
import subprocess
import sys
import textwrap

import pytest

from index.store import IndexStore
from newsdesk.settings import load_settings
from tests.conftest import REPO, chroma, cli, make_articles

pytestmark = pytest.mark.integration

VICTIM = textwrap.dedent("""
    import os, signal, sys
    from chromadb.api.models.Collection import Collection
    from app.cli import main
    kill_at, phase = int(sys.argv[1]), sys.argv[2]
    calls = [0]

    def counted(name):
        real = getattr(Collection, name)
        def wrapper(self, *args, **kwargs):
            calls[0] += 1
            if calls[0] == kill_at and phase == "before":
                os.kill(os.getpid(), signal.SIGKILL)
            result = real(self, *args, **kwargs)
            if calls[0] == kill_at and phase == "after":
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return wrapper

    for name in ("add", "upsert", "update", "delete"):
        setattr(Collection, name, counted(name))
    if kill_at == 0:
        import atexit
        atexit.register(lambda: print("WRITE_CALLS", calls[0], file=sys.stderr))
    main(sys.argv[3:], prog_name="newsdesk")
""")


def _victim(kill_at, phase, articles, index, env):
    return subprocess.run(
        [sys.executable, "-c", VICTIM, str(kill_at), phase, "ingest", str(articles), "--index", str(index)],
        env=env, capture_output=True, text=True, cwd=REPO, timeout=300,
    )


def _snapshot(index):
    store = IndexStore(load_settings(None, index=index).store_options())
    cols = chroma(store)
    manifest = cols.manifest.get(include=["metadatas", "documents"])
    chunks = cols.chunks.get(include=["metadatas", "documents", "embeddings"])
    return (
        {i: (m["hash"], m["state"], m["n_chunks"], d) for i, m, d in zip(manifest["ids"], manifest["metadatas"], manifest["documents"])},
        {i: (d, json.dumps(m, sort_keys=True), [round(float(x), 6) for x in e])
         for i, m, d, e in zip(chunks["ids"], chunks["metadatas"], chunks["documents"], chunks["embeddings"])},
    )


def test_kill_9_inside_the_write_then_rerun_equals_clean_pass(tmp_path):
    articles = tmp_path / "articles"
    make_articles(articles, "kill", 40)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")},
           "NEWSDESK_EMBEDDER": "fake", "NEWSDESK_INGEST_BATCH_ARTICLES": "4"}

    counting = _victim(0, "none", articles, tmp_path / "clean", env)
    assert counting.returncode == 0, counting.stderr
    total = int(counting.stderr.rsplit("WRITE_CALLS", 1)[1].split()[0])
    assert total >= 30  # 10 batches of several write calls each
    expected = _snapshot(tmp_path / "clean")
    assert len(expected[0]) == 40

    rng = random.Random(20261129)
    points = sorted(rng.sample(range(1, total + 1), 10))
    for n, kill_at in enumerate(points):
        phase = rng.choice(["before", "after"])
        index = tmp_path / f"killed-{n}"
        victim = _victim(kill_at, phase, articles, index, env)
        assert victim.returncode == -9, (kill_at, phase, victim.returncode, victim.stderr[-500:])
        # Readers see a consistent index right after the kill ...
        stats = cli("index", "stats", "--json", "--index", str(index), env={"NEWSDESK_EMBEDDER": "fake"})
        assert stats.returncode == 0, stats.stderr
        assert json.loads(stats.stdout)["articles"] < 40
        # ... and a rerun completes it to exactly what one clean pass writes.
        rerun = cli("ingest", str(articles), "--index", str(index), env={"NEWSDESK_EMBEDDER": "fake",
                                                                        "NEWSDESK_INGEST_BATCH_ARTICLES": "4"})
        assert rerun.returncode == 0, rerun.stderr
        assert _snapshot(index) == expected, f"kill at write call {kill_at} ({phase})"
