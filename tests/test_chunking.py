from ingest.chunking import SPECIAL_TOKENS, header_line, make_chunks
from ingest.sentences import paragraph_of, split_sentences
from index.embedders import FakeEmbedder

TEXT = (
    "ISLAMABAD: A US delegation met officials on Friday. It was led by Mr. Robert Strayer.\n\n"
    "Talks covered copper and antimony. China dominates refining, experts said."
)


def test_sentence_spans_are_trimmed_and_stay_in_paragraphs():
    spans = split_sentences(TEXT)
    sentences = [TEXT[a:b] for a, b in spans]
    assert sentences == [
        "ISLAMABAD: A US delegation met officials on Friday.",
        "It was led by Mr. Robert Strayer.",
        "Talks covered copper and antimony.",
        "China dominates refining, experts said.",
    ]
    start, end = spans[2]
    assert TEXT[slice(*paragraph_of(TEXT, start, end))] == "Talks covered copper and antimony. China dominates refining, experts said."


def test_chunks_are_verbatim_slices_within_budget():
    fake = FakeEmbedder()
    text = " ".join(f"Sentence number {i} talks about copper prices in Chile." for i in range(60))
    header = header_line("Copper report", "Minerals Monitor", "2025-10-01")
    chunks = make_chunks(text, split_sentences(text), header, 64, fake.count_tokens)
    assert len(chunks) > 5
    covered = []
    for c in chunks:
        assert c.text == text[c.start : c.end]
        assert c.embed_text.startswith(header + "\n")
        assert fake.count_tokens([c.embed_text])[0] + SPECIAL_TOKENS <= 64
        covered.extend(c.sentences)
    assert covered == split_sentences(text)


def test_overlong_sentence_is_cut_at_words():
    fake = FakeEmbedder()
    text = "word " * 300 + "end."
    chunks = make_chunks(text, split_sentences(text), "T", 50, fake.count_tokens)
    assert len(chunks) > 5
    assert all(fake.count_tokens([c.embed_text])[0] + SPECIAL_TOKENS <= 50 for c in chunks)
    assert "".join(text[a:b] + " " for c in chunks for a, b in c.sentences).split() == text.split()


def test_runaway_title_does_not_eat_the_window():
    fake = FakeEmbedder()
    header = "Very long title " * 100
    chunks = make_chunks("One short sentence.", [(0, 19)], header, 64, fake.count_tokens)
    assert fake.count_tokens([chunks[0].embed_text])[0] + SPECIAL_TOKENS <= 64
    assert chunks[0].text == "One short sentence."


def test_fake_embedder_is_deterministic_and_similarity_aware():
    fake = FakeEmbedder()
    a, b, c = fake.embed(["copper prices rise", "copper prices rise in Chile", "football match tonight"])
    assert (fake.embed(["copper prices rise"])[0] == a).all()
    assert float(a @ b) > float(a @ c)
    assert abs(float(a @ a) - 1.0) < 1e-6
