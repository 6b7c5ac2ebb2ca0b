"""The answer engine: condense -> hybrid retrieve -> pick sentences -> LLM -> verify -> Answer.

Three public steps, composed by `stream` and `ask` and usable one by one (eval's
multiple-choice call reuses `context`):

    ctx = engine.context(question, history=..., filters=...)   # search + sentence selection
    for delta in engine.generate(ctx): ...                     # the LLM's reply, streamed
    answer = engine.verify(ctx, reply)                         # the Answer, built once

A yes/no question (with `settings.verdicts`) takes a shorter road inside `generate`: the
LLM picks Yes, No or Insufficient in one token (`prompts/verdict.txt`), the verdict is
decided from the options' probabilities (`newsdesk.verdicts`), and the reply is the
verdict followed by the sentence of each article involved - verified like any reply.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from index.errors import NewsdeskError
from index.hits import Hit, SearchFilters
from index.retrieve import HybridRetriever
from index.store import IndexStore, NoIndexError
from newsdesk.answer import Answer, Retrieved
from newsdesk.components import embedder_for, open_store
from newsdesk.context import Candidate, candidates_from_hits, format_context, select_sentences
from newsdesk.llm_errors import LLMError
from newsdesk.llms import describe_llm_error, llm_label, make_llm, one_word_kwargs
from newsdesk.settings import Settings
from newsdesk.verdicts import Reading, compose_reply, first_token_alternatives, is_yes_no, read_logprobs, read_text
from newsdesk.verify import abstention, verify_reply
from prompts import render

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

# Below this idf-weighted share of the question's terms in any sentence, nothing relevant
# was retrieved and the LLM is not asked at all. Measured on MultiHop-RAG dev (262
# questions): 0.08 skips the LLM for 33 of 41 unanswerable questions and 24 of 221
# answerable ones; 0.10 skipped all 41 but also 55 answerable (long multi-clause questions
# spread their terms over several sentences).
MIN_OVERLAP = 0.08
NO_INDEX = "no articles indexed yet - run `newsdesk ingest PATH`"


class EngineError(NewsdeskError):
    """A problem the user can fix (no index, LLM unreachable...); one line."""


class _LogprobsRefused(Exception):
    """The backend refused a request for log-probabilities."""


@dataclass
class Turn:
    """One exchange of a conversation, for follow-up questions."""

    question: str
    answer: str


@dataclass
class Context:
    """What one question is answered from: the hits, and the numbered sentences the LLM sees."""

    question: str  # as asked, whitespace tidied
    standalone: str  # rewritten from the conversation, the one searched
    hits: list[Hit]
    shown: list[Candidate]
    started: float  # perf_counter() when answering began (after loading)
    timings: dict[str, int] = field(default_factory=dict)
    yes_no: bool = False  # answered by a verdict from probabilities (see newsdesk.verdicts)
    reading: Reading | None = None  # the verdict's option probabilities, once generated

    @property
    def relevant(self) -> bool:
        """False when no shown sentence is about the question: then the LLM is not asked."""
        return bool(self.shown) and max(c.overlap for c in self.shown) >= MIN_OVERLAP

    def prompt(self) -> list[tuple[str, str]]:
        """The answer prompt's (role, content) messages for this context."""
        return render("answer", articles=format_context(self.shown), question=self.standalone)

    def verdict_prompt(self) -> list[tuple[str, str]]:
        """The verdict prompt's (role, content) messages: the same sentences, one word asked."""
        return render("verdict", articles=format_context(self.shown), question=self.standalone)


def _messages(pairs: list[tuple[str, str]]):
    from llama_index.core.llms import ChatMessage, MessageRole

    roles = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}
    return [ChatMessage(role=roles[role], content=content) for role, content in pairs]


def _ms(since: float) -> int:
    return round((time.perf_counter() - since) * 1000)


class AnswerEngine:
    """Answers questions over one index with one LLM; build once, ask many times."""

    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLM | None = None,
        retriever: HybridRetriever | None = None,
        store: IndexStore | None = None,
    ) -> None:
        self.settings = settings
        try:
            self.store = store or open_store(settings)
        except NoIndexError:
            raise EngineError(NO_INDEX) from None
        self._llm = llm
        self._retriever = retriever
        self.llm_name = llm_label(settings)
        self._warm = False

    # -- parts built lazily, so `ask` on an empty index fails fast -----------------

    @property
    def llm(self) -> LLM:
        """The LLM, built on first use."""
        if self._llm is None:
            self._llm = make_llm(self.settings)
        return self._llm

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever, built on first use."""
        if self._retriever is None:
            self.store.require_embedder(self.store.embedder)  # before loading the wrong model
            embedder = embedder_for(self.store, self.settings)
            self._retriever = HybridRetriever(self.store, embedder, top_k=self.settings.top_k)
        return self._retriever

    def warm_up(self) -> int:
        """Load the embedder, keyword index and LLM now; returns the milliseconds it took."""
        t0 = time.perf_counter()
        self.retriever.keyword.get()
        load = getattr(self.llm, "load", None)
        if callable(load):
            load()
        prefill = getattr(self.llm, "prefill", None)
        if callable(prefill):
            try:
                prefill(_messages(render("answer", articles="", question="")))
            except LLMError as exc:
                raise EngineError(str(exc)) from None
        self._warm = True
        return _ms(t0)

    def article_count(self) -> int:
        """How many articles the index holds."""
        return self.store.stats().articles

    # -- the steps -------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Rewrite a follow-up into a standalone question using the conversation."""
        if not history:
            return question
        convo = "\n".join(f"User: {t.question}\nAssistant: {t.answer}" for t in history[-3:])
        reply = self.chat(render("condense", history=convo, question=question))
        rewritten = " ".join(reply.strip().splitlines()[0].split()) if reply.strip() else ""
        # A tiny model may ramble; a rewrite must still look like a question.
        if not rewritten or len(rewritten) > 3 * len(question) + 200:
            return f"{history[-1].question} {question}"
        return rewritten

    def context(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
    ) -> Context:
        """Condense, search and pick the sentences to show; loads the models on first use."""
        question = " ".join(question.split())
        if not question:
            raise EngineError("the question is empty - type a question")
        if self.store.is_empty():
            raise EngineError(NO_INDEX)
        # Loading models is a one-off cost: report it apart from the answer's own timings.
        load_ms = 0 if self._warm else self.warm_up()
        started = time.perf_counter()
        standalone = self.condense(question, history)
        t0 = time.perf_counter()
        hits = self.retriever.search(standalone, filters=filters, top_k=self.settings.top_k)
        timings = {"retrieve_ms": _ms(t0)}
        if load_ms:
            timings["load_ms"] = load_ms
        shown = select_sentences(standalone, candidates_from_hits(hits))
        yes_no = self.settings.verdicts and is_yes_no(standalone)
        return Context(question, standalone, hits, shown, started, timings, yes_no=yes_no)

    def generate(self, context: Context) -> Iterator[str]:
        """Stream the LLM's reply to the context's prompt; nothing when the context is not relevant.

        A yes/no question gets the verdict reply in one piece (see `read_verdict`), unless
        the LLM's one word named none of the options: then the answer prompt is streamed.
        """
        if not context.relevant:
            return
        t0 = time.perf_counter()
        if context.yes_no:
            context.reading = self.read_verdict(context)
            if context.reading is not None:
                context.timings["first_token_ms"] = _ms(t0)
                yield compose_reply(context.reading.decision(), context.standalone, context.shown)
                context.timings["generate_ms"] = _ms(t0)
                return
        for delta in self._stream_chat(context.prompt()):
            context.timings.setdefault("first_token_ms", _ms(t0))
            yield delta
        context.timings["generate_ms"] = _ms(t0)

    def verify(self, context: Context, reply: str) -> Answer:
        """The Answer: the reply's claims checked against the shown sentences, or an abstention."""
        verdict = verify_reply(context.question, reply, context.shown) if context.relevant else abstention()
        timings = {**context.timings, "total_ms": _ms(context.started)}
        return Answer(
            question=context.question,
            answer=verdict.answer,
            abstained=verdict.abstained,
            citations=verdict.citations,
            retrieved=[Retrieved(h.doc_id, h.title, round(h.score, 4), h.text) for h in context.hits],
            timings=timings,
            llm=self.llm_name,
        )

    # -- the steps composed ------------------------------------------------------------

    def stream(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the reply's text as it is generated, then the verified Answer last."""
        ctx = self.context(question, history=history, filters=filters)
        parts: list[str] = []
        for delta in self.generate(ctx):
            parts.append(delta)
            yield delta
        yield self.verify(ctx, "".join(parts))

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
    ) -> Answer:
        """The verified Answer to `question` (no streaming)."""
        ctx = self.context(question, history=history, filters=filters)
        return self.verify(ctx, "".join(self.generate(ctx)))

    def read_verdict(self, context: Context) -> Reading | None:
        """The probabilities of Yes, No and Insufficient for the context's question.

        Read from the first token's log-probabilities where the backend returns them, else
        from the word it wrote; None when neither names an option.
        """
        kwargs = one_word_kwargs(self.settings)
        try:
            response = self._chat_response(context.verdict_prompt(), **kwargs)
        except _LogprobsRefused:
            response = self._chat_response(context.verdict_prompt())
        reading = read_logprobs(first_token_alternatives(response.logprobs))
        return reading or read_text(response.message.content or "")

    # -- LLM calls, with backend errors turned into one line -----------------------

    def chat(self, pairs: list[tuple[str, str]], **kwargs: Any) -> str:
        """One whole LLM reply to (role, content) messages; backend errors become EngineError."""
        return "".join(self._stream_chat(pairs, **kwargs))

    def _chat_response(self, pairs: list[tuple[str, str]], **kwargs: Any) -> Any:
        try:
            return self.llm.chat(_messages(pairs), **kwargs)
        except LLMError as exc:
            raise EngineError(str(exc)) from None
        except Exception as exc:
            # An OpenAI-compatible server without log-probabilities may refuse the request
            # (HTTP 400): it is asked again without them, and its word is read instead.
            if kwargs.get("logprobs") and getattr(exc, "status_code", None) == 400:
                raise _LogprobsRefused from exc
            raise EngineError(str(describe_llm_error(exc, self.settings))) from None

    def _stream_chat(self, pairs: list[tuple[str, str]], **kwargs: Any) -> Iterator[str]:
        try:
            for chunk in self.llm.stream_chat(_messages(pairs), **kwargs):
                if chunk.delta:
                    yield chunk.delta
        except LLMError as exc:
            raise EngineError(str(exc)) from None
        except Exception as exc:  # backends raise many types; name the setting to fix
            raise EngineError(str(describe_llm_error(exc, self.settings))) from None
