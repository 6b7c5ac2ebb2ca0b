"""What stands between the network and the chat: who may listen where, the login check,
login throttling and request size limits.

`Guard` is an ASGI middleware put in front of Gradio's own app. When a login is required it
lets a request through only with a valid session cookie, except for the few paths the
login page itself needs - so every event, upload, file and API route asks for the same
login as the page, whatever Gradio's routes check themselves. It also refuses bodies over
a size limit before they are read, and turns away an address that failed to sign in too
often.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

log = logging.getLogger("newsdesk.app")

LOOPBACK_NAMES = ("localhost",)
LOGIN_PATHS = ("/login", "/login/")
# What the login page loads before anyone is signed in (measured in Chromium against Gradio 6),
# and startup-events, which `launch` calls itself (it runs the app's startup once, then nothing).
PUBLIC_PATHS = frozenset({
    "/", *LOGIN_PATHS, "/logout", "/theme.css", "/favicon.ico", "/manifest.json", "/robots.txt",
    "/gradio_api/startup-events",
})
PUBLIC_PREFIXES = ("/assets/", "/static/", "/svelte/")
UPLOAD_PATHS = ("/gradio_api/upload", "/gradio_api/upload/")
MAX_BODY_BYTES = 256 * 1024  # an event or API call: a question of at most 2,000 characters and filters
UPLOAD_FILES_PER_REQUEST = 10  # an upload request may carry this many files' worth of bytes

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """True when `host` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # another host name: it may resolve to anything


def password_check(user: str, password: str) -> Callable[[str, str], bool]:
    """Gradio's auth callable for one USER:PASS, comparing both in constant time."""
    expected_user, expected_password = user.encode(), password.encode()

    def check(username: str, given: str) -> bool:
        user_ok = hmac.compare_digest(username.encode(), expected_user)
        password_ok = hmac.compare_digest(given.encode(), expected_password)
        return user_ok & password_ok  # both compared every time: no early exit to time

    return check


@dataclass
class LoginThrottle:
    """At most `limit` failed sign-ins per client address in any `window` seconds.

    An attempt counts as failed from the moment it starts until it succeeds, so a burst of
    parallel guesses cannot slip in before the first failure is known.
    """

    limit: int = 5
    window: float = 60.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait(self, client: str) -> float:
        """Seconds `client` must wait before trying again; 0 when it may try now."""
        with self._lock:
            recent = self._recent(client)
            if len(recent) < self.limit:
                return 0.0
            return max(recent[-self.limit] + self.window - self.clock(), 0.0)

    def attempt(self, client: str) -> None:
        """Count a sign-in attempt of `client` as failed until `succeeded` says otherwise."""
        with self._lock:
            if len(self._failures) > 10_000:
                for other in list(self._failures):
                    self._recent(other)
            self._failures.setdefault(client, deque()).append(self.clock())

    def succeeded(self, client: str) -> None:
        """`client` signed in: forget its failures."""
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str) -> deque[float]:
        recent = self._failures.get(client, deque())
        while recent and recent[0] <= self.clock() - self.window:
            recent.popleft()
        if not recent:
            self._failures.pop(client, None)
        return recent


@dataclass(frozen=True)
class GuardPolicy:
    """What `Guard` enforces."""

    login_required: bool
    auth_message: str = ""
    max_body_bytes: int = MAX_BODY_BYTES
    max_upload_bytes: int = 20 * 1024 * 1024 * UPLOAD_FILES_PER_REQUEST
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


class Guard:
    """ASGI middleware in front of the Gradio app; see the module docstring."""

    def __init__(self, app: Callable[..., Awaitable[None]], policy: GuardPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse what the policy forbids; pass the rest to the app."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        if self.policy.login_required and not _public(path) and not signed_in(scope):
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                detail = {"error": "Not authenticated", "auth_message": self.policy.auth_message}
                await _reply(send, 401, detail)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        limit = self.policy.max_upload_bytes if path in UPLOAD_PATHS else self.policy.max_body_bytes
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _reply(send, 413, f"the request is {declared:,} bytes - at most {limit:,} are accepted here")
            return
        if self.policy.login_required and path in LOGIN_PATHS and scope.get("method") == "POST":
            await self._login(scope, receive, send, limit)
        else:
            await _limited(self.app, scope, receive, send, limit)

    async def _login(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        client = (scope.get("client") or ("unknown", 0))[0]
        throttle = self.policy.throttle
        wait = throttle.wait(client)
        if wait > 0:
            log.warning("sign-in from %s refused: too many failed attempts", client)
            seconds = max(math.ceil(wait), 1)
            await _reply(
                send, 429, f"too many failed sign-ins from this address - try again in {seconds} s",
                headers=[(b"retry-after", str(seconds).encode())],
            )
            return
        throttle.attempt(client)

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                throttle.succeeded(client)
            await send(message)

        await _limited(self.app, scope, receive, watch, limit)


def signed_in(scope: Scope) -> bool:
    """True when the request carries a session cookie the Gradio app issued at sign-in."""
    from starlette.requests import HTTPConnection

    app = scope.get("app")
    tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
    if not tokens or cookie_id is None:
        return False
    cookies = HTTPConnection(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return token is not None and token in tokens


def _public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _limited(app: Callable[..., Awaitable[None]], scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    """Run `app`, cutting off a body that grows past `limit` bytes (one sent without a length)."""
    seen = 0
    started = False
    refused = False

    async def counted() -> Message:
        nonlocal seen, refused
        if refused:
            return {"type": "http.disconnect"}
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                refused = True
                if not started:
                    await _reply(send, 413, f"the request is over {limit:,} bytes - at most {limit:,} are accepted here")
                return {"type": "http.disconnect"}
        return message

    async def forward(message: Message) -> None:
        nonlocal started
        if refused:
            return  # the 413 went out; what the app says after the cut-off body is dropped
        if message["type"] == "http.response.start":
            started = True
        await send(message)

    await app(scope, counted, forward)


async def _reply(send: Send, status: int, detail: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})
