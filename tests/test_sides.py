"""Evidence per publisher and date, and the publication order as a citable fact line
(newsdesk.sides, select_sentences' sides, AnswerEngine.context), with the fake LLM."""

from __future__ import annotations

from datetime import date

import pytest

from index.embedders import FakeEmbedder
from index.hits import SearchFilters
from newsdesk.articles import add_articles, paragraph
from newsdesk.context import Candidate, format_context, select_sentences
from newsdesk.engine import AnswerEngine
from newsdesk.llm_fake import FakeLLM
from newsdesk.settings import load_settings
from newsdesk.sides import (
    ORDER_SOURCE,
    asks_order,
    missing_fact,
    named_sources,
    order_fact,
    question_sides,
)
from newsdesk.verify import verify_reply

SOURCES = ["The Verge", "TechCrunch", "Wired", "Sporting News", "FOX News - Health", "FOX News - Lifestyle"]


def _cand(doc: str, text: str, source: str = "", day: str = "", **kw) -> Candidate:
    return Candidate(doc, f"Title {doc}", source, day, "", 0, len(text), text, **kw)


# -- what a question names ---------------------------------------------------------------


def test_named_sources_keeps_a_section_named_in_full():
    assert named_sources("Did FOX News - Health and The Verge report it?", SOURCES) == {"The Verge": 1, "FOX News - Health": 1}
    assert named_sources("Did the TechCrunch report and the TechCrunch story agree?", SOURCES) == {"TechCrunch": 2}


def test_two_publishers_make_two_sides_each_searched_without_the_others_clause():
    sides = question_sides("Did The Verge say Google paid Apple billions, while TechCrunch reported a class action lawsuit by news publishers?", SOURCES)
    assert [(s.label, s.filters.sources) for s in sides] == [("from The Verge", ("The Verge",)), ("from TechCrunch", ("TechCrunch",))]
    assert "lawsuit" not in sides[0].query and "Apple" not in sides[1].query


def test_one_publisher_on_two_days_makes_two_dated_sides_with_a_fallback():
    q = ("Between the Sporting News report on betting odds published on October 7, 2023, and the "
         "Sporting News report on prop bets published on October 12, 2023, did the advice change?")
    sides = question_sides(q, SOURCES)
    assert [s.label for s in sides] == ["from Sporting News published on 2023-10-07", "from Sporting News published on 2023-10-12"]
    assert sides[0].filters == SearchFilters(since=date(2023, 10, 7), until=date(2023, 10, 7), sources=("Sporting News",))
    assert sides[0].fallback == SearchFilters(sources=("Sporting News",)) and sides[0].dated


def test_a_question_naming_one_side_or_none_has_no_sides():
    assert question_sides("Did The Verge report that Google paid Apple?", SOURCES) == []
    assert question_sides("Who led the US delegation?", SOURCES) == []


def test_user_filters_narrow_the_sides():
    q = "Did The Verge say Google paid Apple billions, while TechCrunch reported a lawsuit by publishers?"
    verge, crunch = question_sides(q, SOURCES, SearchFilters(sources=("TechCrunch",), since=date(2023, 10, 1)))
    assert verge.filters is None  # the user's filters leave The Verge nothing: reported missing
    assert crunch.filters == SearchFilters(since=date(2023, 10, 1), sources=("TechCrunch",))


# -- order in time -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Did Wired report on the chip before TechCrunch mentioned the deal?", True),
        ("Was the Sporting News report published later than the Wired one?", True),
        ("Did its earlier report on November 1, 2023 say the same?", True),
        ("Who, before the collapse of FTX, was seen as trustworthy?", False),
        ("Which club was eliminated after a loss at home to Bayern?", False),
        ("What did The Verge say about Google?", False),
    ],
)
def test_asks_order(question, expected):
    assert asks_order(question, SOURCES) is expected


def test_order_fact_states_the_publication_order_from_the_dates():
    fact = order_fact([
        _cand("b", "B said so.", "TechCrunch", "2023-10-05"),
        _cand("a", "A said so.", "The Verge", "2023-10-02T09:00:00"),
        _cand("c", "C said so.", "Wired", "2023-10-05"),
        _cand("d", "D has no date.", "Wired", ""),
    ])
    assert fact.computed and fact.doc_id == "" and fact.source == ORDER_SOURCE and fact.start == fact.end == 0
    assert fact.text == (
        "Publication order of the articles: The Verge article of 2023-10-02 was published before the TechCrunch "
        "article of 2023-10-05; the TechCrunch article of 2023-10-05 and the Wired article of 2023-10-05 were "
        "published on the same day."
    )
    assert order_fact([_cand("a", "A.", "Wired", "2023-10-02"), _cand("a", "A again.", "Wired", "2023-10-02")]) is None


def test_fact_lines_get_their_own_header_and_numbers_after_the_articles():
    shown = [_cand("a", "Copper rose.", "Metals Daily", "2024-03-02"), missing_fact(["from Wired"])]
    text = format_context(shown)
    assert "[1] Copper rose." in text
    assert "## Search - newsdesk (from the search)\n[2] The search found no article from Wired about this question." in text


# -- sentence selection keeps each side ---------------------------------------------------


def test_select_sentences_keeps_the_best_sentence_of_each_side():
    cands = [
        _cand("a", "Copper prices rose on the strike at the Andina mine.", chunk_rank=0),
        _cand("a", "Copper prices rose again on the Andina strike news.", chunk_rank=0),
        _cand("b", "Copper traders in London watched the Andina strike.", chunk_rank=1),
        _cand("c", "The union at Andina met the ministry.", chunk_rank=9),
    ]
    q = "Why did copper prices rise after the Andina strike?"
    plain = select_sentences(q, [*cands], max_sentences=2, min_articles=1)
    assert "c" not in {c.doc_id for c in plain}
    kept = select_sentences(q, [*cands], max_sentences=2, min_articles=1, sides=[({"c"}, 0.0)])
    assert "c" in {c.doc_id for c in kept}
    # A side whose sentences hold nothing of the question is not forced in.
    off_topic = [*cands[:3], _cand("d", "Weather was mild on the coast.", chunk_rank=9)]
    assert "d" not in {c.doc_id for c in select_sentences(q, off_topic, max_sentences=2, min_articles=1, sides=[({"d"}, 0.0)])}


def test_an_order_fact_cited_by_the_answer_is_verified_as_supported():
    q = "Was the Metals Daily article published before the Mining Weekly article?"
    shown = [
        _cand("a", "Copper rose 3% on Monday after a strike closed the Andina mine.", "Metals Daily", "2024-03-02"),
        _cand("b", "Copper prices kept rising as the Andina strike went on.", "Mining Weekly", "2024-03-05"),
    ]
    shown.append(order_fact(shown))
    verdict = verify_reply(q, "Yes, the Metals Daily article was published before the Mining Weekly article [3].", shown)
    assert not verdict.abstained and "[3]" in verdict.answer
    (cite,) = verdict.citations
    assert cite.n == 3 and cite.supported and cite.computed and cite.doc_id == "" and cite.source == ORDER_SOURCE


def test_a_reversed_order_claim_is_not_supported_by_the_order_fact():
    # Every word of the reversed claim is in the fact line; the order is not.
    shown = [
        _cand("a", "Copper rose 3% on Monday after a strike closed the Andina mine.", "Metals Daily", "2024-03-02"),
        _cand("b", "Copper prices kept rising as the Andina strike went on.", "Mining Weekly", "2024-03-05"),
    ]
    shown.append(order_fact(shown))
    q = "Which article came first, the Metals Daily one or the Mining Weekly one?"
    wrong = verify_reply(q, "The Mining Weekly article was published before the Metals Daily article [3].", shown)
    # The contradicted order does not survive the check (a bare remainder may).
    assert "before" not in wrong.answer
    right = verify_reply(q, "The Mining Weekly article was published after the Metals Daily article [3].", shown)
    assert any(c.computed and c.supported for c in right.citations)
    # A yes/no question whose order the fact contradicts: "Yes" is dropped (the fact line
    # itself may be quoted instead), "No" is supported.
    q2 = "Was the Mining Weekly article published before the Metals Daily article?"
    assert not verify_reply(q2, "Yes [3].", shown).answer.startswith("Yes")
    assert any(c.computed and c.supported for c in verify_reply(q2, "No [3].", shown).citations)


# -- the engine ---------------------------------------------------------------------------

ARTICLES = {
    "metals-a.md": ("Copper climbs as strike shuts mine", "Metals Daily", "2024-03-02",
                    "Copper rose 3% on Monday after a strike closed the Andina mine in Chile. "
                    "Traders said stocks in London warehouses were at a two-year low."),
    "metals-b.md": ("Zinc smelter reopens", "Metals Daily", "2024-03-04",
                    "A zinc smelter in Peru reopened after repairs. Zinc output is expected to recover."),
    "mining-a.md": ("Strike drags on at Andina", "Mining Weekly", "2024-03-05",
                    "Copper prices kept rising on Tuesday as the Andina strike entered its second week. "
                    "The union asked for a bigger bonus."),
    "mining-b.md": ("Lithium boom in Argentina", "Mining Weekly", "2024-03-06",
                    "Lithium projects in Argentina drew record investment. "
                    "Copper was mentioned once in a footnote about Andina."),
    "post.md": ("Chile orders talks with union", "Santiago Post", "2024-03-03",
                "The labour ministry called both sides of the Andina strike to talks on Wednesday."),
}


@pytest.fixture(scope="module")
def two_publishers(tmp_path_factory):
    root = tmp_path_factory.mktemp("sides")
    folder = root / "articles"
    folder.mkdir()
    for name, (title, source, day, body) in ARTICLES.items():
        (folder / name).write_text(f"---\ntitle: {title}\nsource: {source}\ndate: {day}\n---\n{body}\n", encoding="utf-8")
    settings = load_settings(None, index=root / "index", embedder="fake", llm="fake")
    assert add_articles([folder], settings, embedder_factory=FakeEmbedder).ok
    return settings


def _engine(settings, script=None, **overrides):
    llm = FakeLLM(script=script or [])
    return AnswerEngine(settings.model_copy(update=overrides), llm=llm), llm


def test_each_named_publisher_reaches_the_prompt(two_publishers):
    engine, _ = _engine(two_publishers)
    q = "Did Metals Daily and Mining Weekly both link the rise in copper prices to the Andina strike?"
    ctx = engine.context(q)
    assert {"Metals Daily", "Mining Weekly"} <= {c.source for c in ctx.shown}
    assert not ctx.missing


def test_a_side_the_filters_exclude_is_stated_as_missing(two_publishers):
    engine, llm = _engine(two_publishers)
    q = "Did Metals Daily and Mining Weekly both link the rise in copper prices to the Andina strike?"
    answer = engine.ask(q, filters=SearchFilters(sources=("Metals Daily",)))
    assert "The search found no article from Mining Weekly about this question." in llm.prompts[-1]
    assert all(e.source != "Mining Weekly" for e in answer.evidence)
    fact = answer.evidence[-1]
    assert fact.computed and fact.doc_id == "" and fact.start == fact.end == 0


def test_order_question_gets_a_citable_fact_line(two_publishers):
    q = "Did Metals Daily report the copper rise before Mining Weekly reported the Andina strike dragging on?"
    engine, llm = _engine(two_publishers)
    ctx = engine.context(q)
    fact = ctx.shown[-1]
    assert fact.computed and fact.text.startswith("Publication order of the articles: the Metals Daily article of 2024-03-02")
    assert "was published before the Mining Weekly article of 2024-03-05" in fact.text
    n = len(ctx.shown)
    reply = f"Yes, the Metals Daily article was published before the Mining Weekly article [{n}]."
    engine, _ = _engine(two_publishers, [{"match": "Question: Did Metals Daily", "reply": reply}], verdicts=False)
    answer = engine.ask(q)
    cite = next(c for c in answer.citations if c.n == n)
    assert cite.supported and cite.computed and cite.doc_id == "" and cite.start == cite.end == 0
    assert answer.evidence[n - 1].computed and f"[{n}]" in answer.answer
    # The chat's paragraph view has nothing to open for it.
    assert paragraph(two_publishers, cite.doc_id, cite.start, cite.end) is None


def test_levers_off_restore_the_plain_context(two_publishers):
    q = "Did Metals Daily report the copper rise before Mining Weekly reported the Andina strike dragging on?"
    engine, _ = _engine(two_publishers, evidence_sides=False, order_facts=False)
    ctx = engine.context(q)
    assert not any(c.computed for c in ctx.shown) and not ctx.missing


def test_eval_counts_no_computed_fact_as_a_citation_of_the_gold_evidence():
    from eval.answer_metrics import citation_scores

    answer = {"citations": [
        {"n": 1, "sentence": "Copper rose 3% on Monday.", "supported": True},
        {"n": 4, "sentence": "Publication order of the articles: ...", "supported": True, "computed": True},
    ]}
    assert citation_scores(answer, ["Copper rose 3% on Monday."]) == (1, 1, 1, 1)


def test_two_articles_of_one_publisher_on_one_day():
    fact = order_fact([_cand("a", "A.", "Sporting News", "2023-11-01"), _cand("b", "B.", "Sporting News", "2023-11-01")])
    assert fact.text == "Publication order of the articles: two articles from Sporting News were published on the same day, 2023-11-01."
