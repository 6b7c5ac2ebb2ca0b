"""Shared fixtures: settings on a temporary index with the fake embedder, data paths."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import main
from index.embedders import FakeEmbedder
from newsdesk.articles import add_articles
from newsdesk.settings import Settings, load_settings

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seed" / "critical-minerals-article.txt"
DATA = SHARED / "data"
SAMPLE = REPO / "data" / "sample" / "articles"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """Tests never see the developer's NEWSDESK_* variables or newsdesk.toml."""
    for key in list(os.environ):
        if key.startswith("NEWSDESK_"):
            monkeypatch.delenv(key)


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Settings for an empty embedded index with the deterministic fake embedder."""
    return load_settings(None, index=tmp_path / "index", embedder="fake")


@pytest.fixture(scope="module")
def sample_settings(tmp_path_factory) -> Settings:
    """Settings over an index of the sample articles (fake embedder, fake LLM), one per test module."""
    settings = load_settings(None, index=tmp_path_factory.mktemp("sample") / "index", embedder="fake", llm="fake")
    report = add_articles([SAMPLE], settings, embedder_factory=FakeEmbedder)
    assert report.ok, report.failed
    return settings


@pytest.fixture
def seed_path() -> Path:
    if not SEED.is_file():
        pytest.skip(f"seed article not found at {SEED} (../shared is absent on this machine)")
    return SEED


def data_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason."""
    path = DATA.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"{path} is absent: the shared evaluation data is not on this machine")
    return path


NEWSDESK = Path(sys.executable).parent / "newsdesk"  # the console script `make install` puts in the venv


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600):
    """Run the `newsdesk` command in a subprocess, as a user would.

    Slow (a new Python and every import per call): use `cli` unless the process boundary
    itself is under test.
    """
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    full_env.update(env or {})
    return subprocess.run(
        [str(NEWSDESK), *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=timeout,
    )


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the `newsdesk` entry point (`app.cli.main`) in this process, like `run_cli` without the new process.

    Same result type as `run_cli` (`returncode`, `stdout`, `stderr`): stdout and stderr are
    captured apart by typer's CliRunner (neither is a tty, as with a pipe). `env` applies to this
    call only, on top of os.environ without NEWSDESK_* (as `run_cli` builds it); the working
    directory is `cwd` (default the repo) for the call and restored after.
    """
    overrides: dict[str, str | None] = {k: None for k in os.environ if k.startswith("NEWSDESK_")}
    overrides.update(env or {})
    runner = CliRunner()
    returncode = 0
    old_cwd = os.getcwd()
    os.chdir(cwd or REPO)
    try:
        with runner.isolation(env=overrides) as (out, err, _mixed):
            try:
                main(list(args), prog_name="newsdesk")
            except SystemExit as exc:  # what the interpreter does with it at exit
                if exc.code is None or isinstance(exc.code, int):
                    returncode = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
                    returncode = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
            stdout = out.getvalue().decode(runner.charset, "replace")
            stderr = err.getvalue().decode(runner.charset, "replace")
    finally:
        os.chdir(old_cwd)
    return subprocess.CompletedProcess(["newsdesk", *args], returncode, stdout, stderr)


def chroma(store):
    """The raw Chroma collections of a store (`.chunks`, `.manifest`), for tests that inspect
    or fake what a store wrote. Single-process tests only: the access lock is not held."""
    with store._conn.reading() as cols:
        return cols


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` server on a free port of 127.0.0.1, for the test; yields its URL."""
    binary = Path(sys.executable).with_name("chroma")
    if not binary.exists():
        binary = Path(shutil.which("chroma") or "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [str(binary), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start listening within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


TOPICS = ["copper", "cobalt", "lithium", "nickel", "antimony", "gallium", "graphite", "tin", "zinc", "uranium"]
PLACES = ["Chile", "Peru", "Congo", "Zambia", "Indonesia", "Australia", "Canada", "Pakistan", "Bolivia", "Namibia"]


def make_articles(folder, prefix, count):
    """Write `count` small, distinct Markdown articles (front matter with title, source, date) into `folder`."""
    folder.mkdir(parents=True)
    for i in range(count):
        topic, place = TOPICS[i % len(TOPICS)], PLACES[(i // len(TOPICS)) % len(PLACES)]
        (folder / f"{prefix}-{i:04d}.md").write_text(
            f"---\ntitle: {topic.title()} output in {place}, report {prefix} {i}\nsource: Wire {i % 7}\n"
            f"published_at: 2025-{1 + i % 12:02d}-{1 + i % 28:02d}\n---\n"
            f"Miners in {place} said {topic} output rose {i % 40 + 2} percent in the quarter ending in "
            f"September, according to the ministry's figures for report {prefix} number {i}.\n\n"
            f"Officials expect exports of {topic} to keep growing next year as new plants open, "
            f"while traders watch prices on the London Metal Exchange closely.\n",
            encoding="utf-8",
        )
