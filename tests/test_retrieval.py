import json
import shutil
import subprocess
import sys
from datetime import date

import pytest

from eval.datasets import load_multihop
from index import keyword
from index.keyword import LiveKeywordIndex, cache_dir, refresh
from index.fusion import FusionConfig, SourceMatcher, clauses, cover, fuse, named_dates, spread
import index.retrieve as retrieve_module
from index.hits import FilterError, Hit, SearchFilters
from index.retrieve import HybridRetriever
from newsdesk.llamaindex import as_retriever
from index.store import IndexStore
from newsdesk.articles import add_articles
from index.embedders import FakeEmbedder
from tests.conftest import REPO, SAMPLE, chroma

QA = REPO / "data" / "sample" / "qa.jsonl"


def _fake():
    return FakeEmbedder()


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    """The sample articles ingested once with the fake embedder (tests copy it before changing it)."""
    from newsdesk.settings import load_settings

    settings = load_settings(None, index=tmp_path_factory.mktemp("sample") / "index", embedder="fake")
    report = add_articles([SAMPLE], settings, embedder_factory=_fake)
    assert report.ok and len(report.added) == 12
    refresh(IndexStore(settings.store_options()))
    return settings


@pytest.fixture(scope="module")
def hybrid(sample_index):
    store = IndexStore(sample_index.store_options())
    return HybridRetriever(store, FakeEmbedder(), top_k=8)


def _passages(hits):
    return [h.text for h in hits]


def test_hybrid_finds_the_evidence_of_the_sample_questions(hybrid):
    answerable = [q for q in load_multihop(QA) if q.facts]
    found = 0
    for q in answerable:
        passages = "".join("".join(p.split()) for p in _passages(hybrid.search(q.question, top_k=4)))
        found += all("".join(f.split()) in passages for f in q.facts)
    assert found / len(answerable) >= 0.85


def test_results_are_typed_hits_decoded_from_the_store_on_both_sides(hybrid, sample_index):
    store = IndexStore(sample_index.store_options())
    question = "Who led the US delegation that held minerals talks with Pakistan's finance minister?"
    for method in ("dense", "bm25", "convex"):
        hits = hybrid.with_fusion(FusionConfig(method=method)).search(question, top_k=3)
        assert hits and all(isinstance(h, Hit) and h.score > 0 for h in hits)
        top = hits[0]
        stored = chroma(store).chunks.get(ids=[top.chunk_id], include=["documents", "metadatas"])
        meta = stored["metadatas"][0]
        # A chunk keeps its place in the article; its text and the article's fields come from the manifest.
        assert stored["documents"][0] is None and "title" not in meta
        article = store.article(top.doc_id)
        assert top.text == article.text[top.start:top.end]
        assert (top.doc_id, top.title, top.source, top.start, top.end) == (
            meta["doc_id"], article.title, meta["source"], meta["start"], meta["end"])
        assert [list(span) for span in top.spans] == json.loads(meta["sentences"])
        assert all(article.text[s.start:s.end] == s.text for s in top.sentences())
    assert "Strayer" in _passages(hybrid.search(question, top_k=1))[0]


def test_llamaindex_retriever_gives_the_same_chunks_as_nodes(hybrid):
    filters = SearchFilters(sources=("Minerals Monitor",))
    nodes = as_retriever(hybrid, filters=filters, top_k=2).retrieve("copper record")
    hits = hybrid.search("copper record", filters, top_k=2)
    assert [n.node.node_id for n in nodes] == [h.chunk_id for h in hits]
    assert nodes and {n.node.metadata["source"] for n in nodes} == {"Minerals Monitor"}


def test_an_empty_date_range_is_refused():
    with pytest.raises(FilterError):
        SearchFilters(since=date(2025, 11, 2), until=date(2025, 11, 1))


@pytest.mark.parametrize(
    "filters",
    [
        SearchFilters(since=date(2025, 10, 1)),
        SearchFilters(until=date(2025, 10, 10)),
        SearchFilters(since=date(2025, 10, 3), until=date(2025, 11, 5)),
        SearchFilters(sources=("Minerals Monitor", "Daily Times")),
        SearchFilters(since=date(2025, 11, 1), sources=("Minerals Monitor",)),
    ],
)
@pytest.mark.parametrize("exact_max", [300, 0], ids=["exact", "neighbours"])
def test_filters_hold_on_dense_bm25_and_hybrid(hybrid, sample_index, filters, exact_max, monkeypatch):
    # Both ways the dense side filters: scoring the allowed chunks exactly, and keeping the
    # allowed ones among more unfiltered neighbours.
    monkeypatch.setattr(retrieve_module, "EXACT_FILTERED_MAX", exact_max)
    store = IndexStore(sample_index.store_options())
    question = "copper antimony rare earth prices Pakistan China export"
    low, high = filters.ts_range()

    def allowed(meta):
        if filters.sources and meta["source"] not in filters.sources:
            return False
        if low is not None or high is not None:
            ts = meta.get("published_ts")
            if ts is None or (low is not None and ts < low) or (high is not None and ts > high):
                return False
        return True

    everything = chroma(store).chunks.get(include=["metadatas"])
    expected = {i for i, m in zip(everything["ids"], everything["metadatas"]) if allowed(m)}
    assert expected and len(expected) < len(everything["ids"])

    bm25 = hybrid.keyword.get().search(question, 50, filters)
    metas = dict(zip(everything["ids"], everything["metadatas"]))
    assert bm25 and all(allowed(metas[cid]) for cid, _ in bm25)
    dense = hybrid.with_fusion(FusionConfig(method="dense")).search(question, filters, top_k=50)
    assert {h.chunk_id for h in dense} == expected  # dense ranks every allowed chunk
    # In the order Chroma's own filtered query gives.
    where = [{"source": {"$in": list(filters.sources)}}] if filters.sources else []
    where += [{"published_ts": {"$gte": low}}] if low is not None else []
    where += [{"published_ts": {"$lte": high}}] if high is not None else []
    vector = FakeEmbedder().embed([question])[0]
    oracle = chroma(store).chunks.query(
        query_embeddings=[vector], n_results=len(expected), where=where[0] if len(where) == 1 else {"$and": where}
    )["ids"][0]
    assert [h.chunk_id for h in dense] == oracle
    fused = hybrid.search(question, filters, top_k=50)
    assert fused and {h.chunk_id for h in fused} <= expected


def test_undated_articles_are_excluded_by_date_filters(tmp_path):
    # Every sample article has a date: beside them, one that has none.
    from newsdesk.settings import load_settings

    folder = tmp_path / "articles"
    shutil.copytree(SAMPLE, folder)
    (folder / "cobalt-undated.txt").write_text(
        "Cobalt traders wait for Congo export quotas\n\nTraders said Congo's cobalt export quotas would keep "
        "prices high while refiners in China drew down their stocks.\n", encoding="utf-8")
    settings = load_settings(None, index=tmp_path / "index", embedder="fake")
    assert add_articles([folder], settings, embedder_factory=_fake).ok
    hybrid = HybridRetriever(IndexStore(settings.store_options()), FakeEmbedder(), top_k=8)
    hits = hybrid.search("cobalt export quotas Congo", SearchFilters(since=date(2000, 1, 1)), top_k=50)
    assert hits and all(h.published_ts is not None for h in hits)
    unfiltered = hybrid.search("cobalt export quotas Congo", top_k=3)
    assert any(h.published_ts is None for h in unfiltered)


def test_named_sources_and_dates_are_found():
    matcher = SourceMatcher(["TechCrunch", "The Age", "The Independent - Life and Style", "usatoday.com", "Cnbc | World"])
    found = matcher.codes("Did the Techcrunch piece and The Independent agree, per CNBC and USA Today?")
    assert found == {0, 2, 4}
    assert matcher.codes("in the age of AI") == set()
    assert matcher.codes("the 'The Age' article") == {1}
    day = 1696464000  # 2023-10-05
    assert named_dates("published on October 5, 2023") == [(day, day)]
    assert named_dates("on 2023-10-05 and 5th Oct 2023") == [(day, day), (day, day)]
    (month,) = named_dates("in October 2023")
    assert month[0] == 1696118400 and month[1] - month[0] == 30 * 86400


def test_fusion_scales_each_side_and_weights_bm25():
    import numpy as np

    dense, bm25 = np.array([0.8, 0.4, 0.0]), np.array([0.0, 10.0, 5.0])
    convex = fuse(dense, bm25, FusionConfig(method="convex", bm25_weight=0.6))
    assert convex == pytest.approx([0.4, 0.2 + 0.6, 0.3])
    rrf = fuse(dense, bm25, FusionConfig(method="rrf", bm25_weight=0.5, rrf_k=0),
               dense_found=np.array([True, True, False]), bm25_found=np.array([False, True, True]))
    assert rrf == pytest.approx([0.5, 0.5 * 0.5 + 0.5, 0.5 * 0.5])


def test_cover_brings_up_a_chunk_for_each_clause():
    import numpy as np

    scores = np.array([1.0, 0.95, 0.5, 0.1])
    # Chunks 0 and 1 answer clause A; chunk 2 answers clause B.
    aspects = np.array([[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0]])
    assert cover(scores, aspects, 0.0, 2) == [0, 1, 2, 3]
    assert cover(scores, aspects, 0.5, 2) == [0, 2, 1, 3]
    assert spread([0, 1, 2, 3], ["a", "a", "a", "b"], 1) == [0, 3, 1, 2]


def test_clauses_keep_short_pieces_with_their_neighbour():
    count = lambda text: len(text.split())  # noqa: E731
    parts = clauses("Does 'The Verge' say deals are needless, while 'The Age' and 'TechCrunch' blame profit?", count)
    assert parts[0].startswith("Does 'The Verge'") and any("'The Age'" in p for p in parts)
    assert all(count(p) >= 3 for p in parts)
    assert clauses("Who won?", count) == ["Who won"]


# -- the keyword cache --------------------------------------------------------------------


@pytest.fixture
def own_index(sample_index, tmp_path):
    """A private copy of the sample index, safe to ingest into."""
    from newsdesk.settings import load_settings

    shutil.copytree(sample_index.index, tmp_path / "index")
    return load_settings(None, index=tmp_path / "index", embedder="fake")


def _count_builds(monkeypatch):
    calls = []
    real = keyword.build

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(keyword, "build", counting)
    return calls


def _new_article(folder):
    folder.mkdir()
    (folder / "lithium.md").write_text(
        "---\ntitle: Lithium brine project wins zirconium-free permit\nsource: Andes Mining Daily\n"
        "published_at: \"2025-11-20\"\nurl: https://example.com/andes/lithium-brine\n---\n"
        "A lithium brine project in the Atacama received its environmental permit on Thursday. "
        "The operator said first production of battery-grade carbonate is planned for 2027.\n",
        encoding="utf-8",
    )


def test_fresh_cache_is_reused(own_index, monkeypatch):
    store = IndexStore(own_index.store_options())
    assert (cache_dir(store) / "meta.json").is_file()
    builds = _count_builds(monkeypatch)
    index = refresh(store)
    assert builds == [] and len(index) == chroma(store).chunks.count()
    assert refresh(store, current=index) is index


def test_another_ingest_is_seen_by_a_live_index(own_index, tmp_path):
    store = IndexStore(own_index.store_options())
    live = LiveKeywordIndex(store, recheck_seconds=0)
    before = live.get()
    assert not before.search("Atacama zirconium", 5)
    _new_article(tmp_path / "more")
    add_articles([tmp_path / "more"], own_index, embedder_factory=_fake, store=store)
    after = live.get()
    assert after.fingerprint != before.fingerprint
    (best_id, _), *_ = after.search("Atacama zirconium", 5)
    assert chroma(store).chunks.get(ids=[best_id])["metadatas"][0]["source"] == "Andes Mining Daily"


def test_cache_is_rebuilt_when_the_store_changed_behind_it(own_index, tmp_path, monkeypatch):
    """Another writer (say, another machine on the same Chroma server) never refreshed our cache."""
    from ingest.pipeline import chunk_article, prepare_article
    from ingest.readers import read_file

    store = IndexStore(own_index.store_options())
    live = LiveKeywordIndex(store, recheck_seconds=0)
    before = live.get()
    _new_article(tmp_path / "more")
    (raw,) = read_file(tmp_path / "more" / "lithium.md")
    record = prepare_article(raw)
    chunks, texts, _ = chunk_article(record, FakeEmbedder(), own_index.chunk_tokens)
    store.write_articles([record], chunks, FakeEmbedder().embed(texts))
    builds = _count_builds(monkeypatch)
    after = live.get()
    assert builds == [1] and after.fingerprint != before.fingerprint
    assert after.search("Atacama zirconium", 5)
    # The rebuilt index was saved: a new process loads it instead of rebuilding.
    assert json.loads((cache_dir(store) / "meta.json").read_text())["fingerprint"] == after.fingerprint
    assert refresh(store).fingerprint == after.fingerprint and builds == [1]


def test_in_place_edit_by_another_writer_is_seen_by_the_full_check(own_index):
    from ingest.pipeline import chunk_article

    store = IndexStore(own_index.store_options())
    live = LiveKeywordIndex(store, recheck_seconds=0, full_recheck_seconds=0)
    before = live.get()
    (doc_id, record), *_ = [(d, r) for d, r in store.articles(with_text=True).items() if r.n_chunks == 1]
    record.text = record.text.replace(" the ", " zirconium ", 1)  # same length in tokens
    record.hash = "edited"
    chunks, texts, _ = chunk_article(record, FakeEmbedder(), own_index.chunk_tokens)
    assert len(chunks) == 1  # same counts: only the fingerprint can tell
    store.write_articles([record], chunks, FakeEmbedder().embed(texts))
    after = live.get()
    assert after.fingerprint != before.fingerprint
    assert after.search("zirconium", 1)[0][0].startswith(doc_id)


def test_cache_is_rebuilt_when_deleted_or_tampered(own_index, monkeypatch):
    store = IndexStore(own_index.store_options())
    builds = _count_builds(monkeypatch)
    shutil.rmtree(cache_dir(store))
    assert len(refresh(store)) == chroma(store).chunks.count() and builds == [1]
    meta = cache_dir(store) / "meta.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "fingerprint": "old"}))
    refresh(store)
    assert builds == [1, 1]
    (cache_dir(store) / "chunks.json").write_text("{not json")
    refresh(store)
    assert builds == [1, 1, 1]


def test_cache_is_rebuilt_after_articles_are_removed(own_index):
    store = IndexStore(own_index.store_options())
    live = LiveKeywordIndex(store, recheck_seconds=0)
    hits = live.get().search("Congo cobalt quotas", 1)
    doc_id = chroma(store).chunks.get(ids=[hits[0][0]])["metadatas"][0]["doc_id"]
    store.remove([doc_id])
    assert all(not cid.startswith(doc_id) for cid, _ in live.get().search("Congo cobalt quotas", 50))


def test_empty_index_returns_nothing(settings):
    store = IndexStore(settings.store_options())
    retriever = HybridRetriever(store, FakeEmbedder())
    assert retriever.search("anything at all") == []


def test_index_package_does_not_import_newsdesk():
    code = (
        "import sys, index.retrieve, index.keyword, index.store, index.embedders, index.text; "
        "bad = [m for m in sys.modules if m == 'newsdesk' or m.startswith('newsdesk.')]; "
        "assert not bad, bad"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
