"""The scripted fake LLM for tests: deterministic, streaming its reply word by word.

Importing this module imports llama_index (about 2.5 s); `newsdesk.llms` imports it only
when the fake backend is built.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback

from index.text import content_terms
from newsdesk.llm_errors import LLMError

_NUMBERED = re.compile(r"^\s*\[(\d+)\]\s+(\S.*?)\s*$", re.M)
_QUESTION = re.compile(r"^\s*question:\s*(.*?)\s*$", re.M | re.I)
_FOLLOW_UP = re.compile(r"^\s*follow-up question:\s*(.*?)\s*$", re.M | re.I)
_WORDS_AND_SPACE = re.compile(r"\S+\s*|\s+")
# The verdict prompt's last line (prompts/verdict.txt).
_VERDICT_ASK = re.compile(r"^\s*reply with one word: yes, no or insufficient\.?\s*$", re.M | re.I)


def default_fake_reply(prompt: str) -> str:
    """The fake LLM's built-in answer: copy the numbered sentence closest to the question.

    The question is the last "Question: ..." line; the candidates are the "[n] sentence"
    lines after the previous "Question:" line (so worked examples earlier in the prompt
    are skipped). The sentence sharing the most content words wins (ties: the first) and
    comes back as "Sentence [n]."; with no shared content word the reply is "INSUFFICIENT".
    A condense prompt (ending in "Follow-up question: ...") gets the follow-up back unchanged.
    A verdict prompt (ending in "Reply with one word: Yes, No or Insufficient.") gets "Yes"
    when a numbered sentence shares at least two of the question's content words, else
    "Insufficient" (a "No" needs a script).
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
    wanted = content_terms(question)
    best: tuple[int, str, str] | None = None
    for match in _NUMBERED.finditer(region):
        score = len(wanted & content_terms(match.group(2)))
        if score > 0 and (best is None or score > best[0]):
            best = (score, match.group(1), match.group(2))
    if _VERDICT_ASK.search(prompt[questions[-1].end() :] if questions else prompt):
        return "Yes" if best is not None and best[0] >= 2 else "Insufficient"
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
    An item {"delay": seconds} sets a pause before each streamed word, so a test can watch
    what the page shows before the first word. Every prompt received is appended to `prompts`.
    """

    script: list[Any] = Field(default_factory=list, description="Scripted replies and rules.")
    prompts: list[str] = Field(default_factory=list, exclude=True, description="Prompts received.")
    delay: float = Field(default=0.0, ge=0.0, description="Seconds before each streamed word.")

    _next: int = PrivateAttr(default=0)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    _rules: list[tuple[re.Pattern[str], str]] = PrivateAttr(default_factory=list)
    _replies: list[str] = PrivateAttr(default_factory=list)

    def __init__(self, script: list[Any] | None = None, **kwargs: Any) -> None:
        super().__init__(script=list(script or []), **kwargs)
        for i, item in enumerate(self.script):
            if isinstance(item, str):
                self._replies.append(item)
            elif isinstance(item, dict) and set(item) == {"delay"} and isinstance(item["delay"], (int, float)):
                self.delay = max(float(item["delay"]), 0.0)
            elif isinstance(item, dict) and isinstance(item.get("match"), str) and isinstance(item.get("reply"), str):
                try:
                    self._rules.append((re.compile(item["match"]), item["reply"]))
                except re.error as exc:
                    raise LLMError(f"fake LLM script item {i}: bad regex {item['match']!r} ({exc})") from None
            else:
                raise LLMError(
                    f'fake LLM script item {i} must be a string, {{"match": ..., "reply": ...}} or {{"delay": seconds}}'
                )

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
        """The name LlamaIndex records this LLM class under."""
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
                if self.delay:
                    time.sleep(self.delay)
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
                if self.delay:
                    time.sleep(self.delay)
                text += piece
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=piece)

        return gen()
