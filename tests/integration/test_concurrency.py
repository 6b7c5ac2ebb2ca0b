"""Writers and readers of one index at the same time lose nothing.

One process ingests a few hundred articles in small batches while a second process loops
over `index stats`, `ask` and an ingest of other articles, and a third, long-lived one
answers questions the way the chat does (one engine kept open, as `newsdesk serve` keeps
it). Afterwards every article is there, no chunk is orphaned, and no answer failed. The
same runs against a real `chroma run` server.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from index.records import DONE
from index.store import IndexStore
from newsdesk.settings import load_settings
from tests.conftest import NEWSDESK, REPO, chroma, make_articles

pytestmark = pytest.mark.integration

LOOP = textwrap.dedent("""
    import json, os, subprocess, sys
    newsdesk, index, extra, stop = sys.argv[1:5]
    failures, rounds = [], 0
    while not os.path.exists(stop) or rounds < 2:
        rounds += 1
        for args in (["index", "stats", "--json"], ["ask", "How much did copper output rise in Chile?", "--json"],
                     ["ingest", extra]):
            out = subprocess.run([newsdesk, *args, "--index", index], capture_output=True, text=True)
            if out.returncode != 0 or "Traceback" in out.stderr or "unexpected" in out.stderr:
                failures.append([args[0], out.returncode, out.stderr[-400:]])
    print(json.dumps({"rounds": rounds, "failures": failures}))
""")

CHAT = textwrap.dedent("""
    import json, os, sys
    from app.desk import Desk
    from newsdesk.settings import load_settings
    index, stop = sys.argv[1:3]
    desk = Desk(load_settings(None, index=index))
    answers, failures, seen = 0, [], set()
    while not os.path.exists(stop) or answers < 3:
        try:
            got = desk.ask("How much did cobalt output rise in Congo?")
            answers += 1
            seen.update(r["doc_id"] for r in got["retrieved"])
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {exc}"[:300])
    # Written after this engine was built: the chat must find it without a restart.
    late = desk.ask("Which report main 299 figures did the ministry give for uranium output?")
    print(json.dumps({"answers": answers, "failures": failures, "docs_seen": len(seen),
                      "sees_new": any("report main 299" in r["title"] for r in late["retrieved"])}))
""")


def _run_together(tmp_path, env):
    index = tmp_path / "index"
    main_articles, extra_articles, seed = tmp_path / "main", tmp_path / "extra", tmp_path / "seed"
    make_articles(main_articles, "main", 300)
    make_articles(extra_articles, "extra", 40)
    make_articles(seed, "seed", 5)
    full_env = {**{k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}, **env}
    # Seed the index so the readers have something to answer from from the start.
    first = subprocess.run([str(NEWSDESK), "ingest", str(seed), "--index", str(index)],
                           env=full_env, capture_output=True, text=True, cwd=REPO)
    assert first.returncode == 0, first.stderr
    stop = tmp_path / "stop"
    loop = subprocess.Popen([sys.executable, "-c", LOOP, str(NEWSDESK), str(index), str(extra_articles), str(stop)],
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    chat = subprocess.Popen([sys.executable, "-c", CHAT, str(index), str(stop)],
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    time.sleep(1.0)
    started = time.monotonic()
    main = subprocess.run([str(NEWSDESK), "ingest", str(main_articles), "--index", str(index)],
                          env={**full_env, "NEWSDESK_INGEST_BATCH_ARTICLES": "4"}, capture_output=True, text=True, cwd=REPO)
    looped_ingest_seconds = time.monotonic() - started
    stop.write_text("")
    loop_out, loop_err = loop.communicate(timeout=600)
    chat_out, chat_err = chat.communicate(timeout=600)
    assert main.returncode == 0, main.stderr
    assert "added 300" in main.stdout, main.stdout
    looped = json.loads(loop_out.strip().splitlines()[-1]) if loop_out.strip() else {"failures": [loop_err[-800:]]}
    chatted = json.loads(chat_out.strip().splitlines()[-1]) if chat_out.strip() else {"failures": [chat_err[-800:]]}
    assert looped["failures"] == [], looped
    assert chatted["failures"] == [], chatted
    assert looped["rounds"] >= 2 and chatted["answers"] >= 3
    assert chatted["sees_new"], "the long-lived engine did not find an article written after it started"
    looped["ingest_seconds"] = round(looped_ingest_seconds, 1)
    return index, looped, chatted


def _check_complete(settings, expected):
    store = IndexStore(settings.store_options())
    cols = chroma(store)
    manifest = cols.manifest.get(include=["metadatas"])
    states = {doc_id: meta["state"] for doc_id, meta in zip(manifest["ids"], manifest["metadatas"])}
    assert len(states) == expected and set(states.values()) == {DONE}
    chunks = cols.chunks.get(include=["metadatas"])
    owners = {meta["doc_id"] for meta in chunks["metadatas"]}
    assert owners == set(states), "orphan chunks or articles without chunks"
    n_chunks = sum(meta.get("n_chunks", 0) for meta in manifest["metadatas"])
    assert n_chunks == len(chunks["ids"])
    # Every chunk is readable through the vector index too (no "Error getting embedding").
    assert len(store.vectors(chunks["ids"])[0]) == len(chunks["ids"])


def test_ingest_beside_readers_and_another_writer_loses_nothing(tmp_path):
    env = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_LLM": "fake"}
    index, looped, chatted = _run_together(tmp_path, env)
    _check_complete(load_settings(None, index=index, embedder="fake"), 345)
    print(f"main ingest {looped['ingest_seconds']} s, loop rounds {looped['rounds']}, chat answers {chatted['answers']}")


def test_the_same_against_a_chroma_server(tmp_path, chroma_server):
    env = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_LLM": "fake", "NEWSDESK_CHROMA_URL": chroma_server}
    index, looped, chatted = _run_together(tmp_path, env)
    _check_complete(load_settings(None, index=index, embedder="fake", chroma_url=chroma_server), 345)
    print(f"main ingest {looped['ingest_seconds']} s, loop rounds {looped['rounds']}, chat answers {chatted['answers']}")
