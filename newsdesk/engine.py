"""The answer engine: condense -> hybrid retrieve -> pick sentences -> LLM -> verify -> Answer.

Three public steps, composed by `stream` and `ask` and usable one by one (eval's
multiple-choice call reuses `context`):

    ctx = engine.context(question, history=..., filters=...)   # search + sentence selection
    for delta in engine.generate(ctx): ...                     # the LLM's reply, streamed
    answer = engine.verify(ctx, reply)                         # the Answer, built once

`stream` yields, in order: one `Shown` (newsdesk.answer) holding the evidence - the
sentences the LLM is shown, as `Evidence` numbered from 1 exactly as the prompt numbers
them, so the answer's [n] markers point into it - as soon as search and sentence
selection are done and before any LLM token; then the reply's text deltas (str), the
draft; then the verified `Answer` last. Its markers keep the evidence numbers (they may
skip numbers), and `Answer.evidence` is the same list.

A yes/no question (with `settings.verdicts`) takes a shorter road inside `generate`: the
LLM picks Yes, No or Insufficient in one token (`prompts/verdict.txt`), the verdict is
decided from the options' probabilities (`newsdesk.verdicts`), and the reply is the
verdict followed by the sentence of each article involved - verified like any reply.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from index.errors import NewsdeskError
from index.hits import Hit, SearchFilters
from index.retrieve import HybridRetriever
from index.store import IndexStore, NoIndexError
from newsdesk.answer import Answer, Evidence, Retrieved, Shown
from newsdesk.components import embedder_for, open_store
from newsdesk.context import Candidate, candidates_from_hits, format_context, needs_history, select_sentences
from newsdesk.llm_errors import LLMError
from newsdesk.llms import describe_llm_error, llm_label, make_llm, one_word_kwargs
from newsdesk.settings import Settings
from newsdesk.sides import (
    DAY_FLOOR,
    SIDE_FLOOR,
    SIDE_TOP_K,
    Side,
    admits,
    asks_order,
    involved_articles,
    missing_fact,
    missing_sides,
    order_fact,
    question_sides,
)
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
    missing: list[str] = field(default_factory=list)  # named sides no article was found for ("from The Verge")

    @property
    def relevant(self) -> bool:
        """False when no shown sentence is about the question: then the LLM is not asked."""
        return bool(self.shown) and max(c.overlap for c in self.shown) >= MIN_OVERLAP

    def evidence(self) -> list[Evidence]:
        """The shown sentences as Evidence, numbered from 1 as `format_context` numbers them."""
        return [
            Evidence(n, c.doc_id, c.title, c.source, c.published_at, c.url, c.text, c.start, c.end, c.computed)
            for n, c in enumerate(self.shown, start=1)
        ]

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


def answer_prefix() -> list:
    """The answer prompt's messages with no articles and no question: the fixed start of
    every answer prompt, which the local LLM runs once and keeps cached."""
    return _messages(render("answer", articles="", question=""))


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
        self._warm = False  # the LLM is loaded and its prompt prefix cached
        self._search_warm = False
        # A hosted LLM answers several questions at once: the parts are built once, by one of them.
        self._building = threading.RLock()

    # -- parts built lazily, so `ask` on an empty index fails fast -----------------

    @property
    def llm(self) -> LLM:
        """The LLM, built on first use."""
        with self._building:
            if self._llm is None:
                self._llm = make_llm(self.settings)
            return self._llm

    @property
    def retriever(self) -> HybridRetriever:
        """The hybrid retriever, built on first use."""
        with self._building:
            if self._retriever is None:
                self.store.require_embedder(self.store.embedder)  # before loading the wrong model
                embedder = embedder_for(self.store, self.settings)
                self._retriever = HybridRetriever(self.store, embedder, top_k=self.settings.top_k)
            return self._retriever

    def warm_up(self) -> int:
        """Load the embedder, keyword index and LLM now; returns the milliseconds it took."""
        t0 = time.perf_counter()
        self._search_ready()
        self._llm_ready()
        return _ms(t0)

    def _search_ready(self) -> int:
        """Load the embedder and keyword index if not yet loaded; the milliseconds it took (0 when loaded)."""
        if self._search_warm:
            return 0
        t0 = time.perf_counter()
        self.retriever.keyword.get()
        self._search_warm = True
        return _ms(t0)

    def _llm_ready(self) -> int:
        """Load the LLM and its cached prompt prefix if not yet done; the milliseconds it took.

        Called before the first generation, not before search, so the evidence is shown
        while the model loads rather than after.
        """
        t0 = time.perf_counter()
        with self._building:  # questions that come during a warm-up wait for it
            if self._warm:  # a question that waited for another warm-up
                return 0
            load = getattr(self.llm, "load", None)
            if callable(load):
                load()
            prefill = getattr(self.llm, "prefill", None)
            if callable(prefill):
                try:
                    prefill(answer_prefix())
                except LLMError as exc:
                    raise EngineError(str(exc)) from None
            self._warm = True
        return _ms(t0)

    def article_count(self) -> int:
        """How many articles the index holds."""
        return self.store.stats().articles

    # -- the steps -------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Rewrite a follow-up into a standalone question using the conversation (only
        when it leans on it, see `newsdesk.context.needs_history`)."""
        if not history or not needs_history(question):
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
        """Condense, search - once more per publisher or date the question names
        (newsdesk.sides) - pick the sentences to show, and add the computed fact lines
        (publication order, a named side not found) after them; loads the models on first use."""
        question = " ".join(question.split())
        if not question:
            raise EngineError("the question is empty - type a question")
        if self.store.is_empty():
            raise EngineError(NO_INDEX)
        # Loading models is a one-off cost: report it apart from the answer's own timings.
        load_ms = self._search_ready()
        started = time.perf_counter()
        standalone = self.condense(question, history)
        t0 = time.perf_counter()
        hits = self.retriever.search(standalone, filters=filters, top_k=self.settings.top_k)
        sources = self.retriever.keyword.get().sources
        sides = question_sides(standalone, sources, filters) if self.settings.evidence_sides else []
        side_docs = [self._side_docs(side, hits) for side in sides]  # (doc ids, sentence floor) per side
        timings = {"retrieve_ms": _ms(t0)}
        if load_ms:
            timings["load_ms"] = load_ms
        shown = select_sentences(standalone, candidates_from_hits(hits), sides=side_docs)
        missing = missing_sides(sides, side_docs, shown)
        # Computed facts go after the articles' sentences, so those keep their numbers.
        ordered = self.settings.order_facts and asks_order(standalone, sources)
        facts = [missing_fact(missing), order_fact(involved_articles(shown, side_docs)) if ordered else None]
        shown += [fact for fact in facts if fact is not None]
        yes_no = self.settings.verdicts and is_yes_no(standalone)
        timings["evidence_ms"] = _ms(started)  # what a user waits for before the evidence shows
        return Context(question, standalone, hits, shown, started, timings, yes_no=yes_no, missing=missing)

    def _side_docs(self, side: Side, hits: list[Hit]) -> tuple[set[str], float]:
        """Search one side a question names (newsdesk.sides) - on its day, else on any day -
        add the chunks found to `hits`; the doc ids of the hits on that side, and how much
        of the question a sentence of theirs must hold to be shown."""
        for filters in (side.filters, side.fallback):
            found = self.retriever.search(side.query, filters=filters, top_k=SIDE_TOP_K) if filters is not None else []
            if found:
                held = {h.chunk_id for h in hits}
                hits += [h for h in found if h.chunk_id not in held]
                # The main search may have found this side's best article already.
                docs = {h.doc_id for h in hits if admits(filters, h.source, h.published_ts)}
                return docs, DAY_FLOOR if filters is side.filters and side.dated else SIDE_FLOOR
        return set(), SIDE_FLOOR

    def generate(self, context: Context) -> Iterator[str]:
        """Stream the LLM's reply to the context's prompt; nothing when the context is not relevant.

        A yes/no question gets the verdict reply in one piece (see `read_verdict`), unless
        the LLM's one word named none of the options: then the answer prompt is streamed.
        """
        if not context.relevant:
            return
        load_ms = self._llm_ready()
        if load_ms:  # a one-off cost, kept out of the answer's own total
            context.timings["load_ms"] = context.timings.get("load_ms", 0) + load_ms
            context.started += load_ms / 1000
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
        complete = self.settings.complete_citations
        verdict = verify_reply(context.question, reply, context.shown, complete=complete) if context.relevant else abstention()
        timings = {**context.timings, "total_ms": _ms(context.started)}
        return Answer(
            question=context.question,
            answer=verdict.answer,
            abstained=verdict.abstained,
            citations=verdict.citations,
            retrieved=[Retrieved(h.doc_id, h.title, round(h.score, 4), h.text) for h in context.hits],
            timings=timings,
            llm=self.llm_name,
            evidence=context.evidence(),
        )

    # -- the steps composed ------------------------------------------------------------

    def stream(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
    ) -> Iterator[Shown | str | Answer]:
        """Yield the evidence (`Shown`) first, then the reply's text as it is generated, then the verified Answer last."""
        ctx = self.context(question, history=history, filters=filters)
        yield Shown(ctx.evidence())
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
