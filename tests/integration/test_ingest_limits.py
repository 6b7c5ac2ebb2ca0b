"""Resource limits of a real `newsdesk ingest` process: a FIFO, a link to /dev/zero and a
20 MB single-line file each end quickly, with a named reason, in bounded memory; and no
real article of the dev sets is refused by the limits or the quality gate.

Before the limits the FIFO blocked ingest forever, the /dev/zero link grew memory until
the machine ran out (4 GB in 5 s under `ulimit -v`), and a 20 MB line of words took 40 s
and 1.27 GB to become one 17,182-chunk "article". Measured here after: about 1.2 s and
142 MB peak RSS each (most of it the interpreter and imports).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ingest.pipeline import prepare_article
from ingest.readers import readable_articles
from tests.conftest import NEWSDESK, SAMPLE, data_file

pytestmark = pytest.mark.integration
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo") or not Path("/dev/zero").exists(), reason="needs a POSIX system")

SECONDS = 30
MAX_RSS_BYTES = 1_500_000_000
# Run the console script under a small parent that reports its peak RSS: the test process's
# own RUSAGE_CHILDREN would include every earlier test's subprocesses.
_MEASURE = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(json.dumps({"code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def ingest_measured(folder: Path, index: Path) -> tuple[dict, float]:
    """Run `newsdesk ingest folder` in its own process; its result, peak RSS (kB) and wall time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    env["NEWSDESK_EMBEDDER"] = "fake"
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(NEWSDESK), "ingest", str(folder), "--index", str(index)],
        capture_output=True, text=True, env=env, timeout=SECONDS * 4,
    )
    return json.loads(out.stdout), time.monotonic() - start


def _one_line_20mb(path: Path) -> None:
    rng = random.Random(7)
    words = "the council met on tuesday and approved a budget for roads and schools".split()
    with open(path, "w", encoding="utf-8") as handle:
        written = 0
        while written < 20_000_000:
            chunk = " ".join(rng.choice(words) for _ in range(10_000)) + " "
            handle.write(chunk)
            written += len(chunk)


@posix_only
@pytest.mark.parametrize("kind", ["fifo", "dev-zero-link", "20mb-line"])
def test_each_hostile_file_ends_fast_with_a_reason_in_bounded_memory(tmp_path, kind):
    folder = tmp_path / "in"
    folder.mkdir()
    if kind == "fifo":
        name, reason = "pipe.txt", "a named pipe (FIFO), not a regular file"
        os.mkfifo(folder / name)
    elif kind == "dev-zero-link":
        name, reason = "zero.txt", "a character device (through a symbolic link), not a regular file"
        (folder / name).symlink_to("/dev/zero")
    else:
        name, reason = "oneline.txt", "the file has a line of 20,0"
        _one_line_20mb(folder / name)
    (folder / "good.txt").write_text("Copper climbs\n\nCopper output fell in Chile in October, the ministry said.\n")

    result, seconds = ingest_measured(folder, tmp_path / "index")
    print(f"{kind}: {seconds:.1f} s, peak RSS {result['maxrss_kb'] / 1024:.0f} MB")
    assert seconds < SECONDS
    assert result["maxrss_kb"] * 1024 < MAX_RSS_BYTES
    assert result["code"] == 1, result
    failed = [line for line in result["stderr"].splitlines() if line.startswith("failed")]
    assert len(failed) == 1 and f"{folder / name}: {reason}" in failed[0], failed
    assert "added 1," in result["stdout"] and "error:" not in result["stderr"]


def test_no_real_article_is_refused():
    """Every article of the sample and both dev sets passes the limits and the quality gate."""
    paths = [SAMPLE, data_file("multihop-rag", "articles.jsonl"), data_file("realtimeqa", "articles.jsonl")]
    refused, n = [], 0
    for raw in readable_articles(paths):
        n += 1
        try:
            prepare_article(raw)
        except ValueError as exc:
            refused.append((raw.where, str(exc)))
    assert n >= 4_684 and refused == []
