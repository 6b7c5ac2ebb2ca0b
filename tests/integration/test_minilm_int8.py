"""The int8 ONNX MiniLM against the fp32 torch one it was exported from (real packaged model)."""

import numpy as np
import pytest

from index.embedders import MiniLMEmbedder, make_embedder, onnx_minilm
from newsdesk.settings import load_settings

pytestmark = pytest.mark.integration

SENTENCES = [
    "The US and Pakistan discussed a deal on critical minerals.",
    "China refines about 90% of the world's rare earths and announced new export controls in October.",
    "Copper prices rose 3% on Monday after a mine in Chile shut down.",
    "Antimony is used in flame retardants and ammunition.",
    "Who won the match?",
]


@pytest.fixture(scope="module")
def settings():
    # The default model cache: the ONNX files are exported there once and reused by every run.
    return load_settings(None, embedder="minilm-int8")


@pytest.fixture(scope="module")
def torch_minilm():
    return MiniLMEmbedder()


@pytest.fixture(scope="module")
def int8(settings):
    return make_embedder(settings.embedder, model_cache=settings.model_cache)


@pytest.fixture(scope="module")
def fp32(torch_minilm):
    return torch_minilm.embed(SENTENCES)


def test_int8_vectors_stay_close_to_fp32(int8, fp32):
    assert int8.name == "all-MiniLM-L6-v2-int8"
    vectors = int8.embed(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosine = (vectors * fp32).sum(axis=1)
    assert cosine.min() > 0.98, cosine  # measured 0.990-0.995 on news sentences
    # Still ranks like fp32: each sentence is nearest to its own fp32 vector.
    assert ((vectors @ fp32.T).argmax(axis=1) == np.arange(len(SENTENCES))).all()


def test_int8_is_deterministic_per_text(int8):
    together = int8.embed(SENTENCES)
    alone = np.vstack([int8.embed([s]) for s in SENTENCES])
    # Each text runs alone, so its vector does not depend on the others in the call.
    assert np.array_equal(together, alone)
    assert np.array_equal(int8.embed(SENTENCES[::-1]), together[::-1])


def test_onnx_fp32_matches_torch_and_counts_tokens_alike(settings, fp32, torch_minilm):
    onnx = onnx_minilm(settings.model_cache, "fp32")
    assert (onnx.embed(SENTENCES) * fp32).sum(axis=1).min() > 0.9999
    torch_counts = torch_minilm.count_tokens(SENTENCES + ["x " * 300])
    assert onnx.count_tokens(SENTENCES + ["x " * 300]) == torch_counts
    assert onnx.max_tokens == 256


def test_chunk_word_pieces_are_those_of_the_embedded_text(int8):
    """Ingest tokenises each article once and embeds chunks from those word pieces: they
    must be exactly the pieces of the chunk's embedded text, so the vectors are identical."""
    import itertools

    from ingest.pipeline import chunk_article, prepare_article
    from ingest.readers import readable_articles
    from tests.conftest import SAMPLE, data_file

    tricky = (
        "Zoë Saldaña's café opened in São Paulo.  It served crème brûlée!\n\n"
        "Prices rose 3.5% (to $1,200) on Mon.—then fell… «Très bien», said Dr. Müller. "
        "東京 officials said 10,000 people attended. " + "Supercalifragilistic " * 120 + "end."
    )
    raws = list(readable_articles([SAMPLE]))
    try:
        raws += list(itertools.islice(readable_articles([data_file("realtimeqa", "articles.jsonl")]), 15))
    except pytest.skip.Exception:
        pass
    records = [prepare_article(raw) for raw in raws]
    records.append(type(records[0])(**{**records[0].__dict__, "doc_id": "tricky", "text": tricky}))
    checked = 0
    for record in records:
        _, texts, pieces = chunk_article(record, int8, 200)
        assert pieces is not None
        for text, ids in zip(texts, pieces):
            assert ids == int8.tokenize(text)[0], text[:80]
            checked += 1
    # The same vectors, to the last bit (the tricky article: accents, CJK, a word cut up).
    assert np.array_equal(int8.embed_ids(pieces), int8.embed(texts))
    assert checked > 30
