"""Readers for plain text (.txt) and Markdown (.md, .markdown) files.

Markdown front matter gives the metadata (keys as in JSON, see field_mapping.py), and the
body is turned into plain text by markdown_to_text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from ingest.article import RawArticle, ReadError
from ingest.clean import is_boilerplate_line
from ingest.decode import file_text
from ingest.field_mapping import article_from_mapping
from ingest.limits import MAX_NESTING, check_lines, nesting_depth
from ingest.titles import looks_like_title, title_from_filename

# A YAML integer longer than this stays a string: int() of over 4,300 digits raises.
_YAML_INT_MAX_CHARS = 40

# --- .txt ----------------------------------------------------------------------------


def read_txt(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    """The article in a plain-text file: a header block of "Key: value" lines at the top
    gives metadata (see split_header_block), a headline-like first line the title."""
    text = file_text(path)
    check_lines(text, "the file")
    article = text_article(text)
    article.title = article.title or title_from_filename(path)
    yield article


def text_article(text: str) -> RawArticle:
    """The article in plain text (a .txt file or a text/plain page): metadata from a header
    block, the title from a headline-like first line ("" when there is none)."""
    meta, text = split_header_block(text)
    lines = text.splitlines()
    title = meta.pop("title", "")
    for i, line in enumerate(lines):
        if not line.strip() or is_boilerplate_line(line):
            continue
        same = title and " ".join(line.split()) == " ".join(title.split())
        if (same or (not title and looks_like_title(line))) and any(rest.strip() for rest in lines[i + 1 :]):
            title = title or " ".join(line.split())
            text = "\n".join(lines[:i] + lines[i + 1 :])
        break
    return RawArticle(text=text, title=title, **meta)


# "Source: Daily Times" and the like; the value runs to the end of the line.
_HEADER_LINE = re.compile(r"(?i)(source|publisher|date|published|url|author|title)[ \t]*:(.*)")
_HEADER_FIELDS = {
    "source": "source",
    "publisher": "source",
    "date": "published_at",
    "published": "published_at",
    "url": "url",
    "author": "author",
    "title": "title",
}
_MAX_HEADER_LINES = 12
_MAX_HEADER_LINE_CHARS = 2100  # a URL of 2,048 characters and its key; longer is body text


def split_header_block(text: str) -> tuple[dict[str, str], str]:
    """A metadata header at the top of plain text, and the text after it.

    The header is the lines before the first blank line when every one of them is
    "Key: value" with a known key (Source/Publisher, Date/Published, URL, Author, Title;
    any case) and text follows; otherwise there is no header and the text is unchanged
    (so a first paragraph such as "Note: prices fell." stays body text). Returns
    ({field: value}, the rest) with fields named as RawArticle's; a key given twice keeps
    its first value.
    """
    lines = text.split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    meta: dict[str, str] = {}
    end = start
    while end < len(lines) and lines[end].strip():
        line = lines[end].strip()
        match = _HEADER_LINE.fullmatch(line) if len(line) <= _MAX_HEADER_LINE_CHARS else None
        value = match.group(2).strip() if match else ""
        if not value or end - start >= _MAX_HEADER_LINES:
            return {}, text
        meta.setdefault(_HEADER_FIELDS[match.group(1).lower()], value)
        end += 1
    rest = "\n".join(lines[end:])
    if not meta or not rest.strip():
        return {}, text
    return meta, rest


# --- .md -----------------------------------------------------------------------------


def read_markdown(path: Path, fields: dict[str, str]) -> Iterator[RawArticle]:
    """The article in a Markdown file: metadata from YAML front matter, title from the first "# " heading."""
    text = file_text(path)
    check_lines(text, "the file")
    meta, body = _split_front_matter(text)
    article = article_from_mapping(meta, fields, text_required=False)
    heading, plain = markdown_to_text(body)
    article.text = plain
    if not article.title:
        article.title = heading or title_from_filename(path)
    elif heading and " ".join(heading.split()) != " ".join(article.title.split()):
        article.text = f"{heading}\n\n{plain}"  # a different heading is part of the body
    yield article


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise ReadError("front matter opens with --- but has no closing --- line - add it")
    import yaml

    try:
        meta = yaml.load("\n".join(lines[1:end]), Loader=_front_matter_loader()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ReadError(f"bad YAML front matter{at}: {problem} - fix the block between the --- lines") from None
    except RecursionError:
        raise ReadError(_TOO_DEEP) from None
    except (ValueError, OverflowError) as exc:  # a value the YAML constructors can't build
        first = (str(exc).splitlines() or [""])[0][:200]
        raise ReadError(f"bad YAML front matter: {first} - fix the block between the --- lines") from None
    if not isinstance(meta, dict):
        raise ReadError("the front matter is not a set of 'key: value' lines - fix the block between the --- lines")
    if nesting_depth(meta) > MAX_NESTING:
        raise ReadError(_TOO_DEEP)
    return meta, "\n".join(lines[end + 1 :])


_TOO_DEEP = f"the front matter nests more than {MAX_NESTING} levels deep - article metadata is flat 'key: value' lines"


@cache
def _front_matter_loader() -> Any:
    """PyYAML's safe loader, except that dates stay text (parse_date checks them, where
    YAML's own constructor raises on 2025-02-30) and very long integers stay text."""
    import yaml

    class FrontMatterLoader(yaml.SafeLoader):
        pass

    def long_int_as_text(loader: Any, node: Any) -> Any:
        value = loader.construct_scalar(node)
        if len(value) > _YAML_INT_MAX_CHARS:
            return value
        return yaml.SafeLoader.construct_yaml_int(loader, node)

    FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    FrontMatterLoader.add_constructor("tag:yaml.org,2002:int", long_int_as_text)
    return FrontMatterLoader


_MD_FENCE = re.compile(r"^\s*(```|~~~)")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+")  # the text and closing #s: _heading_text
_MD_RULE = re.compile(r"^\s{0,3}([-*_=])(?:\s*\1){2,}\s*$")
_MD_LIST = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_MD_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s+\S+")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
# Every pattern scans no further than the next delimiter of its kind (no ".+?" to the end
# of the line), so a line full of unmatched "*" or "[" costs linear, not quadratic, time.
_MD_LINK_DEST = r"\((?:[^()]|\([^()]*\))*\)"  # (url "title"), one level of parentheses inside
_MD_INLINE = [
    (re.compile(r"!\[[^\[\]]*\]" + _MD_LINK_DEST + r"|!\[[^\[\]]*\]\[[^\[\]]*\]"), ""),  # images
    (re.compile(r"\[([^\[\]]+)\]" + _MD_LINK_DEST), r"\1"),  # [text](url)
    (re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<(https?://[^<>\s]+)>"), r"\1"),  # <http://autolink>
    (re.compile(r"</?[A-Za-z][^<>]*>"), ""),  # inline HTML tags
    (re.compile(r"`+([^`]+?)`+"), r"\1"),  # `code`
    (re.compile(r"(?<!\\)\*\*(?=[^\s*])([^*]+?)(?<=\S)\*\*"), r"\1"),  # **strong**
    (re.compile(r"(?<!\\)__(?=[^\s_])([^_]+?)(?<=\S)__"), r"\1"),  # __strong__
    (re.compile(r"(?<![\w\\*])\*(?=[^\s*])([^*]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # *em*
    (re.compile(r"(?<![\w\\])_(?=[^\s_])([^_]+?)(?<=\S)_(?!\w)"), r"\1"),  # _em_
    (re.compile(r"~~(?=[^\s~])([^~]+?)(?<=\S)~~"), r"\1"),  # ~~strike~~
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!>~|])"), r"\1"),  # backslash escapes
]


def markdown_to_text(body: str) -> tuple[str, str]:
    """Plain text of a Markdown body, and its first "# " heading (removed from the text).

    Markup is stripped (headings, emphasis, code ticks, images, links, list markers,
    block quotes); soft-wrapped lines of a paragraph are joined with spaces.
    """
    out: list[str] = []
    title = ""
    in_fence = False
    joinable = False  # may the next plain line continue the previous output line?
    for raw in body.split("\n"):
        if _MD_FENCE.match(raw):
            in_fence = not in_fence
            joinable = False
            continue
        if in_fence:
            out.append(raw.rstrip())
            continue
        heading = _MD_HEADING.match(raw)
        if heading:
            text = _md_inline(_heading_text(raw[heading.end() :]))
            if not title and heading.group(1) == "#":
                title = text
            else:
                out.extend(["", text, ""])
            joinable = False
            continue
        if _MD_RULE.match(raw) or _MD_REF_DEF.match(raw) or _MD_TABLE_RULE.match(raw):
            joinable = False
            continue
        line = _MD_QUOTE.sub("", raw)
        starts_item = bool(_MD_LIST.match(line))
        line = _md_inline(_MD_LIST.sub("", line, count=1)).strip()
        if not line:
            out.append("")
            joinable = False
        elif joinable and not starts_item:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
            joinable = True
    return title, re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _heading_text(rest: str) -> str:
    """A heading's text without its optional closing #s ("Title ##" -> "Title")."""
    rest = rest.strip()
    bare = rest.rstrip("#")
    return bare.rstrip() if bare != rest and (not bare or bare[-1].isspace()) else rest


def _md_inline(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text
