"""Readers against hostile files: only regular files, size, line and nesting limits, huge
numbers, impossible dates, slow patterns, and any exception kept to its own file."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from ingest import limits, readers
from ingest.article import RawArticle, ReadFailure
from ingest.limits import check_lines, nesting_depth, time_budget
from ingest.metadata import parse_date
from ingest.read_text import markdown_to_text
from ingest.readers import iter_files, read_file

posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")
BODY = "Copper output fell in Chile in October, the mining ministry said on Monday."


def items(path: Path) -> list[RawArticle | ReadFailure]:
    """read_file in a thread, so a reader that blocks fails the test instead of hanging it."""
    out: list[RawArticle | ReadFailure] = []
    worker = threading.Thread(target=lambda: out.extend(read_file(path)), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), f"reading {path} blocked"
    return out


def failure(path: Path) -> str:
    (item,) = items(path)
    assert isinstance(item, ReadFailure), item
    assert "\n" not in item.reason
    return item.reason


# --- only regular files --------------------------------------------------------------


@posix_only
def test_fifo_and_device_links_are_refused_without_reading(tmp_path):
    os.mkfifo(tmp_path / "pipe.txt")
    (tmp_path / "zero.txt").symlink_to("/dev/zero")
    assert failure(tmp_path / "pipe.txt").startswith("a named pipe (FIFO), not a regular file")
    assert failure(tmp_path / "zero.txt").startswith("a character device (through a symbolic link)")
    found = {Path(f.path).name: f.reason for f in iter_files([tmp_path])}
    assert set(found) == {"pipe.txt", "zero.txt"}


@posix_only
def test_symlink_loops_and_broken_links_are_named(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    (tmp_path / "gone.md").symlink_to(tmp_path / "nowhere.md")
    (tmp_path / "folder-loop").symlink_to(tmp_path)
    found = {Path(f.path).name: f.reason for f in iter_files([tmp_path])}
    assert found == {
        "a.txt": "a symbolic link loop - fix or remove the link",
        "b.txt": "a symbolic link loop - fix or remove the link",
        "gone.md": "a broken symbolic link (its target does not exist) - fix or remove the link",
    }
    (explicit,) = iter_files([tmp_path / "a.txt"])
    assert explicit.reason == "a symbolic link loop - fix or remove the link"
    assert failure(tmp_path / "a.txt") == "a symbolic link loop - fix or remove the link"


def test_a_name_that_is_not_utf8_is_named_escaped(tmp_path):
    path = tmp_path / os.fsdecode(b"caf\xe9.txt")
    path.write_text(BODY)
    (found,) = iter_files([tmp_path])
    assert found.reason == "the file name is not valid UTF-8 - rename the file"
    assert found.where.endswith("caf\\xe9.txt")


def test_control_characters_in_names_are_escaped_in_where(tmp_path):
    path = tmp_path / "a\nb\x1b[31m\u202e.txt"
    path.write_bytes(b"")
    (item,) = items(path)
    assert item.where.endswith("a\\nb\\x1b[31m\\u202e.txt")


def test_files_over_the_size_limit_are_not_read(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:
        handle.truncate(limits.MAX_ARTICLE_FILE_BYTES + 1)
    assert failure(big) == "the file is 50.0 MB, over the 50.0 MB limit for its type - split it into smaller files"
    page = tmp_path / "page.html"
    with open(page, "wb") as handle:
        handle.truncate(limits.MAX_HTML_FILE_BYTES + 1)
    assert "over the 19.0 MB limit" in failure(page)


# --- lines, nesting, numbers, dates ---------------------------------------------------


def test_an_overlong_line_fails_the_file(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text("Headline\n\n" + "word " * 50_000)
    assert failure(path).startswith("the file has a line of 250,000 characters (line 3), over the 200,000 limit")
    with pytest.raises(Exception, match="over the 1,000,000 limit for one article"):
        check_lines("A short line.\n" * 80_000)


def test_pathological_markdown_lines_take_linear_time():
    for unit in ("*a ", "**a ", "_a ", "[a](", "![a](b", "~~a ", "# a  "):
        line = unit * (150_000 // len(unit))
        start = time.monotonic()
        markdown_to_text(line)
        assert time.monotonic() - start < 2, unit  # quadratic patterns took 9.5 s on 40,000 characters


def test_deep_json_fails_alone(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    assert failure(tmp_path / "deep.json") == "the JSON nests too deeply for Python to parse - an article is one flat object"
    nested: object = "x"
    for _ in range(70):
        nested = {"k": nested}
    lines = [json.dumps({"body": BODY}), "[" * 50_000 + "]" * 50_000, json.dumps({"body": BODY, "meta": nested})]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines) + "\n")
    got = items(tmp_path / "feed.jsonl")
    assert isinstance(got[0], RawArticle)
    assert [(f.locator, f.reason.split(" - ")[0]) for f in got[1:]] == [
        ("line 2", "the JSON nests too deeply for Python to parse"),
        ("line 3", "the object nests more than 64 levels deep"),
    ]


def test_huge_numbers_and_impossible_epochs_are_no_date(tmp_path):
    rows = [{"body": BODY, "published_at": v} for v in (99999, 1e17, 1e300, float("inf"), float("nan"), -5, True)]
    text = "\n".join(json.dumps(r) for r in rows) + "\n" + '{"body": "%s", "published_at": %s}\n' % (BODY, "1" * 5001)
    (tmp_path / "dates.jsonl").write_text(text)
    got = items(tmp_path / "dates.jsonl")
    assert len(got) == 8 and all(isinstance(a, RawArticle) for a in got)
    assert [a.published_at for a in got[:7]] == [""] * 7
    assert got[7].published_at == "1" * 5001  # kept as text; parse_date refuses it
    (tmp_path / "number.json").write_text("1" * 5001)
    assert "not an object" in failure(tmp_path / "number.json")


def test_yaml_front_matter_dates_numbers_and_nesting(tmp_path):
    def md(name: str, front: str) -> Path:
        path = tmp_path / name
        path.write_text(f"---\n{front}\n---\n{BODY}\n")
        return path

    (bad_month,) = items(md("a.md", "published_at: 2025-13-45"))
    (bad_day,) = items(md("b.md", "published_at: 2025-02-30"))
    (good,) = items(md("c.md", "published_at: 2025-10-02"))
    (huge,) = items(md("d.md", "published_at: " + "1" * 5001))
    assert (bad_month.published_at, bad_day.published_at, good.published_at) == ("2025-13-45", "2025-02-30", "2025-10-02")
    assert huge.published_at == "1" * 5001  # kept as text, never int(): parse_date refuses it
    assert parse_date(bad_month.published_at) is None and parse_date(huge.published_at) is None
    assert failure(md("e.md", "title: " + "[" * 5000 + "]" * 5000)).startswith("the front matter nests more than 64 levels")
    deep = "".join("  " * i + f"k{i}:\n" for i in range(80)) + "  " * 80 + "v: 1"
    assert failure(md("f.md", deep)).startswith("the front matter nests more than 64 levels")
    laughs = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi")
    )
    (bomb,) = items(md("g.md", laughs.rstrip()))
    assert isinstance(bomb, RawArticle)  # aliases are shared, never expanded


def test_nesting_depth_counts_without_recursion_and_stops_at_cycles():
    deep: list = []
    inner = deep
    for _ in range(10_000):
        inner.append([])
        inner = inner[0]
    assert nesting_depth(deep) == 65
    cycle: dict = {}
    cycle["self"] = cycle
    assert nesting_depth(cycle) == 1 and nesting_depth({"a": [1, {"b": 2}]}) == 3


# --- time budget and the file boundary -----------------------------------------------


def test_the_reading_time_budget_stops_a_slow_file(tmp_path, monkeypatch):
    (tmp_path / "feed.jsonl").write_text("".join(json.dumps({"body": BODY}) + "\n" for _ in range(5)))
    monkeypatch.setattr(limits, "READ_SECONDS", -1.0)
    with time_budget(0):  # the budget belongs to the thread that reads
        got = list(read_file(tmp_path / "feed.jsonl"))
    assert len(got) == 1 and got[0].reason.startswith("gave up after")


def test_an_unexpected_exception_fails_only_its_file(tmp_path, monkeypatch):
    def broken(path, fields):
        yield RawArticle(text=BODY)
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setitem(readers._READERS, ".txt", broken)
    (tmp_path / "a.txt").write_text(BODY)
    first, second = items(tmp_path / "a.txt")
    assert isinstance(first, RawArticle)
    assert second.reason.startswith("could not be read (RecursionError: maximum recursion depth exceeded)")


def test_a_folder_tree_deeper_than_the_recursion_limit_is_walked(tmp_path):
    top = deepest = tmp_path / "tree"
    top.mkdir()
    for _ in range(1100):  # os.walk recurses in Python 3.11 and raised RecursionError here
        deepest = deepest / "d"
        deepest.mkdir()  # one at a time: mkdir(parents=True) recurses too
    (deepest / "deep.txt").write_text(BODY)
    try:
        assert list(iter_files([top])) == [deepest / "deep.txt"]
    finally:
        (deepest / "deep.txt").unlink()
        while deepest != tmp_path:  # and so does shutil.rmtree
            deepest.rmdir()
            deepest = deepest.parent
