import numpy as np

from index.store import WRITING, ArticleRecord, ChunkRecord, IndexStore
from tests.conftest import chroma


def _article(doc_id, text="A sentence. Another one.", **kw):
    return ArticleRecord(doc_id=doc_id, hash="h-" + text, text=text, **kw)


def _chunks(doc_id, n):
    return [ChunkRecord(doc_id, i, 0, 11, "A sentence.", [(0, 11)]) for i in range(n)]


def test_write_replace_and_remove(settings):
    store = IndexStore(settings.store_options())
    a, b = _article("a", source="X", published_at="2025-10-01", published_ts=1759276800), _article("b")
    store.write_articles([a, b], _chunks("a", 3) + _chunks("b", 2), np.eye(5, 8, dtype=np.float32))
    assert store.stats().articles == 2 and store.stats().chunks == 5
    # Replacing an article never duplicates its chunks.
    store.write_articles([_article("a", text="New text.")], _chunks("a", 1), np.eye(1, 8, dtype=np.float32))
    stats = store.stats()
    assert (stats.articles, stats.chunks) == (2, 3)
    assert store.article("a").text == "New text." and store.article("a").n_chunks == 1
    assert store.remove(["a", "zzz"]) == ["a"]
    assert (store.stats().articles, store.stats().chunks) == (1, 2)


def test_reconcile_drops_half_written_articles(settings):
    store = IndexStore(settings.store_options())
    store.write_articles([_article("good")], _chunks("good", 2), np.eye(2, 8, dtype=np.float32))
    # A writer that died after marking "writing" and adding chunks, before "done".
    half = _article("half", state=WRITING)
    chroma(store).manifest.upsert(ids=["half"], embeddings=[[1.0]], documents=["x"], metadatas=[half.metadata()])
    chroma(store).chunks.add(
        ids=["half:0"], embeddings=np.eye(1, 8, dtype=np.float32), documents=["x"],
        metadatas=[{"doc_id": "half", "chunk": 0}],
    )
    assert store.stats().articles == 1  # readers never count it
    assert IndexStore(settings.store_options()).reconcile() == ["half"]
    stats = store.stats()
    assert (stats.articles, stats.chunks) == (1, 2)
    assert chroma(store).chunks.get(where={"doc_id": "half"})["ids"] == []


def test_stats_reports_sources_dates_and_size(settings):
    store = IndexStore(settings.store_options())
    arts = [
        _article("1", text="One.", source="Daily Times", published_at="2025-10-31"),
        _article("2", text="Two.", source="Daily Times", published_at="2025-09-02"),
        _article("3", text="Three.", source="Minerals Monitor"),
    ]
    store.write_articles(arts, [c for a in arts for c in _chunks(a.doc_id, 1)], np.eye(3, 8, dtype=np.float32))
    stats = store.stats()
    assert stats.sources == {"Daily Times": 2, "Minerals Monitor": 1}
    assert (stats.first_date, stats.last_date) == ("2025-09-02", "2025-10-31")
    assert stats.size_bytes > 0
