"""A seeded fuzz folder of hostile inputs beside good articles, ingested through the real CLI.

Every kind of bad input the fuzzer found (random bytes under every suffix, deep JSON and
YAML, huge numbers, impossible dates and epochs, overlong lines, absurd URL hosts, control
characters in names and fields, symlink loops, a FIFO, a link to /dev/zero, an oversized
file, the same text under several names) must be named on one line of its own, every good
article must be indexed, and a rerun must embed nothing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import string
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from index.store import IndexStore, StoreOptions
from ingest.readers import SUPPORTED_SUFFIXES
from tests.conftest import SAMPLE, cli

SEED = 20261129
SAMPLE_ARTICLES = 12  # data/sample/articles holds 12 articles in 10 files
RANDOM_PER_KIND_AND_SUFFIX = 8

_WORDS = {
    "who": ["The council", "A mining company", "The ministry", "Regulators", "The port authority", "Farmers", "The central bank"],
    "did": ["approved", "delayed", "criticised", "announced", "expanded", "reviewed", "cancelled"],
    "what": ["a new budget", "the copper export plan", "a road project", "its lithium quota", "the water tariff", "a school programme"],
    "when": ["on Monday", "on Tuesday", "last week", "in October", "this morning", "after a long debate"],
    "why": ["after protests", "to cut costs", "because prices fell", "as demand rose", "under pressure from lenders", "despite objections"],
}


def prose(rng: random.Random, sentences: int = 6) -> str:
    """Unique, plausible article text: seeded sentences from a small vocabulary, with a serial number."""
    out = []
    for _ in range(sentences):
        parts = [rng.choice(_WORDS[k]) for k in ("who", "did", "what", "when", "why")]
        out.append(" ".join(parts) + f", officials said in statement {rng.randrange(10**9)}.")
    return " ".join(out[:3]) + "\n\n" + " ".join(out[3:])


def random_bytes(rng: random.Random, kind: str, size: int) -> bytes:
    """Random bytes, random printable ASCII or random code points (as UTF-8)."""
    if kind == "bytes":
        return bytes(rng.getrandbits(8) for _ in range(size))
    if kind == "ascii":
        return "".join(rng.choice(string.printable) for _ in range(size)).encode()
    chars = []
    while len(chars) < size // 2:
        code = rng.randrange(0x20, 0x110000)
        if not 0xD800 <= code <= 0xDFFF:
            chars.append(chr(code))
    return "".join(chars).encode("utf-8")


@dataclass
class Corpus:
    """The folder and what ingest must say about it."""

    root: Path
    failed: list[str] = field(default_factory=list)  # each name (as printed) on exactly one "failed" line
    skipped: list[str] = field(default_factory=list)  # each on exactly one "skipped" line
    good: int = SAMPLE_ARTICLES  # articles that must be indexed
    undated: list[str] = field(default_factory=list)  # titles of indexed articles whose bad date must be dropped

    def bad(self, name: str, data: bytes | str) -> None:
        write(self.root / name, data)
        self.failed.append(name)

    def ok(self, name: str, data: bytes | str, articles: int = 1) -> None:
        write(self.root / name, data)
        self.good += articles


def write(path: Path, data: bytes | str) -> None:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def build(root: Path) -> Corpus:
    """The hostile folder; deterministic for one seed."""
    rng = random.Random(SEED)
    root.mkdir()
    shutil.copytree(SAMPLE, root / "sample")
    c = Corpus(root)

    for kind in ("bytes", "ascii", "unicode"):
        for suffix in SUPPORTED_SUFFIXES:
            for i in range(RANDOM_PER_KIND_AND_SUFFIX):
                size = rng.choice([16, 64, 200, 500, 1000, 3000])
                c.bad(f"rand-{kind}-{i}{suffix}", random_bytes(rng, kind, size))
    c.bad("empty.txt", b"")
    c.bad("empty.pdf", b"")
    c.bad("pdf-header-only.pdf", b"%PDF-1.7\n" + random_bytes(rng, "bytes", 500))

    # Nesting: deeper than Python's parser recursion, and deeper than the 64-level limit.
    c.bad("deep-list.json", "[" * 100_000 + "]" * 100_000)
    c.bad("deep-object.json", '{"a":' * 50_000 + "1" + "}" * 50_000)
    c.bad("deep-line.jsonl", '{"body": ' + "[" * 60_000 + "]" * 60_000 + "}\n")
    c.bad("deep-record.json", json.dumps({"body": prose(rng), "extra": _nested(100)}))
    c.bad("deep-flow.md", "---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n" + prose(rng))
    c.bad("deep-block.md", "---\n" + "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v: 1\n---\n" + prose(rng))

    # Numbers: 5,001 digits anywhere, impossible epochs and dates (text fine, so indexed undated).
    c.bad("huge-number.json", "1" * 5001)
    for n, value in enumerate(["1" * 5001, "1e17", "1e300", "Infinity", "-Infinity", "NaN", "99999", "-1", "0", "true",
                               '"2025-13-45"', '"2025-02-30"', '"99999"', '"' + "9" * 5001 + '"', '"2999-01-01"']):
        title = f"Undated report {n}"
        c.ok(f"bad-date-{n}.json", '{"title": "%s", "body": %s, "published_at": %s}' % (title, json.dumps(prose(rng)), value))
        c.undated.append(title)
    for n, value in enumerate(["2025-13-45", "2025-02-30", "1" * 5001, "99999", "1e17", ".inf", "1850-01-01"]):
        title = f"Undated front matter {n}"
        c.ok(f"bad-yaml-date-{n}.md", f"---\ntitle: {title}\npublished_at: {value}\n---\n{prose(rng)}\n")
        c.undated.append(title)

    # Length: one overlong line; absurd URL hosts (indexed, but no publisher from them).
    c.bad("long-line.txt", "word " * 60_000)
    c.bad("long-line.md", "*a " * 100_000)
    c.bad("long-body.jsonl", json.dumps({"body": "Words and more words. " * 60_000}) + "\n")
    c.ok("long-host.json", json.dumps({"title": "Long host", "body": prose(rng), "url": "https://" + "a" * 100_000 + ".com/x"}))
    c.ok("dns-host.json", json.dumps({"title": "DNS host", "body": prose(rng), "url": "https://" + "b" * 300 + ".com/x"}))

    # Control characters in fields (indexed, stripped) and in file names (escaped when printed).
    c.ok("ansi-fields.json", json.dumps({"title": "\x1b[31mRed alert\x1b[0m", "source": "Daily\nTimes\x07",
                                         "author": "Ann\x1b]0;pwned\x07 Lee", "url": "https://example.com/\x1b[2Jansi",
                                         "body": prose(rng)}))
    c.ok("good\nname.txt", "Headline with a newline name\n\n" + prose(rng))
    c.ok("\x1b[2Jclear.md", "# Headline with an escape name\n\n" + prose(rng))
    for name in ("bad\nname.txt", "ansi\x1b[31mred.txt", "rtl\u202eexe.txt", "tab\tname.html"):
        write(root / name, random_bytes(rng, "ascii", 300))
    c.failed += ["bad\\nname.txt", "ansi\\x1b[31mred.txt", "rtl\\u202eexe.txt", "tab\\tname.html"]
    (root / os.fsdecode(b"latin\xff.txt")).write_text(prose(rng))
    c.failed.append("latin\\xff.txt")

    # Not regular files, and files too big to read.
    (root / "loop-a.txt").symlink_to(root / "loop-b.txt")
    (root / "loop-b.txt").symlink_to(root / "loop-a.txt")
    (root / "self-loop.md").symlink_to(root / "self-loop.md")
    (root / "broken-link.txt").symlink_to(root / "no-such-target.txt")
    (root / "zero.txt").symlink_to("/dev/zero")
    (root / "null.json").symlink_to("/dev/null")
    os.mkfifo(root / "pipe.txt")
    (root / "sub-loop").symlink_to(root)  # a folder link: not followed, not reported
    c.failed += ["loop-a.txt", "loop-b.txt", "self-loop.md", "broken-link.txt", "zero.txt", "null.json", "pipe.txt"]
    with open(root / "sparse-60mb.txt", "wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    c.failed.append("sparse-60mb.txt")
    try:
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(root / "sock.txt"))
        sock.close()
        c.failed.append("sock.txt")
    except OSError:  # a path too long for AF_UNIX on this machine
        pass

    # The same text under other names or URLs: indexed once.
    same = "Same story under four names\n\n" + prose(rng)
    for i in range(4):
        write(root / f"dup-{i}.txt", same)
    c.good += 1
    c.skipped += ["dup-1.txt", "dup-2.txt", "dup-3.txt"]
    body = prose(rng)
    c.ok("dup-urls.jsonl", "".join(json.dumps({"title": "Mirror", "body": body, "url": f"https://mirror{i}.example/a"}) + "\n"
                                   for i in range(3)))
    c.skipped += ["dup-urls.jsonl:line 2", "dup-urls.jsonl:line 3"]
    shutil.copy(SAMPLE / "congo-cobalt-quotas.txt", root / "zz-copy-of-cobalt.txt")
    c.skipped.append("zz-copy-of-cobalt.txt")
    return c


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value


def _lines_naming(lines: list[str], root: Path, name: str) -> list[str]:
    path = f"{root}/{name}"
    return [line for line in lines if line.split(None, 1)[1].startswith((f"{path}: ", f"{path}:line "))]


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")
def test_hostile_folder_names_every_bad_input_and_indexes_every_good_article(tmp_path):
    corpus = build(tmp_path / "hostile")
    index = tmp_path / "index"
    env = {"NEWSDESK_EMBEDDER": "fake"}
    first = cli("ingest", str(corpus.root), "--index", str(index), env=env)

    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "Traceback" not in output and "error: unexpected" not in output and "could not be read (" not in output
    assert "\x1b" not in output and "\u202e" not in output
    lines = first.stderr.splitlines()
    # Report lines, or the progress display (indented): a raw newline in a name would start a line with its tail.
    strays = [line for line in lines if line.strip() and not line.startswith(("failed ", "skipped ", " "))]
    assert strays == []
    failed = [line for line in lines if line.startswith("failed ")]
    skipped = [line for line in lines if line.startswith("skipped ")]
    for name in corpus.failed:
        assert len(_lines_naming(failed, corpus.root, name)) == 1, (name, _lines_naming(lines, corpus.root, name))
    for name in corpus.skipped:
        assert len(_lines_naming(skipped, corpus.root, name)) == 1, (name, _lines_naming(lines, corpus.root, name))
    assert (len(failed), len(skipped)) == (len(corpus.failed), len(corpus.skipped))
    summary = f"added {corpus.good}, updated 0, unchanged 0, skipped {len(corpus.skipped)}, failed {len(corpus.failed)}"
    assert summary in first.stdout

    stats = json.loads(cli("index", "stats", "--json", "--index", str(index)).stdout)
    assert stats["articles"] == corpus.good
    records = {r.title: r for r in IndexStore(StoreOptions(folder=index, embedder="fake")).articles().values()}
    assert all(not records[title].published_at for title in corpus.undated)
    assert all("1900-01-01" <= r.published_at <= "2100" for r in records.values() if r.published_at)
    assert records["Long host"].source == "" and records["Long host"].url == ""
    assert records["DNS host"].source == ""
    red = records["Red alert"]
    assert (red.source, red.author, red.url) == ("Daily Times", "Ann Lee", "https://example.com/ansi")
    for r in records.values():
        shown = r.title + r.source + r.author + r.url
        assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in shown), r
        assert len(r.title) <= 300 and len(r.source) <= 200

    again = cli("ingest", str(corpus.root), "--index", str(index), env=env)
    assert again.returncode == 1 and "error: unexpected" not in again.stderr
    assert (
        f"added 0, updated 0, unchanged {corpus.good}, skipped {len(corpus.skipped)}, failed {len(corpus.failed)} (0 chunks written)"
        in again.stdout
    )
    report = sorted(line for line in lines if line.startswith(("failed ", "skipped ")))
    assert sorted(line for line in again.stderr.splitlines() if line.startswith(("failed ", "skipped "))) == report
