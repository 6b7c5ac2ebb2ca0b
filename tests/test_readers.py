"""Readers: every supported format, field defaults, and every kind of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.article import RawArticle, ReadFailure
from ingest.readers import SUPPORTED_SUFFIXES, iter_files, parse_fields, read_file
from tests.conftest import data_file


def read_all(path: Path, fields: dict[str, str] | None = None) -> list[RawArticle | ReadFailure]:
    return list(read_file(path, fields))


def read_one(path: Path, fields: dict[str, str] | None = None) -> RawArticle:
    items = read_all(path, fields)
    assert len(items) == 1 and isinstance(items[0], RawArticle), items
    return items[0]


def read_failure(path: Path) -> ReadFailure:
    items = read_all(path)
    assert len(items) == 1 and isinstance(items[0], ReadFailure), items
    assert "\n" not in items[0].reason and "Traceback" not in items[0].reason
    return items[0]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- iter_files ----------------------------------------------------------------------


def test_iter_files_walks_folders_sorted_and_skips_hidden_and_unsupported(tmp_path):
    for name in ["b.txt", "a.md", "sub/c.json", "sub/d.docx", ".hidden.txt", ".git/e.txt", "notes"]:
        write(tmp_path / name, "x")
    found = list(iter_files([tmp_path]))
    assert found == [tmp_path / "a.md", tmp_path / "b.txt", tmp_path / "sub" / "c.json"]


def test_iter_files_reports_missing_path_and_explicit_unsupported_file(tmp_path):
    docx = write(tmp_path / "report.docx", "x")
    good = write(tmp_path / "a.txt", "x")
    items = list(iter_files([tmp_path / "nope", docx, good]))
    missing, unsupported, ok = items
    assert isinstance(missing, ReadFailure)
    assert missing.reason == "no such file or folder - check the path"
    assert isinstance(unsupported, ReadFailure)
    assert "'.docx'" in unsupported.reason and all(s in unsupported.reason for s in SUPPORTED_SUFFIXES)
    assert ok == good


def test_iter_files_yields_each_file_once(tmp_path):
    good = write(tmp_path / "a.txt", "x")
    assert list(iter_files([good, tmp_path, good])) == [good]


def test_read_file_rejects_unsupported_suffix(tmp_path):
    failure = read_failure(write(tmp_path / "a.rtf", "x"))
    assert "unsupported file type '.rtf'" in failure.reason


# --- parse_fields --------------------------------------------------------------------


def test_parse_fields():
    assert parse_fields("text=body, published_at=publish_date") == {"text": "body", "published_at": "publish_date"}
    assert parse_fields("") == {}


@pytest.mark.parametrize(
    "spec, named",
    [("txt=body", "'txt'"), ("text", "'text'"), ("text=", "'text='"), ("=body", "'=body'"), ("text=body,title", "'title'")],
)
def test_parse_fields_rejects_bad_specs(spec, named):
    with pytest.raises(ValueError) as err:
        parse_fields(spec)
    assert named in str(err.value) and "\n" not in str(err.value)


# --- .txt ----------------------------------------------------------------------------


def test_txt_title_from_first_line(tmp_path):
    path = write(tmp_path / "x.txt", "Copper hits a record high\n\nCopper rose 3% on Monday.\n\nTraders cheered.\n")
    article = read_one(path)
    assert article.title == "Copper hits a record high"
    assert article.text.strip().startswith("Copper rose 3% on Monday.")
    assert article.path == str(path.resolve()) and article.locator == ""


def test_txt_title_from_file_name_when_first_line_is_a_sentence(tmp_path):
    path = write(tmp_path / "congo_cobalt-quotas.txt", "Congo will allow cobalt exports to resume.\n\nMore text.\n")
    article = read_one(path)
    assert article.title == "Congo cobalt quotas"
    assert article.text.startswith("Congo will allow")


def test_txt_skips_boilerplate_when_looking_for_a_title(seed_path):
    article = read_one(seed_path)
    assert article.title == "Critical minerals article"
    assert "Copyright dailytimes" in article.text  # readers leave cleaning to clean.py


def test_txt_single_line_file_keeps_its_text(tmp_path):
    article = read_one(write(tmp_path / "one.txt", "Only a headline-like line\n"))
    assert article.text.strip() == "Only a headline-like line"
    assert article.title == "One"


def test_empty_and_whitespace_files_fail(tmp_path):
    assert "empty file" in read_failure(write(tmp_path / "a.txt", "")).reason
    assert "empty file" in read_failure(write(tmp_path / "b.md", "  \n\n ")).reason
    assert "empty file" in read_failure(write(tmp_path / "c.jsonl", "\n\n")).reason


def test_binary_file_fails(tmp_path):
    path = tmp_path / "photo.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    assert "binary file" in read_failure(path).reason


def test_mostly_control_characters_is_binary(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(bytes([1, 2, 3, 4, 5, 6, 7, 8, 14, 15]) * 50 + b"some text")
    assert "binary file" in read_failure(path).reason


def test_cp1252_bytes_decode_by_fallback(tmp_path):
    path = tmp_path / "legacy.txt"
    path.write_bytes("Café owners said the résumé was “fine” — naïve.\n\nPrices rose 5%.\n".encode("cp1252"))
    article = read_one(path)
    assert "Café owners said the résumé was “fine” — naïve." in article.title + article.text


def test_latin1_bytes_decode_by_fallback(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("Zoë Müller opened a café in Zürich.\n\nIt sells crème brûlée.\n".encode("latin-1"))
    article = read_one(path)
    assert "Zoë Müller opened a café in Zürich." in article.text
    assert "crème brûlée" in article.text


def test_utf16_with_bom_and_utf8_with_bom(tmp_path):
    a = tmp_path / "a.txt"
    a.write_bytes("Headline here\n\nBody text.\n".encode("utf-16"))
    b = tmp_path / "b.txt"
    b.write_bytes("\ufeffHeadline here\n\nBody text.\n".encode("utf-8"))
    for path in (a, b):
        article = read_one(path)
        assert article.title == "Headline here" and "Body text." in article.text


# --- .md -----------------------------------------------------------------------------

MD = """---
title: "China widens export controls"
source: Asia Trade Review
published_at: 2025-10-10
url: https://example.com/a
author: [Mei Lin Tan, Ravi Menon]
section: Markets
---

# China widens export controls

BEIJING: China **added** five _rare earths_ to its list, the [ministry](https://mofcom.gov.cn) said.
The list took effect on `9 October`.

![a mine](mine.jpg)

## Reaction

> Buyers said supplies
> would tighten.

- Holmium and erbium
- Thulium
1. Europium
"""


def test_markdown_front_matter_and_plain_text(tmp_path):
    article = read_one(write(tmp_path / "controls.md", MD))
    assert article.title == "China widens export controls"
    assert article.source == "Asia Trade Review"
    assert article.published_at == "2025-10-10"
    assert article.url == "https://example.com/a"
    assert article.author == "Mei Lin Tan, Ravi Menon"
    assert article.extra == {"section": "Markets"}
    text = article.text
    assert "China widens export controls" not in text  # the duplicate heading is dropped
    assert "BEIJING: China added five rare earths to its list, the ministry said. The list took effect on 9 October." in text
    assert "Reaction" in text and "##" not in text
    assert "Buyers said supplies would tighten." in text
    assert "Holmium and erbium\nThulium\nEuropium" in text
    for junk in ("**", "_rare", "](", "![", "mine.jpg", "`", ">", "- "):
        assert junk not in text


def test_markdown_title_from_heading_then_file_name(tmp_path):
    heading = read_one(write(tmp_path / "x.md", "# Copper at a record\n\nCopper rose.\n"))
    assert heading.title == "Copper at a record" and heading.text == "Copper rose."
    bare = read_one(write(tmp_path / "copper-news.markdown", "Copper rose.\n"))
    assert bare.title == "Copper news" and bare.source == "" and bare.published_at == ""


def test_markdown_bad_yaml_fails_with_one_line(tmp_path):
    path = write(tmp_path / "bad.md", "---\ntitle: [unclosed\nsource: x\n---\n\nBody.\n")
    failure = read_failure(path)
    assert failure.path == str(path.resolve())
    assert "bad YAML front matter" in failure.reason


def test_markdown_unclosed_front_matter_fails(tmp_path):
    failure = read_failure(write(tmp_path / "open.md", "---\ntitle: x\n\nBody.\n"))
    assert "no closing ---" in failure.reason


# --- .html ---------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>Copper climbs to record - Minerals Monitor</title>
<meta property="og:title" content="Copper climbs to record">
<meta property="og:site_name" content="Minerals Monitor">
<meta property="og:url" content="https://example.com/copper-record">
<meta name="author" content="James Whitcombe">
<meta property="article:published_time" content="2025-10-03T08:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/markets">Markets</a></nav>
<article><h1>Copper climbs to record</h1>
<p>Copper prices hit a record high on Thursday as disruptions at major mines darkened the supply outlook for next year, traders in London said.</p>
<p>Three-month copper on the London Metal Exchange closed at $10,870 a tonne on 2 October, up about 24 percent since the start of the year.</p>
<p>The biggest blow came from a deadly mud rush at a large underground mine in Indonesia, which halted output for several months.</p>
</article>
<footer>Copyright 2025 Minerals Monitor</footer>
</body></html>"""


def test_html_article_text_and_metadata(tmp_path):
    article = read_one(write(tmp_path / "copper.html", HTML))
    assert article.title == "Copper climbs to record"
    assert article.source == "Minerals Monitor"
    assert article.url == "https://example.com/copper-record"
    assert article.author == "James Whitcombe"
    assert article.published_at.startswith("2025-10-03")
    paragraphs = article.text.split("\n\n")
    assert paragraphs[0].startswith("Copper prices hit a record high")
    assert len(paragraphs) == 3
    assert "Home" not in article.text


def test_html_without_article_text_fails(tmp_path):
    path = write(tmp_path / "empty.htm", "<html><head><title>Login</title><script>var x = 1;</script></head><body></body></html>")
    assert "no article text found in the HTML" in read_failure(path).reason


# --- .json / .jsonl ------------------------------------------------------------------

MULTIHOP = {
    "doc_id": "doc-1", "url": "https://www.theverge.com/a", "title": "Apple defends deal", "author": "David Pierce",
    "source": "The Verge", "category": "technology", "published_at": "2023-09-26T17:01:22+00:00",
    "body": "The Justice Department is focused on the deals.", "n_facts": 3,
}
REALTIMEQA = {
    "doc_id": "rt-1", "url": "https://www.usatoday.com/story/x/", "title": "Debate recap", "publish_date": "2023/08/23",
    "authors": ["Ann Lee", "Bo Chen"], "text": "Eight candidates battled Wednesday.",
}


def test_json_defaults_cover_both_shared_datasets_without_flags(tmp_path):
    path = write(tmp_path / "a.jsonl", json.dumps(MULTIHOP) + "\n" + json.dumps(REALTIMEQA) + "\n")
    multihop, realtime = read_all(path)
    assert (multihop.text, multihop.title, multihop.source, multihop.author) == (
        "The Justice Department is focused on the deals.", "Apple defends deal", "The Verge", "David Pierce")
    assert multihop.published_at == "2023-09-26T17:01:22+00:00" and multihop.url == "https://www.theverge.com/a"
    assert multihop.extra == {"doc_id": "doc-1", "category": "technology", "n_facts": "3"}
    assert multihop.locator == "line 1" and realtime.locator == "line 2"
    assert realtime.text == "Eight candidates battled Wednesday."
    assert realtime.published_at == "2023/08/23" and realtime.author == "Ann Lee, Bo Chen"
    assert realtime.extra == {"doc_id": "rt-1"}


def test_json_field_variants(tmp_path):
    record = {"headline": "H", "content": ["Para one.", "Para two."], "pubDate": 1761868800,
              "link": "https://x.org/a", "byline": "By Sam", "publisher": {"name": "Wire"}, "tags": ["a"]}
    article = read_one(write(tmp_path / "a.json", json.dumps(record)))
    assert article.title == "H" and article.text == "Para one.\n\nPara two."
    assert article.published_at.startswith("2025-10-31") and article.url == "https://x.org/a"
    assert article.author == "By Sam" and article.source == "Wire" and article.extra == {}
    assert article.locator == ""


def test_fields_mapping_overrides_defaults(tmp_path):
    record = {"story": "Real text.", "text": "Not this.", "when": "2024-01-02", "headline2": "T"}
    fields = parse_fields("text=story,published_at=when,title=headline2")
    article = read_one(write(tmp_path / "a.json", json.dumps(record)), fields)
    assert (article.text, article.published_at, article.title) == ("Real text.", "2024-01-02", "T")


def test_fields_mapping_names_a_missing_key(tmp_path):
    items = read_all(write(tmp_path / "a.json", json.dumps({"text": "x"})), {"text": "story"})
    assert len(items) == 1 and isinstance(items[0], ReadFailure)
    assert "'story'" in items[0].reason


def test_json_list_and_wrapped_list(tmp_path):
    listed = read_all(write(tmp_path / "a.json", json.dumps([{"text": "One."}, {"text": "Two."}])))
    assert [a.text for a in listed] == ["One.", "Two."]
    assert [a.locator for a in listed] == ["item 1", "item 2"]
    wrapped = read_all(write(tmp_path / "b.json", json.dumps({"status": "ok", "articles": [{"body": "Three."}]})))
    assert [a.text for a in wrapped] == ["Three."]


def test_json_syntax_error_is_one_failure(tmp_path):
    failure = read_failure(write(tmp_path / "a.json", '{"text": "x",\n "title": }'))
    assert "invalid JSON at line 2" in failure.reason


def test_json_file_holding_json_lines_is_read_as_lines(tmp_path):
    items = read_all(write(tmp_path / "a.json", '{"text": "One."}\n{"text": "Two."}\n'))
    assert [a.text for a in items] == ["One.", "Two."]


def test_jsonl_broken_lines_fail_alone(tmp_path):
    lines = [
        json.dumps({"text": "First."}),
        "",
        '{"text": "oops"',
        json.dumps(["not", "an", "object"]),
        json.dumps({"title": "no text here"}),
        json.dumps({"text": "Last."}),
    ]
    items = read_all(write(tmp_path / "a.jsonl", "\n".join(lines) + "\n"))
    articles = [i for i in items if isinstance(i, RawArticle)]
    failures = [i for i in items if isinstance(i, ReadFailure)]
    assert [a.text for a in articles] == ["First.", "Last."]
    assert [a.locator for a in articles] == ["line 1", "line 6"]
    assert [f.locator for f in failures] == ["line 3", "line 4", "line 5"]
    assert "invalid JSON" in failures[0].reason
    assert "not a JSON object" in failures[1].reason
    assert "no article text" in failures[2].reason and "--fields" in failures[2].reason
    assert all(f.path == str((tmp_path / "a.jsonl").resolve()) for f in failures)
    assert failures[0].where.endswith("a.jsonl:line 3")


def test_jsonl_without_any_article_is_one_failure(tmp_path):
    lines = [json.dumps({"question": f"q{i}", "answer": "a"}) for i in range(5)]
    failure = read_failure(write(tmp_path / "qa.jsonl", "\n".join(lines)))
    assert "none of the 5 records" in failure.reason


# --- .pdf ----------------------------------------------------------------------------


def make_pdf(lines: list[str], title: str = "", author: str = "") -> bytes:
    """A one-page PDF drawing `lines` in Helvetica; "" leaves a paragraph gap."""
    ops = ["BT /F1 11 Tf 14 TL 72 720 Td"]
    for line in lines:
        escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({escaped}) Tj T*" if line else "T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    info = f"<< /Title ({title}) /Author ({author}) /CreationDate (D:20251112090000Z) >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        info.encode("latin-1"),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_text_title_author_and_hyphenation(tmp_path):
    path = tmp_path / "plants.pdf"
    path.write_bytes(
        make_pdf(
            ["Rare earth plants race to scale up", "", "Separation plants outside China are racing to",
             "scale up their capacity for the inter-", "national magnet industry.", "",
             "The US-", "Pakistan talks continued."],
            title="Rare earth plants race to scale up",
            author="Thomas Herrera",
        )
    )
    article = read_one(path)
    assert article.title == "Rare earth plants race to scale up"
    assert article.author == "Thomas Herrera"
    assert article.published_at.startswith("2025-11-12")
    assert article.text.startswith("Separation plants outside China are racing to scale up their capacity")
    assert "for the international magnet industry." in article.text
    assert "US-Pakistan talks continued." in article.text
    assert "\n\n" in article.text


def test_pdf_title_from_first_line_without_info(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(make_pdf(["Copper output falls", "", "Copper output fell in Chile."]))
    article = read_one(path)
    assert article.title == "Copper output falls" and article.text == "Copper output fell in Chile."


def test_garbage_pdf_fails(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"this is not a pdf at all, just some text pretending" * 10)
    assert "not a readable PDF" in read_failure(path).reason


def test_empty_pdf_file_fails(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    assert "empty file" in read_failure(path).reason


def test_pdf_without_text_fails(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    path = tmp_path / "scan.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert "no extractable text" in read_failure(path).reason


def test_password_protected_pdf_fails(tmp_path):
    from pypdf import PdfReader, PdfWriter

    source = tmp_path / "plain.pdf"
    source.write_bytes(make_pdf(["Headline", "", "Body text."]))
    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as f:
        writer.write(f)
    assert "password-protected" in read_failure(path).reason


# --- the shared evaluation data ------------------------------------------------------


def test_multihop_articles_read_without_flags():
    items = read_all(data_file("multihop-rag", "articles.jsonl"))
    articles = [i for i in items if isinstance(i, RawArticle)]
    assert len(articles) == len(items) > 200
    assert all(a.title and a.url and a.published_at and a.source and a.text for a in articles)
    assert all(a.extra.get("doc_id") for a in articles)


def test_html_with_only_navigation_fails(tmp_path):
    path = write(tmp_path / "nav.html", "<html><body><nav>Home | About</nav></body></html>")
    assert "no article text found in the HTML" in read_failure(path).reason
