"""`newsdesk serve`: the chat window and the /ask API on a local port."""

from __future__ import annotations

import os
import sys

from app.desk import Desk
from app.guard import UPLOAD_FILES_PER_REQUEST, Guard, GuardPolicy, LoginThrottle, is_loopback, password_check
from app.ui import build_ui, launch_options
from index.errors import UsageError
from newsdesk.settings import Settings

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860


class ServeError(UsageError):
    """A serve option is wrong; one line."""


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """("user", "pass") from "USER:PASS"; None when unset; ServeError when malformed."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ServeError("--auth must be USER:PASS (both non-empty)")
    return user, password


def check_exposure(host: str, login: bool, insecure_no_auth: bool = False) -> str | None:
    """Refuse to serve beyond this machine without a login (ServeError), unless the caller
    insists with `insecure_no_auth`: then the warning line to print is returned."""
    if login or is_loopback(host):
        return None
    if not insecure_no_auth:
        raise ServeError(
            f"--host {host} opens the chat to the network without a login - add --auth USER:PASS "
            "(or set ui_auth), or pass --insecure-no-auth to serve it open anyway"
        )
    return (
        f"warning: serving on {host} without a login (--insecure-no-auth): anyone who reaches "
        "this port can ask questions and add articles to the index"
    )


def quiet_gradio() -> None:
    """Keep Gradio off the network: no analytics, no update check, no server-side rendering."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("GRADIO_SSR_MODE", "False")


def serve(
    settings: Settings,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    auth: str | None = None,
    *,
    insecure_no_auth: bool = False,
    block: bool = True,
    throttle: LoginThrottle | None = None,
):
    """Start the chat window; blocks until Ctrl-C unless `block` is False (returns the app).

    A `host` other than loopback needs a login (`auth` or `settings.ui_auth`) unless
    `insecure_no_auth` is set; that is checked before anything starts.
    """
    credentials = parse_auth(auth if auth is not None else settings.ui_auth)
    warning = check_exposure(host, credentials is not None, insecure_no_auth)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    quiet_gradio()
    from starlette.middleware import Middleware

    desk = Desk(settings, login_required=credentials is not None)
    # Load the models while the page starts and the first question is typed; the header
    # says "loading models..." until they are ready, and questions wait for them.
    desk.start_warm_up()
    ui = build_ui(desk)
    ui.queue(default_concurrency_limit=4)
    options = launch_options(desk)
    throttle = throttle or LoginThrottle()
    message = (
        f"newsdesk: sign in ({throttle.limit} failed attempts within {throttle.window:.0f} s "
        "make this address wait before it may try again)"
        if credentials else ""
    )
    policy = GuardPolicy(
        login_required=credentials is not None,
        auth_message=message,
        max_upload_bytes=settings.upload_max_mb * 1024 * 1024 * UPLOAD_FILES_PER_REQUEST,
        throttle=throttle,
    )
    ui.launch(
        server_name=host,
        server_port=port,
        auth=password_check(*credentials) if credentials else None,
        auth_message=message or None,
        prevent_thread_lock=True,
        app_kwargs={"middleware": [Middleware(Guard, policy=policy)]},
        **options,
    )
    if block:
        print(f"newsdesk chat on http://{host}:{ui.server_port} (Ctrl-C to stop)", flush=True)
        try:
            ui.block_thread()
        except KeyboardInterrupt:
            pass
    return ui
