"""The real packaged MiniLM: chunks fit its window, and ingest + a dense query work end to end."""

import itertools
import json

import pytest

from index.store import IndexStore
from ingest.chunking import SPECIAL_TOKENS
from ingest.pipeline import chunk_article, prepare_article
from newsdesk.articles import add_articles
from ingest.readers import readable_articles
from index.embedders import MiniLMEmbedder
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE, chroma, data_file

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
    hits = chroma(store).chunks.query(query_embeddings=query, n_results=3, include=["documents", "metadatas"])
    assert any("Strayer" in doc for doc in hits["documents"][0])
    meta = hits["metadatas"][0][0]
    article = store.article(meta["doc_id"])
    for start, end in json.loads(meta["sentences"]):
        assert article.text[start:end] in hits["documents"][0][0]
