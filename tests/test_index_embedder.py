"""An index remembers which embedder built it, and refuses vectors or queries from another."""

import numpy as np
import pytest

from index.retrieve import HybridRetriever
from index.store import EMBEDDER_KEY, ArticleRecord, ChunkRecord, EmbedderMismatchError, IndexStore
from newsdesk.articles import add_articles
from index.embedders import FakeEmbedder
from newsdesk.engine import AnswerEngine
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE, chroma, cli


def _write_one(tmp_path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")


@pytest.fixture
def fake_index(settings):
    """The sample articles ingested with the fake embedder."""
    assert add_articles([SAMPLE], settings, embedder_factory=lambda: FakeEmbedder()).ok
    return settings


def test_ingest_records_the_embedder(fake_index):
    assert IndexStore(fake_index.store_options()).built_with() == "fake"
    # An unchanged rerun with the same embedder is fine.
    assert add_articles([SAMPLE], fake_index, embedder_factory=lambda: FakeEmbedder()).ok


def test_adding_with_another_embedder_is_one_clear_line(fake_index, tmp_path):
    new = tmp_path / "new"
    new.mkdir()
    _write_one(new, "a.txt", "Copper Deal\n\nChile and Peru signed a copper agreement on Monday.")
    other = fake_index.model_copy(update={"embedder": "minilm"})

    def no_model():
        raise AssertionError("the model must not load when its vectors can't go in")

    with pytest.raises(EmbedderMismatchError) as err:
        add_articles([new], other, embedder_factory=no_model)
    message = str(err.value)
    assert "\n" not in message
    assert "was built with embedder fake" in message
    assert "NEWSDESK_EMBEDDER=fake" in message and "--index" in message
    # Nothing was written.
    assert IndexStore(fake_index.store_options()).built_with() == "fake"


def test_querying_with_another_embedder_is_refused(fake_index):
    other = fake_index.model_copy(update={"embedder": "minilm-int8"})
    store = IndexStore(other.store_options())
    assert store.embedder == "minilm-int8"  # named explicitly: the index's own is not followed
    with pytest.raises(EmbedderMismatchError, match="built with embedder fake"):
        AnswerEngine(other, store=store).retriever

    class NamedInt8(FakeEmbedder):
        key = "minilm-int8"

    with pytest.raises(EmbedderMismatchError, match="built with embedder fake"):
        HybridRetriever(store, NamedInt8())


def test_an_index_without_the_record_counts_as_fp32_minilm(tmp_path):
    legacy = load_settings(None, index=tmp_path / "index", embedder="minilm")
    store = IndexStore(legacy.store_options())
    assert store.built_with() is None  # empty: any embedder may start it
    # Written the way indexes were before the record existed: chunks, no metadata key.
    chroma(store).chunks.add(ids=["d:0"], embeddings=[[1.0, 0.0, 0.0]], documents=["x"], metadatas=[{"doc_id": "d"}])
    assert EMBEDDER_KEY not in (chroma(store).chunks.metadata or {})
    assert store.built_with() == "minilm"
    store.require_embedder("minilm")
    with pytest.raises(EmbedderMismatchError, match="built with embedder minilm"):
        store.require_embedder("minilm-int8")
    # Writing with fp32 MiniLM records it, and the collection keeps its cosine space.
    article = ArticleRecord(doc_id="e", hash="h", text="A sentence.")
    store.write_articles([article], [ChunkRecord("e", 0, 0, 11, "A sentence.", [(0, 11)])], np.eye(1, 3, dtype=np.float32))
    reopened = IndexStore(legacy.store_options())
    assert chroma(reopened).chunks.metadata[EMBEDDER_KEY] == "minilm"
    assert chroma(reopened).chunks.configuration_json["hnsw"]["space"] == "cosine"


def test_cli_prints_the_mismatch_as_one_line(fake_index, tmp_path):
    new = tmp_path / "more"
    new.mkdir()
    _write_one(new, "b.txt", "Antimony Prices\n\nAntimony prices doubled this year.")
    out = cli("ingest", str(new), "--index", str(fake_index.index), env={"NEWSDESK_EMBEDDER": "minilm"})
    assert out.returncode != 0
    # The progress display may precede it; the error itself is one line, with no traceback.
    errors = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert errors == [out.stderr.strip().splitlines()[-1]], out.stderr
    assert errors[0].startswith("error: index ") and "built with embedder fake" in errors[0]
    assert "Traceback" not in out.stderr


def test_an_unset_embedder_follows_the_index(fake_index):
    # The default (minilm-int8) was never named, so the index's own embedder answers and ingests.
    unset = load_settings(None, index=fake_index.index)
    assert unset.embedder == "minilm-int8" and "embedder" not in unset.model_fields_set
    store = IndexStore(unset.store_options())
    assert store.embedder == "fake"
    HybridRetriever(store, FakeEmbedder())  # no mismatch
    assert add_articles([SAMPLE], unset, embedder_factory=lambda: FakeEmbedder()).ok
    # Named explicitly, another embedder is still refused.
    named = load_settings(None, index=fake_index.index, embedder="minilm")
    with pytest.raises(EmbedderMismatchError):
        IndexStore(named.store_options()).require_embedder(named.embedder)
