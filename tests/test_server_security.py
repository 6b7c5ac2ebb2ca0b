"""The served chat with a login, called with a plain HTTP client: nothing gets through without
signing in (events, uploads, the API, files), sign-in failures are throttled, oversized
requests are refused before they are read, and `serve` will not open a port to the network
without a login. One real server on 127.0.0.1 (fake embedder and LLM) for the module."""

from __future__ import annotations

import json
import socket
import time
from types import SimpleNamespace

import httpx
import pytest

from app import server
from app.desk import Desk
from app.guard import LoginThrottle, is_loopback, password_check
from app.server import ServeError, check_exposure, serve
from app.ui import build_ui
from index.embedders import FakeEmbedder
from newsdesk.articles import add_articles, overview
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE
from tests.test_app_desk import STRAYER

USER, PASSWORD = "ann", "s3cret"
THROTTLE_LIMIT, THROTTLE_WINDOW = 3, 2.0
ARTICLE = b"Zanzibar graphite quota\n\nThe Zanzibar Graphite Board set a graphite quota of 18,125 tonnes for 2026.\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(base url, settings, upload fn_index) of a server that requires ann:s3cret."""
    settings = load_settings(
        None, index=tmp_path_factory.mktemp("secure") / "index", embedder="fake", llm="fake", upload_max_mb=1
    )
    assert add_articles([SAMPLE], settings, embedder_factory=FakeEmbedder).ok
    ui = serve(
        settings, "127.0.0.1", _free_port(), f"{USER}:{PASSWORD}", block=False,
        throttle=LoginThrottle(limit=THROTTLE_LIMIT, window=THROTTLE_WINDOW),
    )
    upload = next(i for i, fn in ui.fns.items() if fn.name == "upload")
    try:
        yield f"http://127.0.0.1:{ui.server_port}", settings, upload
    finally:
        ui.close()


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200
    return client


def _upload_and_index(client: httpx.Client, upload_fn: int, name: str) -> list[int]:
    """Upload one article and run the chat's private upload handler on it, as the page does;
    the status code of each of the three requests, and the handler's report when it ran."""
    codes = []
    sent = client.post("/gradio_api/upload", files={"files": (name, ARTICLE, "text/plain")})
    codes.append(sent.status_code)
    path = sent.json()[0] if sent.status_code == 200 else "/etc/hostname"
    session = f"s{time.monotonic_ns()}"
    body = {
        # The files, then the form's Source and Date and the filters' From and To (all empty).
        "data": [[{"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}], "", None, None, None],
        "fn_index": upload_fn, "session_hash": session, "event_data": None, "trigger_id": None,
    }
    joined = client.post("/gradio_api/queue/join", json=body)
    codes.append(joined.status_code)
    report = None
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as events:
        codes.append(events.status_code)
        if events.status_code == 200:
            for line in events.iter_lines():
                msg = json.loads(line[5:]) if line.startswith("data:") else {}
                if msg.get("msg") == "process_completed":
                    report = msg["output"]["data"][0] if msg.get("success") else msg
                    break
    return codes + [report]


def test_nothing_gets_through_without_signing_in(served):
    base, settings, upload_fn = served
    before = overview(settings).articles
    anonymous = httpx.Client(base_url=base, timeout=30)
    assert anonymous.get("/").status_code == 200  # the login page
    refused = {
        "GET /config": anonymous.get("/config"),
        "GET /gradio_api/info": anonymous.get("/gradio_api/info"),
        "GET /gradio_api/openapi.json": anonymous.get("/gradio_api/openapi.json"),
        "POST /gradio_api/call/ask": anonymous.post("/gradio_api/call/ask", json={"data": [STRAYER]}),
        "POST /gradio_api/run/ask": anonymous.post("/gradio_api/run/ask", json={"data": [STRAYER]}),
        "POST /gradio_api/cancel": anonymous.post(
            "/gradio_api/cancel", json={"session_hash": "x", "fn_index": upload_fn, "event_id": "x"}),
        "POST /gradio_api/stream/x": anonymous.post("/gradio_api/stream/x", json={"data": [], "session_hash": "x"}),
        "GET /gradio_api/heartbeat/x": anonymous.get("/gradio_api/heartbeat/x"),
        "GET /gradio_api/token": anonymous.get("/gradio_api/token"),
        "GET /gradio_api/file=": anonymous.get(f"/gradio_api/file={settings.index}/chroma.sqlite3"),
    }
    assert {k: r.status_code for k, r in refused.items()} == {k: 401 for k in refused}
    # The private upload handler, called by its fn_index as the page would: refused at every step.
    assert _upload_and_index(anonymous, upload_fn, "sneaky.txt") == [401, 401, 401, None]
    assert overview(settings).articles == before
    assert not (settings.index / "uploads" / "sneaky.txt").exists()


def test_signed_in_the_same_calls_work(served):
    base, settings, upload_fn = served
    before = overview(settings).articles
    client = _signed_in(base)
    assert client.get("/config").status_code == 200 and client.get("/gradio_api/info").status_code == 200
    codes = _upload_and_index(client, upload_fn, "graphite.txt")
    assert codes[:3] == [200, 200, 200] and str(codes[3]).startswith("added 1"), codes
    assert overview(settings).articles == before + 1


def test_ask_api_needs_the_login_and_limits_the_question(served):
    from gradio_client import Client

    base, _, _ = served
    with pytest.raises(Exception):
        Client(base, verbose=False)
    client = Client(base, auth=(USER, PASSWORD), verbose=False)
    assert client.predict(STRAYER, api_name="/ask")["citations"]
    with pytest.raises(Exception, match="at most 2,000"):
        client.predict("why " * 600, api_name="/ask")
    with pytest.raises(Exception, match="no articles from 'Foo Gazette' in the index - known: "):
        client.predict(STRAYER, "", "", ["Foo Gazette"], api_name="/ask")


def test_failed_sign_ins_are_throttled(served):
    base, _, _ = served
    client = httpx.Client(base_url=base, timeout=30)
    codes = [client.post("/login", data={"username": USER, "password": f"guess{i}"}).status_code for i in range(THROTTLE_LIMIT)]
    assert codes == [400] * THROTTLE_LIMIT
    locked = client.post("/login", data={"username": USER, "password": PASSWORD})  # even the right one
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    assert "too many failed sign-ins" in locked.json()["detail"]
    time.sleep(THROTTLE_WINDOW + 0.2)
    assert client.post("/login", data={"username": USER, "password": PASSWORD}).status_code == 200


def test_oversized_requests_are_refused_before_they_are_read(served):
    base, _, upload_fn = served
    client = _signed_in(base)
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    port = int(base.rsplit(":", 1)[1])
    # Only the headers are sent: the answer comes without the server waiting for the body.
    for path, size in (("/gradio_api/queue/join", 300_000), ("/gradio_api/upload", 10**9)):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                f"POST {path} HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {size}\r\n\r\n".encode()
            )
            assert conn.recv(200).startswith(b"HTTP/1.1 413"), path
    # A body sent without a length is cut off when it grows past the limit.
    chunks = (b"x" * 65_536 for _ in range(8))
    assert client.post("/gradio_api/queue/join", content=chunks).status_code == 413
    # One file over upload_max_mb (1 MB here): Gradio's own limit, while the upload streams.
    big = client.post("/gradio_api/upload", files={"files": ("big.txt", b"x" * 1_100_000, "text/plain")})
    assert big.status_code == 413


def test_upload_handler_refuses_a_request_that_is_not_signed_in(settings, tmp_path):
    desk = Desk(settings, login_required=True)
    ui = build_ui(desk)
    upload = next(fn.fn for fn in ui.fns.values() if fn.name == "upload")
    article = tmp_path / "graphite.txt"
    article.write_bytes(ARTICLE)
    report = upload([str(article)], SimpleNamespace(username=None))[0]
    assert report.startswith("refused") and overview(settings).articles == 0
    assert upload([str(article)], SimpleNamespace(username=USER))[0].startswith("added 1")


def test_serve_refuses_the_network_without_a_login(settings, monkeypatch, capsys):
    def started(*args, **kwargs):
        raise RuntimeError("the server was started")

    monkeypatch.setattr(server, "build_ui", started)
    for host in ("0.0.0.0", "::", "192.168.1.20", "example.org"):
        with pytest.raises(ServeError, match="--insecure-no-auth"):
            serve(settings, host, block=False)
    with pytest.raises(RuntimeError, match="was started"):  # with the flag it goes ahead, warning
        serve(settings, "0.0.0.0", insecure_no_auth=True, block=False)
    assert "warning: serving on 0.0.0.0 without a login" in capsys.readouterr().err
    with pytest.raises(RuntimeError, match="was started"):  # a login makes it fine, silently
        serve(settings, "0.0.0.0", auth="ann:s3cret", block=False)
    assert capsys.readouterr().err == ""


def test_loopback_hosts_and_exposure():
    for host in ("127.0.0.1", "127.8.9.1", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host) and check_exposure(host, login=False) is None
    for host in ("0.0.0.0", "::", "10.0.0.5", "my-laptop", ""):
        assert not is_loopback(host)
    assert check_exposure("0.0.0.0", login=True) is None
    assert "anyone who reaches" in check_exposure("0.0.0.0", login=False, insecure_no_auth=True)


def test_login_throttle_window_and_password_check():
    now = [100.0]
    throttle = LoginThrottle(limit=2, window=60, clock=lambda: now[0])
    for _ in range(2):
        assert throttle.wait("1.2.3.4") == 0
        throttle.attempt("1.2.3.4")
    assert throttle.wait("1.2.3.4") == 60 and throttle.wait("5.6.7.8") == 0  # per address
    now[0] += 30
    assert throttle.wait("1.2.3.4") == 30
    now[0] += 30
    assert throttle.wait("1.2.3.4") == 0
    throttle.attempt("1.2.3.4")
    throttle.succeeded("1.2.3.4")
    throttle.attempt("1.2.3.4")
    assert throttle.wait("1.2.3.4") == 0  # a success forgets the failures before it
    check = password_check("ann", "s3cret")
    assert check("ann", "s3cret") and not check("ann", "s3cret ") and not check("bob", "s3cret")
    assert not check("ann", "") and not check("änn", "s3cret")
