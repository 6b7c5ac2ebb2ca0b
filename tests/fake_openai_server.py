"""A small real OpenAI-compatible HTTP server for tests, on 127.0.0.1 and a free port.

Serves POST /v1/chat/completions (plain JSON, or SSE "data: ..." chunks ending in
"data: [DONE]" when the request says stream) and GET /v1/models. Checks a Bearer key
when one is set (401 otherwise) and answers 404 for an unknown model. The reply text
comes from a callable the test gives, taking the request's messages; `delay` seconds pass
before each completion starts, as a remote model's would, and `in_flight_max` records how
many completions were running at once.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = Callable[[list[dict[str, Any]]], str]


def echo_last_user(messages: list[dict[str, Any]]) -> str:
    """Default reply: repeat the last user message."""
    users = [m for m in messages if m.get("role") == "user"]
    return f"You said: {users[-1]['content'] if users else ''}"


@dataclass
class FakeOpenAI:
    """What a test sees of the running server: its URL, settings and the requests it got."""

    base_url: str
    reply: Reply
    api_key: str | None
    models: tuple[str, ...]
    requests: list[dict[str, Any]] = field(default_factory=list)
    delay: float = 0.0
    in_flight: int = 0
    in_flight_max: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status: int, message: str, code: str) -> None:
            self._send_json(status, {"error": {"message": message, "type": "invalid_request_error", "code": code}})

        def _authorized(self) -> bool:
            if state.api_key is None:
                return True
            if self.headers.get("Authorization") == f"Bearer {state.api_key}":
                return True
            self._error(401, "Incorrect API key provided.", "invalid_api_key")
            return False

        def do_GET(self) -> None:
            if not self._authorized():
                return
            if self.path.rstrip("/") == "/v1/models":
                data = [{"id": m, "object": "model", "created": 0, "owned_by": "tests"} for m in state.models]
                self._send_json(200, {"object": "list", "data": data})
            else:
                self._error(404, f"no route {self.path}", "not_found")

        def do_POST(self) -> None:
            if not self._authorized():
                return
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._error(404, f"no route {self.path}", "not_found")
                return
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            state.requests.append(request)
            model = request.get("model")
            if model not in state.models:
                self._error(404, f"The model '{model}' does not exist", "model_not_found")
                return
            with state.lock:
                state.in_flight += 1
                state.in_flight_max = max(state.in_flight_max, state.in_flight)
            try:
                time.sleep(state.delay)
                text = state.reply(request.get("messages", []))
                if request.get("stream"):
                    self._stream(model, text, request)
                else:
                    self._send_json(200, _completion(model, text))
            finally:
                with state.lock:
                    state.in_flight -= 1

        def _stream(self, model: str, text: str, request: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()  # HTTP/1.0: the body ends when the connection closes
            pieces = re.findall(r"\S+\s*|\s+", text)
            first = {"role": "assistant", "content": ""}
            chunks = [_chunk(model, first, None)]
            chunks += [_chunk(model, {"content": p}, None) for p in pieces]
            chunks.append(_chunk(model, {}, "stop"))
            if (request.get("stream_options") or {}).get("include_usage"):
                usage = _chunk(model, {}, None)
                usage["choices"] = []
                usage["usage"] = _usage(text)
                chunks.append(usage)
            for chunk in chunks:
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def _usage(text: str) -> dict[str, int]:
    n = len(text.split())
    return {"prompt_tokens": 1, "completion_tokens": n, "total_tokens": n + 1}


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": _usage(text),
    }


def _chunk(model: str, delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


@contextlib.contextmanager
def serve_fake_openai(
    reply: Reply = echo_last_user,
    api_key: str | None = None,
    models: tuple[str, ...] = ("test-model",),
    delay: float = 0.0,
) -> Iterator[FakeOpenAI]:
    """Run the server in a thread for the `with` block; yields its `FakeOpenAI` state."""
    state = FakeOpenAI(base_url="", reply=reply, api_key=api_key, models=models, delay=delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name="fake-openai", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
