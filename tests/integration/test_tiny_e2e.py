"""The whole path with real parts: packaged MiniLM, embedded Chroma, BM25, the tiny SmolLM2 model."""

import json

import pytest

from newsdesk.citations import marker_numbers
from tests.conftest import SAMPLE, cli

pytestmark = pytest.mark.integration


def test_ingest_then_ask_with_the_tiny_model(tmp_path):
    env = {"NEWSDESK_INDEX": str(tmp_path / "index"), "NEWSDESK_LLM": "tiny"}
    ingested = cli("ingest", str(SAMPLE), env=env)
    assert ingested.returncode == 0, ingested.stderr
    out = cli("ask", "Which metals did the US and Pakistan discuss in Islamabad?", "--json", env=env)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    # The tiny model answers badly; the plumbing and the contract must hold all the same.
    assert answer["llm"] == "smollm2-135m-instruct-q4_1"
    assert answer["retrieved"] and answer["timings"]["total_ms"] > 0
    assert sorted(set(marker_numbers(answer["answer"]))) == [c["n"] for c in answer["citations"]]
    if answer["abstained"]:
        assert answer["citations"] == []
    for c in answer["citations"]:
        assert c["sentence"] and c["end"] - c["start"] == len(c["sentence"])
