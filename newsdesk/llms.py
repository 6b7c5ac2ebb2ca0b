"""LLM backends behind one factory and a small registry, all LlamaIndex LLMs and all streaming.

`make_llm(settings)` picks from `BACKENDS` by `settings.llm`: `local` (the packaged
Qwen2.5-Coder-1.5B through llama.cpp), `tiny` (SmolLM2-135M, for plumbing tests), `openai`
(any OpenAI-compatible server), `ollama`, or `fake` (scripted, deterministic, for tests).
Adding a backend means one build function and one `BACKENDS` entry.

Cheap to import: llama_index is imported only when a backend is built.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from newsdesk.llm_errors import LLMError
from newsdesk.llm_errors import describe_llm_error as _describe_llm_error
from newsdesk.model_cache import Notify, ensure_local_model

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from newsdesk.settings import Settings

__all__ = [
    "BACKENDS", "Backend", "LLMError", "answers_at_once", "describe_llm_error", "llm_label", "make_llm", "one_word_kwargs",
]

LOCAL_LABEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
TINY_LABEL = "smollm2-135m-instruct-q4_1"
XLLAMACPP_PIN = "xllamacpp==2026.10.11549"
# Alternatives asked for with a one-word reply: enough to hold every spelling of the
# options ("Yes", "yes", " Yes", "Ins"...) that carries real probability.
TOP_LOGPROBS = 10


@dataclass(frozen=True)
class Backend:
    """One LLM backend: the model name its answers show, and how to build it.

    `build(settings, notify)` returns the LLM without loading or contacting anything yet,
    and raises `LLMError` when the backend's package is missing or its settings are unusable.
    `one_word` holds the `chat()` arguments for a one-word reply (see `one_word_kwargs`).
    `hosted` is true when another process or machine generates (it can answer several
    questions at once); a local model uses every core for one answer.
    """

    name: str
    label: Callable[[Settings], str]
    build: Callable[[Settings, Notify], LLM]
    one_word: tuple[tuple[str, Any], ...] = ()
    hosted: bool = False


def llm_label(settings: Settings) -> str:
    """The model name to show in an Answer's `llm` field."""
    return BACKENDS[settings.llm].label(settings)


def answers_at_once(settings: Settings) -> int:
    """How many questions to answer at once: `hosted_concurrency` for a hosted backend, else 1."""
    return settings.hosted_concurrency if BACKENDS[settings.llm].hosted else 1


def make_llm(settings: Settings, notify: Notify | None = None) -> LLM:
    """Build the LLM that `settings.llm` names. Nothing is loaded or contacted yet.

    `notify` receives progress lines (the local model is assembled from its part packages
    the first time); by default they go to stderr so `--json` output stays clean.
    Raises `LLMError` when the backend's package is missing or its settings are unusable.
    """
    backend = BACKENDS.get(settings.llm)
    if backend is None:
        raise LLMError(f"unknown LLM backend {settings.llm!r} - set NEWSDESK_LLM")
    return backend.build(settings, notify or _notify_stderr)


def one_word_kwargs(settings: Settings) -> dict[str, Any]:
    """Extra `chat()` arguments for a one-word reply whose alternatives are wanted.

    llama.cpp (local, tiny) and OpenAI-compatible servers return the first token's top
    log-probabilities when asked (`ChatResponse.logprobs`); Ollama and the fake take no such
    arguments, and their reply's text is read instead.
    """
    return dict(BACKENDS[settings.llm].one_word)


def describe_llm_error(exc: BaseException, settings: Settings) -> LLMError:
    """Turn whatever generation raised into a one-line `LLMError` naming what to fix.

    See `newsdesk.llm_errors.describe_llm_error`; this one supplies the model's label.
    """
    return _describe_llm_error(exc, settings, llm_label(settings))


# The build functions import their backend inside: each pulls in llama_index (~2.5 s),
# and the CLI imports this module at its top just to answer --help.


def _build_local(settings: Settings, notify: Notify) -> LLM:
    _require("xllamacpp", f"pip install {XLLAMACPP_PIN} (or `make install`)")
    from newsdesk.llm_local import XLlamaCppLLM

    path = ensure_local_model(settings.model_cache, notify=notify)
    return XLlamaCppLLM.from_settings(settings, path, LOCAL_LABEL)


def _build_tiny(settings: Settings, notify: Notify) -> LLM:
    _require("xllamacpp", f"pip install {XLLAMACPP_PIN} (or `make install`)")
    from newsdesk.llm_local import XLlamaCppLLM, tiny_model_path

    return XLlamaCppLLM.from_settings(settings, tiny_model_path(), TINY_LABEL)


def _build_openai(settings: Settings, notify: Notify) -> LLM:
    try:
        from llama_index.llms.openai_like import OpenAILike
    except ImportError:
        raise LLMError(
            "the openai backend needs llama-index-llms-openai-like - pip install llama-index-llms-openai-like"
        ) from None
    return OpenAILike(
        model=settings.openai_model,
        api_base=settings.openai_base_url,
        # Many local OpenAI-compatible servers need no key, but the client insists on one.
        api_key=settings.openai_api_key or "none",
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.llm_context,
        max_tokens=settings.llm_max_tokens,
        temperature=0.0,
        timeout=settings.llm_timeout,
        max_retries=1,
    )


def _build_ollama(settings: Settings, notify: Notify) -> LLM:
    try:
        from llama_index.llms.ollama import Ollama
    except ImportError:
        raise LLMError(
            "the ollama backend needs llama-index-llms-ollama - pip install llama-index-llms-ollama"
        ) from None
    return Ollama(
        model=settings.ollama_model,
        base_url=settings.ollama_url,
        request_timeout=settings.llm_timeout,
        temperature=0.0,
        # Set explicitly: left at -1, Ollama asks the server for it on every metadata read.
        context_window=settings.llm_context,
        is_function_calling_model=False,
        additional_kwargs={"num_predict": settings.llm_max_tokens},
    )


def _build_fake(settings: Settings, notify: Notify) -> LLM:
    from newsdesk.llm_fake import FakeLLM

    if settings.fake_llm_script is None:
        return FakeLLM()
    return FakeLLM.from_file(settings.fake_llm_script)


_LLAMA_CPP_ONE_WORD = (("max_tokens", 1), ("logprobs", True), ("top_logprobs", TOP_LOGPROBS))

BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("local", lambda _s: LOCAL_LABEL, _build_local, _LLAMA_CPP_ONE_WORD),
        Backend("tiny", lambda _s: TINY_LABEL, _build_tiny, _LLAMA_CPP_ONE_WORD),
        # max_tokens is not passed: OpenAILike sends its own (llm_max_tokens) over any given.
        Backend(
            "openai", lambda s: s.openai_model, _build_openai, (("logprobs", True), ("top_logprobs", TOP_LOGPROBS)), hosted=True
        ),
        Backend("ollama", lambda s: s.ollama_model, _build_ollama, hosted=True),
        Backend("fake", lambda _s: "fake", _build_fake),
    )
}


def _require(module: str, how: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise LLMError(f"the {module} package is not installed - {how}")


def _notify_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
