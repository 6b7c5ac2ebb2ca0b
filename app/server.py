"""`newsdesk serve`: the chat window and the /ask API on a local port."""

from __future__ import annotations

import os
import threading

from app.desk import Desk
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
    block: bool = True,
):
    """Start the chat window; blocks until Ctrl-C unless `block` is False (returns the app)."""
    credentials = parse_auth(auth if auth is not None else settings.ui_auth)
    quiet_gradio()
    desk = Desk(settings)
    ui = build_ui(desk)
    ui.queue(default_concurrency_limit=4)
    options = launch_options(desk)
    ui.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        auth_message="newsdesk: sign in" if credentials else None,
        prevent_thread_lock=True,
        **options,
    )
    # Load the models while the first question is being typed; questions wait for it.
    threading.Thread(target=desk.warm_up, name="newsdesk-warm-up", daemon=True).start()
    if block:
        print(f"newsdesk chat on http://{host}:{ui.server_port} (Ctrl-C to stop)", flush=True)
        try:
            ui.block_thread()
        except KeyboardInterrupt:
            pass
    return ui
