"""The chat window's handlers, called directly: streaming, citations, filters, uploads, escaping."""

from __future__ import annotations

import html
import json

import pytest

from app import render
from app.desk import Desk, Filters, Session, safe_name
from app.server import ServeError, parse_auth
from index.errors import UsageError
from newsdesk.articles import overview, passage_in
from newsdesk.engine import AnswerEngine
from newsdesk.llm_fake import FakeLLM
from newsdesk.settings import load_settings

STRAYER = "Who led the US delegation that held minerals talks in Islamabad?"
# One JSONL article whose every field tries to run something (JSONL keeps the text raw).
EVIL = json.dumps(
    {
        "title": "Graphite <script>window.__pwned=1</script> quota <img src=x onerror=window.__pwned=2>",
        "source": "Evil <b>Times</b>",
        "url": "javascript:alert(1)",
        "published_at": "2025-11-20",
        "body": "The Zanzibar Graphite Board set a graphite quota of 18,125 tonnes "
        "<script>window.__pwned=3</script> for 2026. Traders said <img src=x onerror=window.__pwned=4> "
        "prices ${alert(5)} jumped after the quota. "
        # Plain sentences around the payloads, so the article reads as text to ingest's quality gate.
        "The board met in Stone Town on Monday to review mining licences across the islands. "
        "Officials said exports to buyers in Asia would continue through the main port. "
        "Farmers in the region also grow cloves and other spices for export markets. "
        "The finance ministry welcomed the decision and promised new roads to the mines.",
    }
) + "\n"


def _desk(settings, script=None):
    llm = FakeLLM(script=script or [])
    return Desk(settings, engine=AnswerEngine(settings, llm=llm)), llm


def _run(desk, question, session=None, filters=None):
    session = session or Session()
    steps = [s.messages[-1]["content"] for s in desk.respond(question, session, filters or Filters())]
    return session, steps


def test_answer_streams_then_becomes_footnote_links(sample_settings):
    desk, _ = _desk(sample_settings)
    session, steps = _run(desk, STRAYER)
    assert len(steps) > 3 and all("nd-streaming" in s for s in steps[:-1])
    assert "Strayer" in steps[-2]  # the text was visible before the answer was complete
    final = steps[-1]
    answer = session.answers[1]
    n = answer["citations"][0]["n"]  # the evidence number of the cited sentence
    assert "nd-streaming" not in final and 'class="nd-cite"' in final and f'href="#nd-cite-1-{n}"' in final
    assert session.messages[0]["role"] == "user" and session.messages[1]["role"] == "assistant"
    assert answer["citations"] and answer["citations"][0]["title"] in html.unescape(final)
    assert session.turns == [(STRAYER, answer["answer"])]


def test_evidence_comes_before_the_first_token_and_the_change_line_after_the_answer(sample_settings):
    script = [{"match": "Question: Who led", "reply": "Robert Louis Strayer II led the US side [1]. The talks were on the moon [3]."}]
    desk, _ = _desk(sample_settings, script)
    session = Session()
    seen = []  # (evidence known, draft text so far, answered) at each yield
    for state in desk.respond(STRAYER, session, Filters()):
        seen.append((1 in state.evidence, "Strayer" in state.messages[-1]["content"], 1 in state.answers, state.streaming))
    first = next(i for i, step in enumerate(seen) if step[0])
    assert not seen[first][1] and not seen[first][2] and seen[first][3]  # evidence alone, still streaming
    assert any(step[1] for step in seen[first + 1 : -1])  # then the draft
    evidence = session.evidence[1]
    assert [e["n"] for e in evidence] == list(range(1, len(evidence) + 1))
    assert set(evidence[0]) == {"n", "doc_id", "title", "source", "published_at", "url", "sentence", "start", "end", "computed"}
    answer = session.answers[1]
    assert answer["evidence"] == evidence
    for c in answer["citations"]:  # markers keep the evidence numbers
        assert evidence[c["n"] - 1]["sentence"] == c["sentence"]
    assert session.changes[1].startswith("checked: ")
    assert 'class="nd-change"' in session.messages[1]["content"]  # said in the chat, not silently replaced
    # An answer the check leaves alone has no change line.
    desk, _ = _desk(sample_settings)
    session, _ = _run(desk, STRAYER)
    assert 1 in session.evidence and 1 not in session.changes


def test_sources_panel_highlights_the_sentence_in_its_paragraph(sample_settings):
    desk, _ = _desk(sample_settings)
    session, _ = _run(desk, "What did Strayer say keeps investors away?")
    panel = desk.sources(session)
    cited = session.answers[1]["citations"][0]
    assert f'<mark class="nd-highlight">{render.esc(cited["sentence"])}</mark>' in panel
    assert "Daily Times" in panel and "2025-10-31" in panel and 'href="https://example.com/dailytimes' in panel
    assert "Retrieved but not cited" in panel and "<details" in panel  # collapsed
    ((label, value),) = desk.source_choices(session)
    assert label.startswith(f"[{cited['n']}] \u201c{cited['sentence'][:20]}") and cited["title"] in label
    assert value == f"1:{cited['n']}"
    assert desk.pick(session, f"1:{cited['n']}:123") == panel


def test_each_message_keeps_its_own_citations(sample_settings):
    desk, _ = _desk(sample_settings)
    session, _ = _run(desk, STRAYER)
    first = session.messages[1]["content"]
    _run(desk, "How much did antimony prices rise?", session)
    assert session.messages[1]["content"] == first  # earlier message untouched
    assert session.shown == 3 and "#nd-cite-3-1" in session.messages[3]["content"]
    # Choosing a marker of the first answer shows the first answer's sources.
    panel = desk.pick(session, "1:1")
    assert "Strayer" in panel and session.shown == 1
    assert "antimony" not in panel.split("Retrieved but not cited")[0].lower()


def test_follow_up_uses_the_conversation_and_new_chat_forgets_it(sample_settings):
    desk, llm = _desk(sample_settings, [{"match": "Follow-up question", "reply": "Who heads the Critical Minerals Forum?"}])
    session, _ = _run(desk, STRAYER)
    _run(desk, "What does he head?", session)
    assert any("Follow-up question" in p and STRAYER in p for p in llm.prompts)
    assert "Critical Minerals Forum" in session.answers[3]["answer"]
    fresh = desk.new_chat()
    assert fresh.messages == [] and fresh.turns == [] and fresh.answers == {}
    n = len(llm.prompts)
    _run(desk, "What does he head?", fresh)
    assert not any("Follow-up question" in p for p in llm.prompts[n:])


def test_abstention_looks_like_one_not_like_an_error(sample_settings):
    desk, _ = _desk(sample_settings)
    session, steps = _run(desk, "zebra xylophone quantum?")
    assert "nd-abstain" in steps[-1] and "nd-error" not in steps[-1]
    assert "The articles don&#x27;t say." in steps[-1] and "nd-cite" not in steps[-1]


def test_errors_are_one_line_in_the_chat(tmp_path, sample_settings):
    empty = load_settings(None, index=tmp_path / "none", embedder="fake", llm="fake")
    session, steps = _run(Desk(empty), STRAYER)
    assert "nd-error" in steps[-1] and "no articles indexed yet" in steps[-1] and "Traceback" not in steps[-1]
    desk, _ = _desk(sample_settings)
    _, steps = _run(desk, STRAYER, filters=Filters(since="2025-12-01", until="2025-01-01"))
    assert "nd-error" in steps[-1] and "date range is empty" in steps[-1]
    _, steps = _run(desk, STRAYER, filters=Filters(since="last week"))
    assert "nd-error" in steps[-1] and "YYYY-MM-DD" in steps[-1]

    class Broken:
        def stream(self, *a, **k):
            raise RuntimeError("boom\nTraceback (most recent call last)")
            yield  # pragma: no cover

    broken = Desk(sample_settings, engine=Broken())
    _, steps = _run(broken, STRAYER)
    assert "nd-error" in steps[-1] and "RuntimeError" in steps[-1] and "boom" not in steps[-1]


def test_filters_reach_retrieval(sample_settings):
    desk, _ = _desk(sample_settings)
    choices = desk.publisher_choices()
    assert ("Daily Times (1)", "Daily Times") in choices
    assert all(value and not value.startswith("(") for _, value in choices)  # no "(unknown)" choice
    session, _ = _run(desk, "copper prices", filters=Filters(sources=["Daily Times"]))
    answer = session.answers[1]
    assert answer["retrieved"] and all(
        r["doc_id"] == answer["retrieved"][0]["doc_id"] for r in answer["retrieved"]
    )
    session, _ = _run(desk, STRAYER, filters=Filters(since="2026-01-01"))
    assert session.answers[1]["abstained"]


def test_ask_api_returns_the_answer_contract(sample_settings):
    desk, _ = _desk(sample_settings)
    data = desk.ask(STRAYER)
    assert list(data) == ["question", "answer", "abstained", "citations", "retrieved", "timings", "llm", "evidence"]
    json.dumps(data)
    store = desk.engine().store
    for c in data["citations"]:
        assert store.article(c["doc_id"]).text[c["start"] : c["end"]] == c["sentence"]
    with pytest.raises(UsageError, match="^sources: no articles from 'No Such Publisher' in the index - known: "):
        desk.ask(STRAYER, sources=["No Such Publisher"])
    assert desk.ask(STRAYER, sources=["daily times"])["citations"][0]["source"] == "Daily Times"


def test_question_length_is_limited_before_the_engine(sample_settings):
    class Untouchable:
        def stream(self, *a, **k):
            raise AssertionError("the engine was asked")

        ask = stream

    desk = Desk(sample_settings, engine=Untouchable())
    long = "why " * 600
    with pytest.raises(UsageError, match="2,400 characters long - ask in at most 2,000"):
        desk.ask(long)
    session, steps = _run(desk, long)
    assert "nd-error" in steps[-1] and "at most 2,000" in steps[-1]
    assert len(session.messages[0]["content"]) < 3000  # the question is shown cut, not whole


def test_unknown_publisher_in_the_chat_is_one_line(sample_settings):
    desk, _ = _desk(sample_settings)
    _, steps = _run(desk, STRAYER, filters=Filters(sources=["Foo Gazette"]))
    assert "nd-error" in steps[-1] and "publishers: no articles from &#x27;Foo Gazette&#x27;" in steps[-1]


def test_header_names_the_llm_and_counts_articles(sample_settings):
    desk, _ = _desk(sample_settings)
    n = overview(sample_settings).articles
    assert n > 5 and f"{n} articles indexed" in desk.header() and "fake" in desk.header()


def test_header_says_loading_until_the_warm_up_ends(sample_settings, monkeypatch):
    import threading

    desk, _ = _desk(sample_settings)
    assert "nd-status" not in desk.header()  # no warm-up asked for: no state shown
    engine, release = desk.engine(), threading.Event()
    real = engine.warm_up
    monkeypatch.setattr(engine, "warm_up", lambda: release.wait(10) and real())
    thread = desk.start_warm_up()
    assert "loading models..." in desk.header()
    release.set()
    thread.join(10)
    assert desk.status == "ready" and "nd-status-ready" in desk.header()


def test_failed_warm_up_leaves_the_models_to_the_first_question(tmp_path):
    desk = Desk(load_settings(None, index=tmp_path / "none", embedder="fake", llm="fake"))
    desk.start_warm_up().join(10)
    assert desk.status == "cold" and "models load on the first question" in desk.header()


def test_upload_indexes_files_and_reports_failures(tmp_path):
    settings = load_settings(None, index=tmp_path / "index", embedder="fake", llm="fake")
    desk = Desk(settings)
    good = tmp_path / "graphite.jsonl"
    good.write_text(EVIL, encoding="utf-8")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    calls = []
    report = desk.add_files([str(good), str(exe), str(empty)], lambda f, d: calls.append((f, d)))
    assert report.startswith("added 1,") and "failed 1" in report
    assert "failed  tool.exe: unsupported file type" in report
    assert "empty.txt:" in report and calls and calls[-1][0] == 1.0
    assert all(p.parent == desk.upload_dir() for p in desk.upload_dir().iterdir())
    # The new article answers the next question.
    session, steps = _run(desk, "What graphite quota did the Zanzibar Graphite Board set?")
    assert not session.answers[1]["abstained"] and "18,125" in session.answers[1]["answer"]
    assert "<script" not in steps[-1] and "<img" not in steps[-1]
    panel = desk.sources(session)
    assert "<script" not in panel and "<img" not in panel and "&lt;script&gt;" in panel
    assert "javascript:" not in panel.split("nd-sources-q")[1]


def test_upload_needs_a_signed_in_user_when_the_server_has_a_login(tmp_path):
    settings = load_settings(None, index=tmp_path / "index", embedder="fake", llm="fake")
    good = tmp_path / "graphite.jsonl"
    good.write_text(EVIL, encoding="utf-8")
    desk = Desk(settings, login_required=True)
    assert desk.add_files([str(good)], user=None).startswith("refused")
    assert overview(settings).articles == 0 and not desk.upload_dir().exists()
    assert desk.add_files([str(good)], user="ann").startswith("added 1")


def test_upload_size_limit_and_names(tmp_path):
    settings = load_settings(None, index=tmp_path / "index", embedder="fake", llm="fake", upload_max_mb=1)
    big = tmp_path / "big.txt"
    big.write_text("Title\n\n" + "word " * 300_000, encoding="utf-8")
    assert "larger than 1 MB" in Desk(settings).add_files([str(big)])
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\..\\x.md") == "x.md"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("a b/<c>.md") == "_c_.md"


def test_render_escapes_everything_from_articles():
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    answer = {
        "question": evil,
        "answer": f"{evil} claim [1].",
        "abstained": False,
        "citations": [
            {"n": 1, "doc_id": "d", "title": evil, "source": evil, "published_at": "2025-01-01",
             "url": "javascript:alert(3)", "sentence": evil, "start": 0, "end": 5, "supported": True}
        ],
        "retrieved": [{"doc_id": "other", "title": evil, "score": 0.1, "text": evil}],
    }
    from newsdesk.articles import Passage

    for out in (
        render.answer_message(answer, 1),
        render.sources_panel(answer, 1, Passage(evil, evil, evil)),
        render.user_message(evil),
        render.streaming_message(evil),
        render.error_message(evil),
        render.evidence_panel(answer["citations"], 1),
        render.answer_message(answer, 1, change=evil),
        render.with_change(render.answer_message(answer, 1), evil),
    ):
        assert "<script" not in out and "<img" not in out and 'href="javascript' not in out
        assert "&lt;script&gt;" in out
    assert render.safe_url("javascript:alert(1)") == "" and render.safe_url("data:text/html,x") == ""
    assert render.safe_url("https://example.com/a") == "https://example.com/a"
    assert "\n\n" not in render.answer_message({**answer, "answer": "a\n\n# b [1]"}, 1)


def test_passage_is_the_line_around_the_sentence():
    text = "Title\n\nFirst one. Second one. Third.\n\nNext paragraph."
    start = text.index("Second")
    p = passage_in(text, start, start + len("Second one."))
    assert (p.before, p.sentence, p.after) == ("First one. ", "Second one.", " Third.")


def test_parse_auth():
    assert parse_auth("ann:secret:x") == ("ann", "secret:x")
    assert parse_auth(None) is None
    with pytest.raises(ServeError):
        parse_auth("nopassword")
