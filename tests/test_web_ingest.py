"""`newsdesk ingest URL... --feed URL|FILE` against a news site served on 127.0.0.1 by the test:
good pages and feed items indexed with their metadata, each bad one named with its reason,
reruns that fetch nothing new, a changed page replacing its chunks."""

from __future__ import annotations

import pytest

from index.store import IndexStore
from ingest.feeds import html_to_text, parse_feed
from ingest.fetch import FetchOptions, fetch, user_agent
from ingest.web import url_doc_id
from newsdesk.settings import load_settings
from tests.conftest import chroma, cli
from tests.news_server import MB, NewsSite, atom, rss

FAST = {"NEWSDESK_EMBEDDER": "fake", "NEWSDESK_FETCH_TIMEOUT": "0.5"}

LITHIUM = [
    "Bolivia's state lithium company signed a supply agreement with two European battery makers on Monday, "
    "officials in La Paz said.",
    "The deal covers 15,000 tonnes of lithium carbonate a year from the Uyuni salt flat, starting in 2027.",
    "Analysts said the agreement was the first large export contract since Bolivia opened its reserves to foreign partners.",
]
NICKEL = [
    "Indonesia raised its royalty on nickel ore to 14 percent, the energy ministry said in Jakarta on Wednesday.",
    "Smelter operators warned that the higher royalty would squeeze margins already hurt by low nickel prices.",
    "The ministry said the extra revenue would fund new roads and power lines in Sulawesi.",
]
TIN = [
    "Tin prices jumped 6 percent after Myanmar's Wa State delayed the restart of its largest mine.",
    "Traders in London said stocks in exchange warehouses had fallen to their lowest level in two years.",
    "The mine supplied about a tenth of the world's tin before it halted output for a survey.",
]
ZINC = [
    "Peru's zinc exports rose 12 percent in September as two mines in the Andes returned to full output.",
    "The central bank said mining exports helped the trade surplus reach a record for the month.",
    "Producers expect shipments to stay high through the end of the year as Chinese demand recovers.",
]
GONE_SUMMARY = ("Graphite anode makers in Korea are seeking suppliers outside China after Beijing added "
                "permits for graphite exports. The companies said talks with mines in Mozambique are under way.")


@pytest.fixture
def site():
    server = NewsSite().start()
    yield server
    server.stop()


def _publish(site: NewsSite) -> dict[str, str]:
    """Pages, feeds and the bad routes; returns their URLs by name."""
    urls = {
        "lithium": site.page("/news/lithium.html", "Bolivia signs lithium supply deal with European battery makers",
                             LITHIUM, site="Lithium Ledger", date="2025-11-03", author="Maria Lopez"),
        "nickel": site.page("/news/nickel.html", "Indonesia raises nickel ore royalty", NICKEL,
                            site="Jakarta Metals", date="2025-11-05"),
        "tin": site.page("/news/tin.html", "Tin jumps as Wa State delays mine restart", TIN),  # no site, no date
        "zinc": site.page("/news/zinc.html", "Peru zinc exports rise", ZINC, site="Andes Mining Post", date="2025-10-20"),
        "missing": site.url("/news/missing.html"),
        "gone": site.url("/news/gone.html"),
        "hang": site.set("/news/hang.html", kind="hang"),
        "huge": site.set("/news/huge.html", kind="stream", size=50 * MB),
        "photo": site.set("/photo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, content_type="image/png"),
        "empty": site.set("/news/empty.html", "<html><body><nav>Home | About | Login</nav></body></html>"),
        "broken": site.set("/broken.xml", "<html><body>this is not a feed", content_type="application/xml"),
    }
    urls["rss"] = site.set("/rss.xml", rss("Metals Wire", [
        {"title": "Tin jumps", "link": urls["tin"], "date": "Tue, 04 Nov 2025 10:00:00 GMT"},
        {"title": "Peru zinc exports rise", "link": urls["zinc"], "date": "Mon, 20 Oct 2025 09:00:00 GMT"},
        {"title": "Korean anode makers look beyond China", "link": urls["gone"],
         "date": "Sat, 01 Nov 2025 09:00:00 GMT", "description": GONE_SUMMARY},
    ]), content_type="application/rss+xml")
    urls["atom"] = site.set("/atom.xml", atom("Asia Metals (Atom)", [
        {"title": "Indonesia raises nickel ore royalty", "link": urls["nickel"], "updated": "2025-11-05T06:00:00Z"},
    ]), content_type="application/atom+xml")
    return urls


def _store(index) -> IndexStore:
    return IndexStore(load_settings(None, index=index, embedder="fake").store_options())


def _by_url(index) -> dict:
    return {rec.url: rec for rec in _store(index).articles(with_text=True).values()}


def test_pages_and_feeds_are_indexed_with_metadata_and_each_bad_one_is_named(tmp_path, site):
    urls = _publish(site)
    index = str(tmp_path / "index")
    bad = [urls[k] for k in ("missing", "hang", "huge", "photo", "empty")]
    result = cli("ingest", urls["lithium"], *bad, "--feed", urls["rss"], "--feed", urls["atom"],
                 "--feed", urls["broken"], "--index", index, env=FAST)

    assert result.returncode == 1, result.stderr
    err = result.stderr
    assert f"failed  {urls['missing']}: HTTP 404 (Not Found)" in err
    assert f"failed  {urls['hang']}: timeout (no answer within 0.5 s)" in err
    assert f"failed  {urls['huge']}: too large (over 10 MB)" in err
    assert f"failed  {urls['photo']}: not HTML (content type image/png)" in err
    assert f"failed  {urls['empty']}: no article text" in err
    assert f"failed  {urls['broken']}: broken feed (not RSS or Atom" in err
    assert f"note    {urls['gone']}: the page failed (HTTP 404 (Not Found)) - indexed the feed's own text" in err
    assert "added 5, updated 0, unchanged 0, skipped 0, failed 6" in result.stdout
    # The 50 MB page was read up to the 10 MB limit, not to its end.
    assert site.sent["/news/huge.html"] < 20 * MB
    assert site.hits["/news/missing.html"] == 1  # a 404 is not retried
    assert site.hits["/news/hang.html"] == 3  # a timeout is: two retries
    assert all(agent.startswith("newsdesk/") and "(+local news QA)" in agent for agent in site.agents)

    got = _by_url(index)
    assert set(got) == {urls[k] for k in ("lithium", "tin", "zinc", "gone", "nickel")}
    lithium = got[urls["lithium"]]
    assert (lithium.title, lithium.source, lithium.published_at, lithium.author) == (
        "Bolivia signs lithium supply deal with European battery makers", "Lithium Ledger", "2025-11-03", "Maria Lopez")
    assert "15,000 tonnes of lithium carbonate" in lithium.text and "newsletter" not in lithium.text
    assert lithium.doc_id == url_doc_id(urls["lithium"])
    tin = got[urls["tin"]]  # the page gives no site or date: the feed's title and the item's date
    assert (tin.source, tin.published_at) == ("Metals Wire", "2025-11-04")
    gone = got[urls["gone"]]  # the page is gone: the item's own text, title and date
    assert (gone.title, gone.published_at, gone.source) == ("Korean anode makers look beyond China", "2025-11-01", "Metals Wire")
    assert "Mozambique" in gone.text
    nickel = got[urls["nickel"]]
    assert (nickel.source, nickel.published_at) == ("Jakarta Metals", "2025-11-05")


def test_a_rerun_fetches_no_indexed_feed_item_and_embeds_nothing(tmp_path, site):
    urls = _publish(site)
    index = str(tmp_path / "index")
    first = cli("ingest", urls["lithium"], "--feed", urls["rss"], "--feed", urls["atom"], "--index", index, env=FAST)
    assert first.returncode == 0, first.stderr
    before = site.hits.copy()

    again = cli("ingest", urls["lithium"], "--feed", urls["rss"], "--feed", urls["atom"], "--index", index, env=FAST)
    assert again.returncode == 0, again.stderr
    assert "added 0, updated 0, unchanged 5" in again.stdout and "(0 chunks written)" in again.stdout
    fetched = site.hits - before
    # The feeds are read again, and the page named on the command line (to see whether it
    # changed); no item page is fetched, not even the one that failed the first time.
    assert fetched == {"/rss.xml": 1, "/atom.xml": 1, "/news/lithium.html": 1}


def test_a_new_feed_item_is_fetched_and_a_changed_page_replaces_its_chunks(tmp_path, site):
    urls = _publish(site)
    index = str(tmp_path / "index")
    assert cli("ingest", urls["lithium"], "--feed", urls["atom"], "--index", index, env=FAST).returncode == 0
    store = _store(index)
    doc_id = url_doc_id(urls["lithium"])
    old_chunks = chroma(store).chunks.get(where={"doc_id": doc_id}, include=["documents"])
    assert old_chunks["ids"]

    site.page("/news/lithium.html", "Bolivia signs lithium supply deal with European battery makers",
              [LITHIUM[0], LITHIUM[1].replace("15,000", "25,000"), LITHIUM[2]],
              site="Lithium Ledger", date="2025-11-03", author="Maria Lopez")
    site.set("/atom.xml", atom("Asia Metals (Atom)", [
        {"title": "Peru zinc exports rise", "link": urls["zinc"], "updated": "2025-11-06T06:00:00Z"},
        {"title": "Indonesia raises nickel ore royalty", "link": urls["nickel"], "updated": "2025-11-05T06:00:00Z"},
    ]), content_type="application/atom+xml")
    before = site.hits.copy()
    result = cli("ingest", urls["lithium"], "--feed", urls["atom"], "--index", index, env=FAST)

    assert result.returncode == 0, result.stderr
    assert "added 1, updated 1, unchanged 1" in result.stdout
    assert (site.hits - before) == {"/news/lithium.html": 1, "/atom.xml": 1, "/news/zinc.html": 1}
    new_chunks = chroma(store).chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
    article = store.article(doc_id).text
    text = " ".join(article[m["start"] : m["end"]] for m in new_chunks["metadatas"])
    assert "25,000 tonnes" in text and "15,000 tonnes" not in text
    assert len(store.articles()) == 3


def test_retries_redirects_and_the_user_agent(site):
    ok = site.page("/news/zinc.html", "Peru zinc exports rise", ZINC, site="Andes Mining Post")
    site.set("/flaky.html", ZINC[0], kind="flaky", size=2)
    site.routes["/flaky.html"].body = site.routes["/news/zinc.html"].body
    options = FetchOptions(timeout=2, backoff=0.01)

    page = fetch(site.url("/flaky.html"), options)
    assert site.hits["/flaky.html"] == 3 and b"zinc exports" in page.body

    site.set("/old.html", kind="redirect", location="/news/zinc.html")
    moved = fetch(site.url("/old.html"), options)
    assert moved.final_url == ok and moved.url == site.url("/old.html")

    site.set("/loop.html", kind="redirect", location="/loop.html")
    with pytest.raises(Exception, match=r"^too many redirects \(over 5\)$"):
        fetch(site.url("/loop.html"), options)
    site.set("/to-file.html", kind="redirect", location="file:///etc/passwd")
    with pytest.raises(Exception, match="non-web address"):
        fetch(site.url("/to-file.html"), options)
    with pytest.raises(Exception, match="not a web address"):
        fetch("file:///etc/passwd", options)
    assert site.agents[-1] == user_agent()


def test_a_feed_given_as_a_page_says_to_use_feed(tmp_path, site):
    feed = site.set("/rss.xml", rss("Metals Wire", []), content_type="application/rss+xml")
    result = cli("ingest", feed, "--index", str(tmp_path / "index"), env=FAST)
    assert result.returncode == 1
    assert f"failed  {feed}: a feed, not a page (content type application/rss+xml) - ingest it with --feed URL" in result.stderr


def test_a_feed_file_is_read_and_its_items_fetched(tmp_path, site):
    urls = _publish(site)
    feed = tmp_path / "metals.rss"
    feed.write_text(rss("Metals Wire", [
        {"title": "Peru zinc exports rise", "link": urls["zinc"], "date": "Mon, 20 Oct 2025 09:00:00 GMT"},
        {"title": "Relative link only", "link": "/news/tin.html", "description": ""},
    ]), encoding="utf-8")
    result = cli("ingest", "--feed", str(feed), "--index", str(tmp_path / "index"), env=FAST)
    assert result.returncode == 1
    assert "added 1," in result.stdout
    assert f"failed  {feed} item 2: the item has no link and no text" in result.stderr


def test_feed_parsing_units():
    with pytest.raises(Exception, match=r"^broken feed \(empty\)$"):
        parse_feed(b"  ")
    truncated = parse_feed(
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>'
        b"<item><title>One</title><link>http://a.example/1</link></item><item><title>Two", "http://a.example/feed")
    assert [item.link for item in truncated.items] == ["http://a.example/1"]
    assert truncated.problem.startswith("broken feed (XML error")
    assert html_to_text("<p>One <b>two</b>.</p><script>x()</script><p>Three &amp; four.</p>") == "One two.\n\nThree & four."


def test_ingest_needs_something_to_read(tmp_path):
    result = cli("ingest", "--index", str(tmp_path / "index"))
    assert result.returncode == 2
    assert result.stderr.strip() == "error: nothing to ingest - give files, folders, URLs or --feed URL (see newsdesk ingest --help)"


def test_a_compressed_body_is_inflated_only_up_to_the_limit():
    import gzip

    from ingest.fetch import FetchError, _decoded

    assert _decoded(gzip.compress(b"<p>Zinc</p>"), "gzip", MB) == b"<p>Zinc</p>"
    assert _decoded(b"plain", "", MB) == b"plain"
    bomb = gzip.compress(b"0" * (20 * MB))  # about 20 KB that unpacks to 20 MB
    with pytest.raises(FetchError, match=r"^too large \(over 10 MB\)$"):
        _decoded(bomb, "gzip", 10 * MB)
    with pytest.raises(FetchError, match="encoding is broken"):
        _decoded(b"not gzip at all", "gzip", MB)
