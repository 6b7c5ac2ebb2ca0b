"""Check qa.jsonl against the demo articles in this folder.

    python data/sample/check_qa.py

For every question: the qid is unique, the type is known, a "null" question has the
answer "Insufficient information." and no evidence, and every other question has
evidence.  For every evidence entry: the title names an article in this folder, the
source/published_at/url agree with what that article's file records (the header block
of a .txt file, the /Publisher and /CreationDate of the PDF; empty where the file
carries no such field: the url of the .txt files and of the PDF), and the
fact is one sentence found verbatim in the article text:

- .txt: everything after the header block ("Source: ..." / "Date: ..." lines), the title
  line and the blank line;
- .md: the body after the YAML front matter;
- .html: the <p> paragraphs inside <article>, entities decoded;
- .jsonl: the "body" field;
- .pdf: pypdf's extracted text, and the fact must sit on one extracted line.

Exits non-zero and lists the problems if anything fails.  Reads only stdlib + pypdf.
"""

from __future__ import annotations

import html
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"
TYPES = {"fact", "comparison", "temporal", "null"}
NULL_ANSWER = "Insufficient information."


class _ArticleParagraphs(HTMLParser):
    """Collects the text of <p> elements inside <article>, and the page metadata."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.meta: dict[str, str] = {}
        self._in_article = 0
        self._in_p = False
        self._buf: list[str] = []
        self._in_h1 = False
        self.h1 = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self._in_article += 1
        elif tag == "p" and self._in_article:
            self._in_p, self._buf = True, []
        elif tag == "h1" and self._in_article:
            self._in_h1 = True
        elif tag == "meta":
            key = a.get("property") or a.get("name")
            if key:
                self.meta[key] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.meta["canonical"] = a.get("href", "")

    def handle_endtag(self, tag):
        if tag == "article":
            self._in_article -= 1
        elif tag == "p" and self._in_p:
            self._in_p = False
            self.paragraphs.append(html.unescape("".join(self._buf)).strip())
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_p:
            self._buf.append(data)
        if self._in_h1:
            self.h1 += data


def load_articles() -> dict[str, dict]:
    """Title -> {"text", "source", "published_at", "url", "file", "lines"} for every article."""
    arts: dict[str, dict] = {}

    def add(title, text, source="", published_at="", url="", file="", lines=None):
        if title in arts:
            raise SystemExit(f"duplicate article title: {title!r}")
        arts[title] = dict(text=text, source=source, published_at=published_at, url=url,
                           file=file, lines=lines)

    for p in sorted(ARTICLES.glob("*.txt")):
        header, _, rest = p.read_text(encoding="utf-8").partition("\n\n")
        meta = dict(line.split(": ", 1) for line in header.splitlines())
        title, blank, body = rest.split("\n", 2)
        assert blank == "", f"{p.name}: the line after the title must be blank"
        add(title, body, meta.get("Source", ""), meta.get("Date", ""), meta.get("URL", ""), p.name)
    for p in sorted(ARTICLES.glob("*.md")):
        if p.name == "README.md":
            continue
        raw = p.read_text(encoding="utf-8")
        _, front, body = raw.split("---\n", 2)
        meta = {}
        for line in front.splitlines():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip().strip('"')
        add(meta["title"], body, meta["source"], meta["published_at"], meta["url"], p.name)
    for p in sorted(ARTICLES.glob("*.html")):
        parser = _ArticleParagraphs()
        parser.feed(p.read_text(encoding="utf-8"))
        m = parser.meta
        add(parser.h1.strip(), "\n\n".join(parser.paragraphs), m["og:site_name"],
            m["article:published_time"][:10], m["canonical"], p.name)
    for p in sorted(ARTICLES.glob("*.jsonl")):
        if p.name == "qa.jsonl":
            continue
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            r = json.loads(line)
            add(r["title"], r["body"], r["source"], r["published_at"], r["url"], f"{p.name}:{n}")
    for p in sorted(ARTICLES.glob("*.pdf")):
        import pypdf

        reader = pypdf.PdfReader(p)
        text = "\n".join(page.extract_text() for page in reader.pages)
        info = reader.metadata
        created = info["/CreationDate"]  # D:YYYYMMDD...
        add(info.title, text, info.get("/Publisher", ""), f"{created[2:6]}-{created[6:8]}-{created[8:10]}",
            file=p.name, lines=text.splitlines())
    return arts


def main() -> int:
    arts = load_articles()
    problems: list[str] = []
    seen: set[str] = set()
    counts: dict[str, int] = {}
    for n, line in enumerate((HERE / "qa.jsonl").read_text(encoding="utf-8").splitlines(), 1):
        q = json.loads(line)
        where = f"qa.jsonl:{n} ({q.get('qid')})"
        if set(q) != {"qid", "question", "answer", "question_type", "evidence_list"}:
            problems.append(f"{where}: unexpected keys {sorted(q)}")
        if q["qid"] in seen:
            problems.append(f"{where}: duplicate qid")
        seen.add(q["qid"])
        t = q["question_type"]
        counts[t] = counts.get(t, 0) + 1
        if t not in TYPES:
            problems.append(f"{where}: unknown question_type {t!r}")
        if t == "null":
            if q["answer"] != NULL_ANSWER or q["evidence_list"]:
                problems.append(f"{where}: null question needs answer {NULL_ANSWER!r} and no evidence")
            continue
        if not q["evidence_list"]:
            problems.append(f"{where}: no evidence")
        for ev in q["evidence_list"]:
            art = arts.get(ev["title"])
            if art is None:
                problems.append(f"{where}: no article titled {ev['title']!r}")
                continue
            for key in ("source", "published_at", "url"):
                if ev[key] != art[key]:
                    problems.append(f"{where}: {key} {ev[key]!r} != {art[key]!r} in {art['file']}")
            fact = ev["fact"]
            if fact not in art["text"]:
                problems.append(f"{where}: fact not found verbatim in {art['file']}: {fact!r}")
            elif art["lines"] is not None and not any(fact in ln for ln in art["lines"]):
                problems.append(f"{where}: fact wraps across PDF lines in {art['file']}: {fact!r}")
            if not (fact[:1].isupper() or fact[:1] == '"') or not fact.rstrip('"').endswith("."):
                problems.append(f"{where}: fact does not look like one whole sentence: {fact!r}")
    for p in problems:
        print("FAIL", p)
    print(f"{len(arts)} articles, {len(seen)} questions {counts}: "
          + ("all facts verified" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
