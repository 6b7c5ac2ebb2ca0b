"""`newsdesk ask --llm openai` end to end against a real OpenAI-compatible server on 127.0.0.1."""

import json
import socket

import pytest

from newsdesk.articles import add_articles
from index.embedders import FakeEmbedder
from newsdesk.llm_fake import default_fake_reply
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE, cli
from tests.fake_openai_server import serve_fake_openai

QUESTION = "Who led the US delegation that held minerals talks in Islamabad?"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    settings = load_settings(None, index=tmp_path_factory.mktemp("oa") / "index", embedder="fake")
    assert add_articles([SAMPLE], settings, embedder_factory=lambda: FakeEmbedder()).ok
    return settings.index


def _reply(messages):
    return default_fake_reply("\n".join(m["content"] for m in messages))


def test_ask_through_openai_compatible_server_streams(index_dir):
    with serve_fake_openai(reply=_reply, api_key="sk-local", models=("newsdesk-test",)) as server:
        env = {
            "NEWSDESK_INDEX": str(index_dir),
            "NEWSDESK_EMBEDDER": "fake",
            "NEWSDESK_OPENAI_BASE_URL": server.base_url,
            "NEWSDESK_OPENAI_API_KEY": "sk-local",
            "NEWSDESK_OPENAI_MODEL": "newsdesk-test",
        }
        out = cli("ask", QUESTION, "--llm", "openai", "--json", env=env)
        assert out.returncode == 0, out.stderr
        answer = json.loads(out.stdout)
        assert answer["llm"] == "newsdesk-test" and not answer["abstained"]
        assert any("Strayer" in c["sentence"] and c["supported"] for c in answer["citations"])
        (request,) = [r for r in server.requests if r.get("messages")]
        assert request["stream"] is True  # the engine always streams
        assert request["messages"][0]["role"] == "system"


def test_unreachable_openai_url_is_one_line(index_dir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "NEWSDESK_INDEX": str(index_dir),
        "NEWSDESK_EMBEDDER": "fake",
        "NEWSDESK_OPENAI_BASE_URL": f"http://127.0.0.1:{port}/v1",
        "NEWSDESK_LLM_TIMEOUT": "5",
    }
    out = cli("ask", QUESTION, "--llm", "openai", env=env)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in out.stderr
    assert f"127.0.0.1:{port}" in lines[0] and "NEWSDESK_OPENAI_BASE_URL" in lines[0]
