"""The ingest pipeline's boundaries: each file, record and article fails alone whatever it
raises; the quality gate; checked metadata; the same text under other names indexed once."""

from __future__ import annotations

import json
import os
import random
import string

import pytest

from index.embedders import FakeEmbedder
from index.store import IndexStore
from ingest import pipeline, prepare
from ingest.article import RawArticle
from ingest.pipeline import ArticleRejected, prepare_article
from newsdesk.articles import add_articles
from tests.conftest import chroma

TEXT = "Copper output fell in Chile in October.\n\nThe miners blamed a strike at the port for the delay."
OTHER = "Lithium prices rose in Australia this week.\n\nBuyers in China paid more for spodumene."


class CountingFake(FakeEmbedder):
    """The fake embedder, counting the texts it embeds."""

    def __init__(self) -> None:
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        return super().embed(texts)


def ingest(settings, *paths, prune=False):
    fake = CountingFake()
    report = add_articles(list(paths), settings, prune=prune, embedder_factory=lambda: fake)
    return report, fake.embedded


def indexed(settings) -> dict:
    return {r.title: r for r in IndexStore(settings.store_options()).articles(with_text=True).values()}


# --- the same text under another name ------------------------------------------------


def test_same_text_under_four_names_is_indexed_once_and_reruns_stably(tmp_path, settings):
    for name in ("a.txt", "b.txt", "c.md", "d.txt"):
        (tmp_path / name).write_text(TEXT)
    report, _ = ingest(settings, tmp_path)
    assert len(report.added) == 1 and report.ok
    assert [(w.rsplit("/", 1)[1], r) for w, r in report.skipped] == [
        (n, f"same text as {tmp_path / 'a.txt'}") for n in ("b.txt", "c.md", "d.txt")
    ]
    again, embedded = ingest(settings, tmp_path)
    assert (len(again.unchanged), len(again.skipped), again.added, embedded) == (1, 3, [], 0)


def test_same_text_as_an_indexed_article_is_skipped_unless_the_original_is_gone(tmp_path, settings):
    first = tmp_path / "first"
    first.mkdir()
    (first / "a.txt").write_text(TEXT)
    ingest(settings, first)
    (doc_id,) = IndexStore(settings.store_options()).articles()
    later = tmp_path / "later"
    later.mkdir()
    (later / "copy.txt").write_text(TEXT)
    report, embedded = ingest(settings, later)
    assert report.added == [] and embedded == 0
    assert report.skipped[0][1] == f"same text as the indexed article {doc_id} ({first / 'a.txt'})"
    # With --prune the original stays: the copy was skipped because of it.
    (first / "a.txt").rename(first / "renamed.txt")
    moved, _ = ingest(settings, first, prune=True)
    assert len(moved.added) == 1 and moved.pruned == [doc_id] and moved.skipped == []


def test_a_changed_url_in_the_same_file_is_no_copy(tmp_path, settings):
    path = tmp_path / "a.md"
    path.write_text(f"---\nurl: https://example.com/one\n---\n{TEXT}\n")
    ingest(settings, path)
    path.write_text(f"---\nurl: https://example.com/two\n---\n{TEXT}\n")
    report, _ = ingest(settings, path, prune=True)
    assert len(report.added) == 1 and report.skipped == [] and len(report.pruned) == 1


def test_an_index_from_before_text_hashes_still_finds_copies(tmp_path, settings):
    (tmp_path / "a.txt").write_text(TEXT)
    ingest(settings, tmp_path / "a.txt")
    store = IndexStore(settings.store_options())
    (doc_id,) = store.articles()
    chroma(store).manifest.update(ids=[doc_id], metadatas=[{"text_hash": ""}])
    assert store.articles()[doc_id].text_hash == ""
    (tmp_path / "b.txt").write_text(TEXT)
    report, _ = ingest(settings, tmp_path)
    assert report.unchanged == [doc_id] and report.skipped[0][1].startswith("same text as")


def test_identical_records_keep_the_same_article_message(tmp_path, settings):
    line = json.dumps({"title": "Same", "body": TEXT, "url": "https://example.com/same"})
    (tmp_path / "a.jsonl").write_text(line + "\n" + line + "\n")
    report, _ = ingest(settings, tmp_path)
    assert report.skipped == [(f"{tmp_path / 'a.jsonl'}:line 2", f"same article as {tmp_path / 'a.jsonl'}:line 1")]


# --- boundaries ----------------------------------------------------------------------


def test_an_exception_preparing_one_record_fails_that_record_only(tmp_path, settings, monkeypatch):
    real = pipeline.prepare_article

    def flaky(raw):
        if "Lithium" in raw.text:
            raise MemoryError()
        return real(raw)

    monkeypatch.setattr(pipeline, "prepare_article", flaky)
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt").write_text(OTHER)
    report, _ = ingest(settings, tmp_path)
    assert len(report.added) == 1
    assert report.failed == [(str(tmp_path / "b.txt"), "could not be read (MemoryError) - the file is probably malformed; check or remove it")]


def test_an_exception_inside_a_reader_fails_that_file_only(tmp_path, settings, monkeypatch):
    def exploding(path, fields=None):
        if path.name == "b.txt":
            raise RecursionError("maximum recursion depth exceeded while calling a Python object")
        yield RawArticle(text=TEXT, path=str(path))

    monkeypatch.setattr(pipeline, "read_file", exploding)
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt").write_text(OTHER)
    report, _ = ingest(settings, tmp_path)
    assert len(report.added) == 1
    (where, reason), = report.failed
    assert where == str(tmp_path / "b.txt") and reason.startswith("could not be read (RecursionError: maximum recursion")


def test_an_exception_while_chunking_fails_that_article_only(tmp_path, settings, monkeypatch):
    real = prepare.split_sentences

    def slow(text):
        if "Lithium" in text:
            raise TimeoutError("regular-expression match exceeded its 5.0s time limit")
        return real(text)

    monkeypatch.setattr(prepare, "split_sentences", slow)
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.txt").write_text(OTHER)
    report, _ = ingest(settings, tmp_path)
    assert len(report.added) == 1 and len(indexed(settings)) == 1
    (where, reason), = report.failed
    assert where == str(tmp_path / "b.txt") and reason.startswith("could not be read (TimeoutError: regular-expression")


def test_names_with_control_characters_are_reported_on_one_line(tmp_path, settings):
    rng = random.Random(3)
    (tmp_path / "evil\n\x1b[31mname.txt").write_text("".join(rng.choice(string.printable) for _ in range(400)))
    report, _ = ingest(settings, tmp_path)
    (where, reason), = report.failed
    assert where.endswith("evil\\n\\x1b[31mname.txt") and reason.startswith("does not look like article text")


# --- the quality gate and checked metadata -------------------------------------------


@pytest.mark.parametrize(
    "text, figure",
    [
        ("".join(random.Random(1).choice(string.printable) for _ in range(2000)), "reads as words"),
        ("".join(chr(random.Random(2).randrange(0x10000, 0x10FFFF)) for _ in range(500)), "unassigned or replacement"),
        ("1234 5678 9012 3456 7890 " * 40, "letters"),
        ("Copper up.", "too few words"),
    ],
)
def test_text_that_does_not_read_as_article_text_is_rejected(text, figure):
    with pytest.raises(ArticleRejected) as err:
        prepare_article(RawArticle(text=text, path="/x.txt"))
    assert str(err.value).startswith("does not look like article text (") and figure in str(err.value)
    assert str(err.value).endswith("- is it a binary file or scraped garbage?")


def test_shown_metadata_is_stripped_and_capped():
    raw = RawArticle(
        text=TEXT,
        title="\x1b[31mRed\x1b[0m " + "long " * 200,
        source="Daily\nTimes\x07" + "x" * 300,
        author="Ann\x1b]0;pwned\x07 Lee",
        url="javascript:alert(1)",
        published_at="1e17",
        path="/a.txt",
    )
    record = prepare_article(raw)
    assert record.title.startswith("Red long long") and len(record.title) <= 300 and record.title.endswith("...")
    assert record.source.startswith("Daily Times") and len(record.source) <= 200
    assert (record.author, record.url, record.published_at, record.published_ts) == ("Ann Lee", "", "", None)
    assert record.text_hash and record.doc_id.startswith("p-")


def test_a_long_url_host_gives_no_publisher():
    record = prepare_article(RawArticle(text=TEXT, url="https://" + "a" * 300 + ".com/x", path="/a.txt"))
    assert record.source == "" and record.url.startswith("https://aaa")
    huge = prepare_article(RawArticle(text=TEXT, url="https://" + "a" * 100_000 + ".com/x", path="/a.txt"))
    assert (huge.source, huge.url) == ("", "")


def test_records_are_written_with_their_text_hash(tmp_path, settings):
    (tmp_path / "a.txt").write_text(TEXT)
    ingest(settings, tmp_path)
    (record,) = indexed(settings).values()
    assert record.text_hash == prepare_article(RawArticle(text=TEXT, path=os.fspath(tmp_path / "a.txt"))).text_hash
