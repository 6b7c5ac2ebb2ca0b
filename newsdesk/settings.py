"""The one settings object: defaults < newsdesk.toml (or --config) < NEWSDESK_* env < flags."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONFIG_FILE = "newsdesk.toml"


class SettingsError(ValueError):
    """A settings file or value is wrong; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything newsdesk can be configured with. Env vars are NEWSDESK_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="forbid")

    # Where the index lives: an embedded Chroma folder, or a server when chroma_url is set.
    index: Path = Field(Path(".newsdesk/index"), description="Index folder (Chroma data, BM25 cache).")
    chroma_url: str | None = Field(None, description="Chroma server URL, e.g. http://127.0.0.1:8000.")
    collection: str = Field("newsdesk", description="Chroma collection name prefix.")

    # Embedding.
    embedder: Literal["minilm", "fake"] = Field("minilm", description="Embedding model.")
    embed_batch_size: int = Field(32, ge=1, le=1024)
    chunk_tokens: int = Field(
        200, ge=32, le=256, description="Max embedder tokens per chunk, metadata prefix included."
    )

    # Ingest.
    ingest_batch_articles: int = Field(
        16, ge=1, description="Articles written to the index per atomic step."
    )

    @field_validator("chroma_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")


def _read_config_file(path: Path | None) -> dict[str, Any]:
    if path is None:
        default = Path(DEFAULT_CONFIG_FILE)
        if not default.is_file():
            return {}
        path = default
    if not path.is_file():
        raise SettingsError(f"{path}: config file not found - check the --config path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}) - fix the file") from None
    # Allow either top-level keys or a [newsdesk] table.
    return dict(data.get("newsdesk", data))


def _one_line(exc: ValidationError, origin: str) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "settings"
    env = f"NEWSDESK_{field.upper()}"
    return f"setting '{field}' ({env} or {origin}): {err['msg']}"


def load_settings(config: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings: flags (non-None `overrides`) > env > config file > defaults."""
    flags = {k: v for k, v in overrides.items() if v is not None}
    file_values = _read_config_file(config)
    origin = str(config or DEFAULT_CONFIG_FILE)
    try:
        from_env_and_flags = Settings(**flags)
        explicit = {k: getattr(from_env_and_flags, k) for k in from_env_and_flags.model_fields_set}
        return Settings(**{**file_values, **explicit})
    except ValidationError as exc:
        raise SettingsError(_one_line(exc, origin)) from None
