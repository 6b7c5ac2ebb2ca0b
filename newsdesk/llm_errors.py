"""LLM errors: `LLMError` and the mapping from whatever a backend raised to one line.

Kept free of llama_index so the CLI, the model cache and the engine can import it cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.errors import NewsdeskError

if TYPE_CHECKING:
    from newsdesk.settings import Settings

_UNREACHABLE = {"APIConnectionError", "ConnectError", "NetworkError", "ConnectionError", "RemoteProtocolError"}
_TIMEOUT = {"APITimeoutError", "TimeoutException", "TimeoutError"}


class LLMError(NewsdeskError):
    """The LLM could not answer; the message is one line saying what to fix."""


def describe_llm_error(exc: BaseException, settings: Settings, label: str | None = None) -> LLMError:
    """Turn whatever generation raised into a one-line `LLMError` naming what to fix.

    Hosted backends get the URL and the NEWSDESK_* setting to change: unreachable ->
    the URL setting, 401/403 -> the API key, 404 or unknown model -> the model setting.
    Other backends get a message naming `label`: pass `newsdesk.llms.llm_label(settings)`
    (this module cannot import it without a cycle); left out, the backend's name is used.
    """
    if isinstance(exc, LLMError):
        return exc
    if settings.llm == "openai":
        url, url_env, model, model_env = (
            settings.openai_base_url,
            "NEWSDESK_OPENAI_BASE_URL",
            settings.openai_model,
            "NEWSDESK_OPENAI_MODEL",
        )
        key_hint = "set NEWSDESK_OPENAI_API_KEY"
    elif settings.llm == "ollama":
        url, url_env, model, model_env = (
            settings.ollama_url,
            "NEWSDESK_OLLAMA_URL",
            settings.ollama_model,
            "NEWSDESK_OLLAMA_MODEL",
        )
        key_hint = f"check the proxy in front of Ollama or fix {url_env}"
    else:
        return LLMError(one_line(f"the {label or settings.llm} LLM failed: {reason_of(exc)}"))

    chain = _chain(exc)
    names = {cls.__name__ for e in chain for cls in type(e).__mro__}
    status = next((s for e in chain if (s := _status_of(e)) is not None), None)
    text = " ".join(str(e) for e in chain).lower()
    if status is None and names & _TIMEOUT:
        return LLMError(
            f"no answer from the LLM at {url} within {settings.llm_timeout:g} s - "
            f"start it, fix {url_env} or raise NEWSDESK_LLM_TIMEOUT"
        )
    if status is None and (names & _UNREACHABLE or isinstance(exc, OSError)):
        return LLMError(f"cannot reach the LLM at {url} - start it or fix {url_env}")
    if status in (401, 403):
        return LLMError(f"the LLM at {url} rejected the API key (HTTP {status}) - {key_hint}")
    mentions_model = "model" in text and any(w in text for w in ("not found", "does not exist", "no such", "unknown"))
    if status == 404 and (mentions_model or settings.llm == "ollama"):
        return LLMError(f"the LLM at {url} has no model '{model}' - set {model_env}")
    if mentions_model and status in (None, 400):
        return LLMError(f"the LLM at {url} has no model '{model}' - set {model_env}")
    if status == 404:
        return LLMError(f"the LLM at {url} answered 404 (no such endpoint) - fix {url_env} (often it ends in /v1)")
    where = f"HTTP {status}" if status is not None else type(exc).__name__
    return LLMError(one_line(f"the LLM at {url} failed ({where}): {reason_of(exc)}"))


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen and len(seen) < 10:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        status = getattr(getattr(exc, "response", None), "status_code", None)
    return status if isinstance(status, int) and status > 0 else None


def reason_of(exc: BaseException) -> str:
    """The most useful one-line reason an exception carries (an API error body's message, else its text)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        message = err.get("message") if isinstance(err, dict) else err
        if message:
            return str(message)
    return str(exc) or type(exc).__name__


def one_line(text: str, limit: int = 300) -> str:
    """`text` on one line, cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
