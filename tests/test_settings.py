from pathlib import Path

import pytest

from newsdesk.settings import SettingsError, load_settings


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.index == Path(".newsdesk/index")
    assert s.chroma_url is None
    assert s.embedder == "minilm-int8"


def test_precedence_file_env_flag(tmp_path, monkeypatch):
    cfg = tmp_path / "custom.toml"
    cfg.write_text('index = "from-file"\nembedder = "fake"\nchunk_tokens = 128\n')
    assert load_settings(cfg).index == Path("from-file")
    monkeypatch.setenv("NEWSDESK_INDEX", "from-env")
    s = load_settings(cfg)
    assert s.index == Path("from-env")
    assert s.embedder == "fake" and s.chunk_tokens == 128
    assert load_settings(cfg, index=Path("from-flag")).index == Path("from-flag")


def test_default_config_file_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "newsdesk.toml").write_text('[newsdesk]\nchroma_url = "http://127.0.0.1:9000/"\n')
    assert load_settings().chroma_url == "http://127.0.0.1:9000"


def test_bad_values_give_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSDESK_CHUNK_TOKENS", "9999")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "chunk_tokens" in str(err.value) and "\n" not in str(err.value)
    monkeypatch.delenv("NEWSDESK_CHUNK_TOKENS")
    with pytest.raises(SettingsError, match="chroma_url"):
        load_settings(chroma_url="localhost:8000")


def test_bad_config_files(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("index = [unclosed\n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(bad)
    typo = tmp_path / "typo.toml"
    typo.write_text('indx = "x"\n')
    with pytest.raises(SettingsError, match="indx"):
        load_settings(typo)
