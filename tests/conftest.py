"""Shared fixtures: settings on a temporary index with the fake embedder, data paths."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    from ingest.pipeline import ingest_paths
    from newsdesk.embedding import FakeEmbedder

    settings = load_settings(None, index=tmp_path_factory.mktemp("sample") / "index", embedder="fake", llm="fake")
    report = ingest_paths([SAMPLE], settings, embedder_factory=lambda s: FakeEmbedder())
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


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600):
    """Run `python -m newsdesk ARGS` in a subprocess, as a user would."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "newsdesk", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=timeout,
    )
