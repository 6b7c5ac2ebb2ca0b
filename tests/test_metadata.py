"""Metadata helpers: dates, publisher fallback, doc ids and content hashes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from ingest.metadata import (
    MIN_DATE,
    clean_url,
    content_hash,
    epoch_number_date,
    make_doc_id,
    max_date,
    parse_date,
    source_from_url,
    text_hash,
)

OCT_31_2025 = 1761868800  # 2025-10-31T00:00:00Z


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2023-09-26T17:01:22+00:00", ("2023-09-26", 1695686400)),
        ("2023/08/23", ("2023-08-23", 1692748800)),
        ("October 31, 2025", ("2025-10-31", OCT_31_2025)),
        ("31 Oct 2025", ("2025-10-31", OCT_31_2025)),
        ("2025-10-31", ("2025-10-31", OCT_31_2025)),
        ("Fri, 31 Oct 2025 09:15:00 GMT", ("2025-10-31", OCT_31_2025)),
        ("2025-10-31T23:30:00-05:00", ("2025-10-31", OCT_31_2025)),  # the date as written
        ("Updated: October 31, 2025 10:00 AM ET", ("2025-10-31", OCT_31_2025)),
        ("2025-11-12T09:00:00+00:00", ("2025-11-12", 1762905600)),
        ("1761868800", ("2025-10-31", OCT_31_2025)),
        ("1761868800000", ("2025-10-31", OCT_31_2025)),
        ("October 2025", ("2025-10-01", 1761955200 - 31 * 86400)),
    ],
)
def test_parse_date_formats(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "hello", "October 31", "2023", "Volume 3 issue 12", "99/99/9999", "yesterday"])
def test_parse_date_never_guesses(value):
    assert parse_date(value) is None


def test_parse_date_returns_int_epoch():
    iso, ts = parse_date("2023-09-26T17:01:22+00:00")
    assert isinstance(ts, int) and iso == "2023-09-26"


@pytest.mark.parametrize(
    "url, host",
    [
        ("https://www.usatoday.com/story/news/x/", "usatoday.com"),
        ("https://WWW.TheVerge.com/2023/9/26/a", "theverge.com"),
        ("http://news.bbc.co.uk:8080/a", "news.bbc.co.uk"),
        ("www.dawn.com/news/1", "dawn.com"),
        ("", ""),
        ("not a url", ""),
    ],
)
def test_source_from_url(url, host):
    assert source_from_url(url) == host


def test_doc_id_from_url_ignores_case_fragment_slash_and_utm():
    base = make_doc_id("https://example.com/news/a?id=3", "", "")
    for variant in [
        "HTTPS://EXAMPLE.com/news/a?id=3",
        "https://example.com/news/a/?id=3",
        "https://example.com/news/a?id=3#comments",
        "https://example.com/news/a?utm_source=rss&id=3&utm_medium=feed",
        "  https://example.com/news/a?id=3  ",
    ]:
        assert make_doc_id(variant, "/other/path.txt", "other text") == base
    assert make_doc_id("https://example.com/news/a?id=4", "", "") != base
    assert make_doc_id("https://example.com/News/a?id=3", "", "") != base  # paths are case-sensitive
    assert base.startswith("u-") and len(base) == 18


def test_doc_id_falls_back_to_path_then_content():
    by_path = make_doc_id("", "/data/a.txt", "text")
    assert by_path.startswith("p-") and by_path == make_doc_id("", "/data/a.txt", "other text")
    by_text = make_doc_id("", "", "some text")
    assert by_text.startswith("c-") and by_text != make_doc_id("", "", "other text")
    assert all(c in "0123456789abcdef" for c in by_text[2:]) and len(by_text) == 18


def test_content_hash_changes_with_text_or_metadata():
    meta = {"title": "T", "source": "S", "published_at": "2025-10-31", "url": "", "author": ""}
    base = content_hash("Text.", meta)
    assert base == content_hash("Text.", dict(reversed(list(meta.items()))))
    assert base != content_hash("Text!", meta)
    assert base != content_hash("Text.", {**meta, "title": "T2"})
    assert len(base) == 64


# --- hostile values ------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["99999", "0", "1e17", "100000000000000000", "2025-13-45", "2025-02-30", "1899-12-31", "2999-01-01",
     pytest.param("1" * 5001, id="5001-digits"), "9" * 20, "inf", "nan", "October " * 30 + "2025", "99999999"],
)
def test_parse_date_refuses_implausible_values(value):
    assert parse_date(value) is None


def test_parse_date_accepts_the_edges_of_the_range():
    assert parse_date("1900-01-01") == ("1900-01-01", -2208988800)
    latest = max_date()
    assert latest == datetime.now(timezone.utc).date() + timedelta(days=2) and MIN_DATE == date(1900, 1, 1)
    assert parse_date(latest.isoformat())[0] == latest.isoformat()
    assert parse_date((latest + timedelta(days=1)).isoformat()) is None
    assert parse_date("20251031") == ("2025-10-31", OCT_31_2025)
    assert parse_date("1761868800.25") == ("2025-10-31", OCT_31_2025)


@pytest.mark.parametrize(
    "value",
    [99999, 1e17, 1e300, float("inf"), float("-inf"), float("nan"), -1, 0, 12345678901, pytest.param(10**5000, id="5001-digits")],
)
def test_epoch_numbers_outside_seconds_or_milliseconds_are_no_date(value):
    assert epoch_number_date(value) is None


def test_epoch_numbers_in_seconds_and_milliseconds():
    assert epoch_number_date(1761868800) == epoch_number_date(1761868800123.0) == date(2025, 10, 31)


def test_no_publisher_from_a_host_dns_could_not_hold():
    assert source_from_url("https://" + "a" * 300 + ".com/x") == ""
    assert source_from_url("https://" + "a" * 64 + ".com/x") == ""
    assert source_from_url("https://" + "a" * 63 + ".com/x") == "a" * 63 + ".com"
    assert source_from_url("https://" + "a" * 100_000 + ".com/x") == ""


@pytest.mark.parametrize(
    "url, kept",
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("  www.dawn.com/news/1 ", "www.dawn.com/news/1"),
        ("https://example.com/\x1b[2Ja\tb\n", "https://example.com/ab"),
        ("javascript:alert(1)", ""),
        ("JavaScript:alert(1)", ""),
        ("data:text/html,<script>x</script>", ""),
        ("file:///etc/passwd", ""),
        ("https://example.com/" + "a" * 3000, ""),
    ],
)
def test_clean_url(url, kept):
    assert clean_url(url) == kept


def test_text_hash_is_of_the_text_alone():
    assert text_hash("Text.") == text_hash("Text.") != text_hash("Text!")
    assert len(text_hash("")) == 64
