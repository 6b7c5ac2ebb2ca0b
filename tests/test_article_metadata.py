"""Metadata where files lack it: .txt header blocks, `--source/--date`, the upload form's
fields, a dateline read from the text, every sample article dated and published, and
"undated" in the stats, the chat's date filter and `ask --help`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.desk import Desk
from index.store import IndexStore
from ingest.read_text import read_txt, split_header_block
from ingest.readers import readable_articles
from ingest.text_dates import date_from_text
from newsdesk.articles import add_articles, overview
from newsdesk.settings import load_settings
from tests.conftest import SAMPLE, cli

FAKE = {"NEWSDESK_EMBEDDER": "fake"}
BODY = ("Copper output fell in Chile in October after a strike at the port of Antofagasta.\n\n"
        "The miners said shipments would resume next week once the dockers return.\n")


def _records(index) -> dict[str, object]:
    store = IndexStore(load_settings(None, index=index, embedder="fake").store_options())
    return {Path(rec.path).name: rec for rec in store.articles().values()}


def test_a_header_block_is_metadata_not_text(tmp_path):
    path = tmp_path / "copper.txt"
    path.write_text("Source: Andes Wire\nDate: 2025-10-04\nURL: https://example.com/copper\nAuthor: Ana Ruiz\n\n"
                    "Copper falls in Chile\n\n" + BODY, encoding="utf-8")
    article = next(read_txt(path, {}))
    assert (article.source, article.published_at, article.url, article.author, article.title) == (
        "Andes Wire", "2025-10-04", "https://example.com/copper", "Ana Ruiz", "Copper falls in Chile")
    assert "Source:" not in article.text and "Andes Wire" not in article.text and article.text.strip().startswith("Copper output")

    # Not a header: a first paragraph with an unknown key, or with a sentence among the lines.
    for text in ("Note: prices fell.\n\n" + BODY, "Source: Andes Wire\nCopper fell again.\n\n" + BODY, "Source: Andes Wire\n"):
        assert split_header_block(text) == ({}, text)
    meta, rest = split_header_block("\nsource:  Andes Wire \nPUBLISHED: 4 Oct 2025\nSource: Other\n\n" + BODY)
    assert meta == {"source": "Andes Wire", "published_at": "4 Oct 2025"} and rest.strip() == BODY.strip()


def test_source_and_date_flags_fill_only_what_articles_lack(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "bare.txt").write_text("Copper falls in Chile\n\n" + BODY, encoding="utf-8")
    (folder / "dated.md").write_text("---\ntitle: Zinc rises\nsource: Lima Post\npublished_at: 2025-09-01\n---\n"
                                     + BODY.replace("Copper", "Zinc"), encoding="utf-8")
    index = str(tmp_path / "index")
    result = cli("ingest", str(folder), "--source", "Wire Desk", "--date", "2025-10-05", "--index", index, env=FAKE)
    assert result.returncode == 0, result.stderr
    got = _records(index)
    assert (got["bare.txt"].source, got["bare.txt"].published_at) == ("Wire Desk", "2025-10-05")
    assert (got["dated.md"].source, got["dated.md"].published_at) == ("Lima Post", "2025-09-01")

    for bad, line in (("2025-13-01", "error: --date: '2025-13-01' is not a date - use YYYY-MM-DD"),
                      ("2999-01-01", "error: --date: 2999-01-01 is out of range - give a date from 1900-01-01 to today")):
        refused = cli("ingest", str(folder), "--date", bad, "--index", index, env=FAKE)
        assert refused.returncode == 2 and refused.stderr.strip() == line


@pytest.mark.parametrize("text, expected", [
    ("WASHINGTON, Oct. 31, 2025 (Reuters) - Officials met on Friday to talk about copper.", "2025-10-31"),
    ("October 31, 2025: The ministry said exports rose.", "2025-10-31"),
    ("By Jane Doe | 31 October 2025\n\nThe ministry said exports rose.", "2025-10-31"),
    ("Published on 2025-10-30\n\nThe ministry said exports rose.", "2025-10-30"),
    ("The ministry said on Friday that exports rose. This story was published Nov. 4, 2025 by the wire.", "2025-11-04"),
    # Dates inside sentences are events; an update or an earlier version is not the publication.
    ("The curbs take effect on 1 December 2025 and run until 10 November 2026.", ""),
    ("Exports will resume on 16 October under a quota system.", ""),
    ("List updated on Feb. 27, 2021\n\nRestaurants closed across the state.", ""),
    ("This was originally published Nov. 9, 1999\n\nThe war began in the spring.", ""),
    ("03/04/2025\n\nAmbiguous day and month.", ""),
])
def test_date_from_text(text, expected):
    assert date_from_text(text) == expected


def test_a_dateline_dates_an_article_only_when_nothing_else_does(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "dateline.txt").write_text("Copper falls in Chile\n\nSANTIAGO, Oct. 3, 2025 - " + BODY, encoding="utf-8")
    (folder / "header.txt").write_text("Date: 2025-10-09\n\nCopper falls again\n\nSANTIAGO, Oct. 3, 2025 - "
                                       + BODY.replace("port", "harbour"), encoding="utf-8")
    index = str(tmp_path / "index")
    assert cli("ingest", str(folder), "--index", index, env=FAKE).returncode == 0
    got = _records(index)
    assert got["dateline.txt"].published_at == "2025-10-03" and got["header.txt"].published_at == "2025-10-09"


def test_every_sample_article_has_a_publisher_and_a_date_and_no_text_date_is_wrong(tmp_path):
    settings = load_settings(None, index=tmp_path / "index", embedder="fake")
    report = add_articles([SAMPLE], settings)
    assert report.ok and len(report.added) == 12
    view = overview(settings)
    assert (view.articles, view.unknown_source, view.undated) == (12, 0, 0)
    # The measured claim (README): on the sample's own texts, the dateline reader is never wrong.
    found = {a.title: date_from_text(a.text) for a in readable_articles([SAMPLE])}
    assert all(not value for value in found.values()), found


def test_datelines_in_common_styles_give_each_sample_article_its_own_date():
    styles = ["ISLAMABAD, {mon}. {d}, {y} (Wire) - ", "{month} {d}, {y}: ", "By Staff | {d} {month} {y}\n\n", "Published on {iso}\n\n"]
    articles = [a for a in readable_articles([SAMPLE])]
    checked = 0
    for article in articles:
        iso = article.published_at[:10]
        day = date.fromisoformat(iso)
        for style in styles:
            lead = style.format(mon=day.strftime("%b"), month=day.strftime("%B"), d=day.day, y=day.year, iso=iso)
            assert date_from_text(lead + article.text) == iso, (lead, article.title)
            checked += 1
    assert checked == 48


def test_undated_articles_are_counted_and_the_date_filters_say_they_are_left_out(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "bare.txt").write_text("Copper falls in Chile\n\n" + BODY, encoding="utf-8")
    (folder / "dated.txt").write_text("Date: 2025-10-01\n\nZinc rises\n\n" + BODY.replace("Copper", "Zinc"), encoding="utf-8")
    index = str(tmp_path / "index")
    assert cli("ingest", str(folder), "--index", index, env=FAKE).returncode == 0
    stats = cli("index", "stats", "--index", index, env=FAKE)
    assert "undated:    1 (left out whenever a date filter is set)" in stats.stdout
    assert json.loads(cli("index", "stats", "--json", "--index", index, env=FAKE).stdout)["undated"] == 1
    help_text = " ".join(cli("ask", "--help").stdout.replace("\u2502", " ").split())
    assert "undated articles are left out as soon as --since or --until is set" in help_text

    desk = Desk(load_settings(None, index=index, embedder="fake", llm="fake"))
    assert desk.date_note() == "All dates, 1 undated article included; setting From or To leaves undated articles out."
    assert desk.date_note("2025-10-01", None) == "Dated articles only: 1 undated article left out while From or To is set."


def test_the_upload_form_source_and_date_apply_to_files_without_them(tmp_path):
    settings = load_settings(None, index=tmp_path / "index", embedder="fake", llm="fake")
    desk = Desk(settings)
    bare = tmp_path / "bare.txt"
    bare.write_text("Copper falls in Chile\n\n" + BODY, encoding="utf-8")
    assert desk.add_files([str(bare)], source="Upload Wire", date="2025-31-12").startswith(
        "nothing indexed: Date: '2025-31-12' is not a date - use YYYY-MM-DD")
    report = desk.add_files([str(bare)], source=" Upload  Wire ", date="2025-10-07")
    assert report.startswith("added 1,"), report
    record = next(iter(IndexStore(settings.store_options()).articles().values()))
    assert (record.source, record.published_at) == ("Upload Wire", "2025-10-07")
