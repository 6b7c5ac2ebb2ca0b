"""The real packaged MiniLM: chunks fit its window, and ingest + a dense query work end to end."""

import itertools

import pytest

from index.store import IndexStore
from ingest.chunking import SPECIAL_TOKENS
from ingest.pipeline import chunk_article, prepare_article
from newsdesk.articles import add_articles
from ingest.readers import readable_articles
from index.embedders import MiniLMEmbedder
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE, data_file

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def minilm():
    return MiniLMEmbedder()


def test_no_chunk_exceeds_the_window(minilm):
    path = data_file("realtimeqa", "articles.jsonl")
    over = total = 0
    for raw in itertools.islice(readable_articles([path]), 150):
        chunks, texts, _ = chunk_article(prepare_article(raw), minilm, 256)
        counts = minilm.count_tokens(texts)
        total += len(texts)
        over += sum(1 for n in counts if n + SPECIAL_TOKENS > minilm.max_tokens)
    assert total > 500
    assert over == 0


def test_sample_ingest_and_dense_query(tmp_path, minilm):
    settings = load_settings(None, index=tmp_path / "index")
    report = add_articles([SAMPLE], settings, embedder_factory=lambda: minilm)
    assert report.ok, report.failed
    store = IndexStore(settings.store_options())
    query = minilm.embed(["Who led the US delegation that visited Islamabad?"])
    nearest = store.nearest(query[0].tolist(), 3)
    hits = store.hits(list(nearest.items()))
    assert any("Strayer" in hit.text for hit in hits)
    article = store.article(hits[0].doc_id)
    assert hits[0].text == article.text[hits[0].start : hits[0].end]
    for start, end in hits[0].spans:
        assert article.text[start:end] in hits[0].text
