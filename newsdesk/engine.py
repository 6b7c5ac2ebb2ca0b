"""The answer engine: condense -> hybrid retrieve -> pick sentences -> LLM -> verify -> Answer."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from newsdesk.answer import Answer, Retrieved
from newsdesk.context import candidates_from_chunks, format_context, select_sentences
from newsdesk.verify import abstention, build_answer
from prompts import render

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from index.retrieve import SearchFilters
    from newsdesk.settings import Settings

# Below this idf-weighted share of the question's terms in any sentence, nothing relevant
# was retrieved and the LLM is not asked at all. Measured on MultiHop-RAG dev (262
# questions): 0.08 skips the LLM for 33 of 41 unanswerable questions and 24 of 221
# answerable ones; 0.10 skipped all 41 but also 55 answerable (long multi-clause questions
# spread their terms over several sentences).
MIN_OVERLAP = 0.08
NO_INDEX = "no articles indexed yet - run `newsdesk ingest PATH`"


class EngineError(Exception):
    """A problem the user can fix (no index, LLM unreachable...); one line."""


@dataclass
class Turn:
    """One exchange of a conversation, for follow-up questions."""

    question: str
    answer: str


def _messages(pairs: list[tuple[str, str]]):
    from llama_index.core.llms import ChatMessage, MessageRole

    roles = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}
    return [ChatMessage(role=roles[role], content=content) for role, content in pairs]


class AnswerEngine:
    """Answers questions over one index with one LLM; build once, ask many times."""

    def __init__(
        self,
        settings: Settings,
        *,
        llm: LLM | None = None,
        retriever: Any | None = None,
        store: Any | None = None,
    ) -> None:
        from index.store import IndexStore, NoIndexError
        from newsdesk.llms import llm_label, make_llm

        self.settings = settings
        try:
            self.store = store or IndexStore(settings, create=False)
        except NoIndexError:
            raise EngineError(NO_INDEX) from None
        if store is None:
            self.settings = self.store.settings  # carries the index's own embedder
        self._llm = llm
        self._retriever = retriever
        self.llm_name = llm_label(settings)
        self._warm = False
        self._make_llm = make_llm

    # -- parts built lazily, so `ask` on an empty index fails fast -----------------

    @property
    def llm(self) -> LLM:
        """The LLM, built on first use."""
        if self._llm is None:
            self._llm = self._make_llm(self.settings)
        return self._llm

    @property
    def retriever(self):
        """The hybrid retriever, built on first use."""
        if self._retriever is None:
            from index.retrieve import HybridRetriever
            from newsdesk.embedding import make_embedder

            self.store.require_embedder(self.settings.embedder)  # before loading the wrong model
            self._retriever = HybridRetriever(self.store, make_embedder(self.settings), self.settings)
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
            from newsdesk.llms import LLMError

            try:
                prefill(_messages(render("answer", articles="", question="")))
            except LLMError as exc:
                raise EngineError(str(exc)) from None
        self._warm = True
        return round((time.perf_counter() - t0) * 1000)

    def article_count(self) -> int:
        """How many articles the index holds."""
        return self.store.stats().articles

    # -- the flow --------------------------------------------------------------------

    def condense(self, question: str, history: Sequence[Turn]) -> str:
        """Rewrite a follow-up into a standalone question using the conversation."""
        if not history:
            return question
        convo = "\n".join(f"User: {t.question}\nAssistant: {t.answer}" for t in history[-3:])
        reply = self._chat(render("condense", history=convo, question=question))
        rewritten = " ".join(reply.strip().splitlines()[0].split()) if reply.strip() else ""
        # A tiny model may ramble; a rewrite must still look like a question.
        if not rewritten or len(rewritten) > 3 * len(question) + 200:
            return f"{history[-1].question} {question}"
        return rewritten

    def stream(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the reply's text as it is generated, then the verified Answer last."""
        question = " ".join(question.split())
        if not question:
            raise EngineError("the question is empty - type a question")
        if self.store.manifest.count() == 0:
            raise EngineError(NO_INDEX)

        # Loading models is a one-off cost: report it apart from the answer's own timings.
        load_ms = 0 if self._warm else self.warm_up()
        started = time.perf_counter()
        standalone = self.condense(question, history)
        t0 = time.perf_counter()
        nodes = self.retriever.search(standalone, filters=filters, top_k=self.settings.top_k)
        retrieve_ms = (time.perf_counter() - t0) * 1000
        retrieved = [
            Retrieved(
                doc_id=n.node.metadata.get("doc_id", ""),
                title=n.node.metadata.get("title", ""),
                score=round(float(n.score or 0.0), 4),
                text=n.node.get_content(),
            )
            for n in nodes
        ]
        candidates = candidates_from_chunks((n.node.get_content(), n.node.metadata) for n in nodes)
        shown = select_sentences(standalone, candidates)

        timings: dict[str, int] = {"retrieve_ms": round(retrieve_ms)}
        if load_ms:
            timings["load_ms"] = load_ms
        if not shown or max(c.overlap for c in shown) < MIN_OVERLAP:
            answer = abstention(question)
            reply = ""
        else:
            messages = render("answer", articles=format_context(shown), question=standalone)
            t1 = time.perf_counter()
            parts: list[str] = []
            for delta in self._stream_chat(messages):
                if not parts:
                    timings["first_token_ms"] = round((time.perf_counter() - t1) * 1000)
                parts.append(delta)
                yield delta
            timings["generate_ms"] = round((time.perf_counter() - t1) * 1000)
            reply = "".join(parts)
            answer = build_answer(question, reply, shown)
        timings["total_ms"] = round((time.perf_counter() - started) * 1000)
        answer.question = question
        answer.retrieved = retrieved
        answer.timings = timings
        answer.llm = self.llm_name
        yield answer

    def ask(
        self,
        question: str,
        *,
        history: Sequence[Turn] = (),
        filters: SearchFilters | None = None,
    ) -> Answer:
        """The verified Answer to `question` (no streaming)."""
        result = None
        for item in self.stream(question, history=history, filters=filters):
            result = item
        assert isinstance(result, Answer)
        return result

    # -- LLM calls, with backend errors turned into one line -----------------------

    def _stream_chat(self, pairs: list[tuple[str, str]]) -> Iterator[str]:
        from newsdesk.llms import LLMError, describe_llm_error

        try:
            for chunk in self.llm.stream_chat(_messages(pairs)):
                if chunk.delta:
                    yield chunk.delta
        except LLMError as exc:
            raise EngineError(str(exc)) from None
        except Exception as exc:  # backends raise many types; name the setting to fix
            raise EngineError(str(describe_llm_error(exc, self.settings))) from None

    def _chat(self, pairs: list[tuple[str, str]]) -> str:
        return "".join(self._stream_chat(pairs))


def as_query_engine(engine: AnswerEngine):
    """A LlamaIndex query engine over `engine`: `.query(q)` gives a Response whose
    `metadata["answer"]` is the Answer dict and whose source nodes are the retrieved chunks."""
    from llama_index.core.base.response.schema import Response
    from llama_index.core.query_engine import CustomQueryEngine
    from llama_index.core.schema import NodeWithScore, TextNode

    class NewsdeskQueryEngine(CustomQueryEngine):
        """Verified, sentence-cited answers as a LlamaIndex query engine."""

        def custom_query(self, query_str: str) -> Response:
            answer = engine.ask(query_str)
            nodes = [
                NodeWithScore(node=TextNode(text=r.text, metadata={"doc_id": r.doc_id, "title": r.title}), score=r.score)
                for r in answer.retrieved
            ]
            return Response(response=answer.answer, source_nodes=nodes, metadata={"answer": answer.to_dict()})

    return NewsdeskQueryEngine()
