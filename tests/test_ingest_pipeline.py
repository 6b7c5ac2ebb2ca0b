"""The ingest pipeline with the fake embedder: outcomes, incremental reruns, prune, bad input."""

import json


from index.store import IndexStore
from newsdesk.articles import add_articles
from index.embedders import FakeEmbedder
from tests.conftest import chroma, cli

ARTICLE = "Copper output fell in Chile in October.\n\nThe miners blamed a strike at the port."


class CountingFake(FakeEmbedder):
    """A fake embedder that records how many texts it embedded."""

    def __init__(self):
        self.embedded = 0

    def embed(self, texts):
        self.embedded += len(texts)
        return super().embed(texts)


def _folder(tmp_path):
    root = tmp_path / "articles"
    root.mkdir()
    (root / "copper.txt").write_text("Copper falls\n\n" + ARTICLE, encoding="utf-8")
    (root / "antimony.md").write_text(
        "---\ntitle: Antimony soars\nsource: Minerals Monitor\npublished_at: 2025-10-02\n"
        "url: https://example.com/antimony\n---\nAntimony prices doubled after export curbs. Buyers scrambled.\n",
        encoding="utf-8",
    )
    (root / "feed.jsonl").write_text(
        json.dumps({"title": "Rare earths", "body": "China tightened rare earth licences.", "url": "https://example.com/re", "publish_date": "2025/09/30"})
        + "\n"
        + json.dumps({"title": "Graphite", "body": "Graphite exports need a permit now.", "url": "https://example.com/gr"})
        + "\n",
        encoding="utf-8",
    )
    return root


def test_first_run_rerun_edit_and_prune(tmp_path, settings):
    root = _folder(tmp_path)
    fake = CountingFake()
    first = add_articles([root], settings, embedder_factory=lambda: fake)
    assert first.ok and len(first.added) == 4 and fake.embedded > 0
    store = IndexStore(settings.store_options())
    chunks_before = store.stats().chunks

    calls = []
    rerun = add_articles([root], settings, embedder_factory=lambda: calls.append(1) or fake)
    assert (len(rerun.unchanged), rerun.added, rerun.updated, calls) == (4, [], [], [])

    (root / "copper.txt").write_text("Copper falls\n\n" + ARTICLE.replace("October", "November"), encoding="utf-8")
    fake.embedded = 0
    edit = add_articles([root], settings, embedder_factory=lambda: fake)
    assert len(edit.updated) == 1 and len(edit.unchanged) == 3 and edit.added == []
    assert fake.embedded == edit.chunks_written == 1
    assert store.stats().chunks == chunks_before

    (root / "antimony.md").unlink()
    kept = add_articles([root], settings, embedder_factory=lambda: fake)
    assert kept.pruned == [] and store.stats().articles == 4
    pruned = add_articles([root], settings, prune=True, embedder_factory=lambda: fake)
    assert len(pruned.pruned) == 1 and store.stats().articles == 3


def test_metadata_reaches_the_index(tmp_path, settings):
    add_articles([_folder(tmp_path)], settings, embedder_factory=lambda: FakeEmbedder())
    arts = {a.title: a for a in IndexStore(settings.store_options()).articles(with_text=True).values()}
    assert set(arts) == {"Copper falls", "Antimony soars", "Rare earths", "Graphite"}
    a = arts["Antimony soars"]
    assert (a.source, a.published_at, a.url) == ("Minerals Monitor", "2025-10-02", "https://example.com/antimony")
    assert a.published_ts == 1759363200
    assert arts["Rare earths"].published_at == "2025-09-30" and arts["Rare earths"].source == "example.com"
    assert arts["Copper falls"].text == ARTICLE


def test_seed_article_has_no_citable_boilerplate(seed_path, settings):
    report = add_articles([seed_path], settings, embedder_factory=lambda: FakeEmbedder())
    assert report.ok and len(report.added) == 1
    store = IndexStore(settings.store_options())
    (article,) = store.articles(with_text=True).values()
    got = chroma(store).chunks.get(include=["metadatas", "documents"])
    sentences = [
        article.text[a:b] for meta in got["metadatas"] for a, b in json.loads(meta["sentences"])
    ]
    assert len(sentences) >= 14
    for bad in ("Read More", "pic.twitter.com", "Copyright", "@Financegovpk"):
        assert not any(bad in s for s in sentences), bad
    assert any(s.startswith("The delegation, led by Robert Louis Strayer II") for s in sentences)


def test_duplicate_articles_are_skipped(tmp_path, settings):
    root = tmp_path / "dups"
    root.mkdir()
    line = json.dumps({"title": "Same", "body": "Same body text here.", "url": "https://example.com/same"})
    (root / "a.jsonl").write_text(line + "\n" + line + "\n", encoding="utf-8")
    report = add_articles([root], settings, embedder_factory=lambda: FakeEmbedder())
    assert len(report.added) == 1 and len(report.skipped) == 1
    assert "line 2" in report.skipped[0][0]


def _bad_folder(tmp_path):
    root = tmp_path / "mixed"
    root.mkdir()
    (root / "good.txt").write_text("Good article\n\nLithium output rose in Australia this year.", encoding="utf-8")
    (root / "empty.txt").write_text("")
    (root / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (root / "nothing.html").write_text("<html><body><nav>Home | About</nav></body></html>")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (root / "feed.jsonl").write_text(
        json.dumps({"title": "OK line", "body": "Cobalt quotas were extended.", "url": "https://example.com/co"})
        + "\n{not json\n",
        encoding="utf-8",
    )
    return root


def test_bad_inputs_are_reported_and_the_rest_ingests(tmp_path):
    root = _bad_folder(tmp_path)
    missing = tmp_path / "no-such-folder"
    out = cli("ingest", str(root), str(missing), "--index", str(tmp_path / "index"), env={"NEWSDESK_EMBEDDER": "fake"})
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "added 2," in out.stdout and "failed 6" in out.stdout
    failures = [line for line in out.stderr.splitlines() if line.startswith("failed")]
    assert len(failures) == 6
    for name in ("empty.txt", "binary.txt", "nothing.html", "broken.pdf", "feed.jsonl:line 2", "no-such-folder"):
        assert any(name in line for line in failures), name
    stats = cli("index", "stats", "--json", "--index", str(tmp_path / "index"))
    assert json.loads(stats.stdout)["articles"] == 2


def test_usage_errors_exit_2(tmp_path):
    bad_fields = cli("ingest", str(tmp_path), "--fields", "txet=body", "--index", str(tmp_path / "i"))
    assert bad_fields.returncode == 2 and bad_fields.stderr.startswith("error: --fields")
    no_args = cli("ingest")
    assert no_args.returncode == 2 and "Traceback" not in no_args.stderr
    bad_setting = cli("index", "stats", env={"NEWSDESK_CHUNK_TOKENS": "many"})
    assert bad_setting.returncode == 2 and "chunk_tokens" in bad_setting.stderr


def test_all_unchanged_exits_0(tmp_path):
    root = _folder(tmp_path)
    env = {"NEWSDESK_EMBEDDER": "fake"}
    assert cli("ingest", str(root), "--index", str(tmp_path / "i"), env=env).returncode == 0
    again = cli("ingest", str(root), "--index", str(tmp_path / "i"), env=env)
    assert again.returncode == 0 and "unchanged 4" in again.stdout
