"""The one settings object: defaults < newsdesk.toml (or --config) < NEWSDESK_* env < flags."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.errors import UsageError
from index.store import StoreOptions
from ingest.pipeline import IngestOptions

DEFAULT_CONFIG_FILE = "newsdesk.toml"


class SettingsError(UsageError):
    """A settings file or value is wrong; the message is one line naming it."""


class Settings(BaseSettings):
    """Everything newsdesk can be configured with. Env vars are NEWSDESK_<FIELD>."""

    model_config = SettingsConfigDict(env_prefix="NEWSDESK_", extra="forbid")

    # Where the index lives: an embedded Chroma folder, or a server when chroma_url is set.
    index: Path = Field(Path(".newsdesk/index"), description="Index folder (Chroma data, BM25 cache).")
    chroma_url: str | None = Field(None, description="Chroma server URL, e.g. http://127.0.0.1:8000.")
    collection: str = Field("newsdesk", description="Chroma collection name prefix.")

    # Embedding.
    embedder: Literal["minilm-int8", "minilm", "fake"] = Field(
        "minilm-int8",
        description="Embedding model: all-MiniLM-L6-v2 as int8 ONNX (minilm-int8) or fp32 torch (minilm); "
        "fake is deterministic hashing, for tests. An index keeps the embedder that built it: "
        "left unset, an existing index's own embedder is used.",
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts per batch of the fp32 torch embedder.")
    embed_workers: int = Field(
        0, ge=0, le=16, description="Texts the int8 embedder runs at once, one core each; 0 = one per core (at most 4)."
    )
    chunk_tokens: int = Field(
        200, ge=32, le=256, description="Max embedder tokens per chunk, metadata prefix included."
    )
    chunk_prefix: Literal["title", "title-source-date"] = Field(
        "title",
        description="What each chunk is embedded with in front of its text; publisher and date are "
        "in the keyword index either way.",
    )

    # Ingest.
    ingest_batch_articles: int = Field(
        16, ge=1, description="Articles written to the index per atomic step."
    )

    # Retrieval.
    top_k: int = Field(8, ge=1, le=100, description="Chunks retrieved per question after fusion.")

    # LLM: one switch picks the backend; each backend reads its own fields.
    llm: Literal["local", "tiny", "openai", "ollama", "fake"] = Field(
        "local", description="Which LLM answers."
    )
    model_cache: Path = Field(
        Path("~/.cache/newsdesk/models"), description="Where the local GGUF is assembled once."
    )
    llm_threads: int = Field(2, ge=1, description="CPU threads for the local LLM.")
    # Off by default: on the 2-core AVX2 build machine llama.cpp's repacked Q4_K kernels read
    # prompts 12-15% slower than its plain ones, and answers held up without them (MultiHop-RAG
    # dev accuracy 0.548 -> 0.583, first token p50 10.7 -> 8.4 s; eval/reports/model_levers.md).
    # Other CPUs may differ: `python -m eval.bench_model --levers default,norepack` measures it.
    llm_repack: bool = Field(
        False, description="Let llama.cpp repack the local model's weights for its CPU kernels (eval/reports/model_levers.md)."
    )
    llm_context: int = Field(4096, ge=512, description="Context window (tokens) for the local LLM.")
    llm_max_tokens: int = Field(256, ge=16, description="Most tokens an answer may generate.")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds to wait for a hosted LLM.")
    openai_base_url: str = Field("http://127.0.0.1:8080/v1", description="OpenAI-compatible base URL.")
    openai_api_key: str = Field("", description="API key for the OpenAI-compatible endpoint.")
    openai_model: str = Field("gpt-4o-mini", description="Model name at the OpenAI-compatible endpoint.")
    ollama_url: str = Field("http://127.0.0.1:11434", description="Ollama server URL.")
    ollama_model: str = Field("qwen2.5:1.5b-instruct", description="Ollama model name.")
    verdicts: bool = Field(
        True,
        description="Answer yes/no questions from the LLM's probabilities of Yes, No and Insufficient "
        "(one token), citing the best sentence of each article involved; false: the free-form answer prompt.",
    )
    evidence_sides: bool = Field(
        True,
        description="A question naming two or more publishers or dates gets a search per named side and the best "
        "sentence of each in the prompt, or a fact line saying which side the search found nothing from.",
    )
    order_facts: bool = Field(
        True,
        description="A question about order in time (before, after, earlier, same day) gets a citable fact line "
        "stating the publication order of the articles involved, computed from their dates.",
    )
    complete_citations: bool = Field(
        True,
        description="After verification, each supported claim also cites the other shown sentences that support it "
        "(from another article, or adding support), not only the one the model chose.",
    )
    hosted_concurrency: int = Field(
        4, ge=1, le=64,
        description="Questions answered at once when the LLM is hosted (openai, ollama); the local model answers one at a time.",
    )
    fake_llm_script: Path | None = Field(
        None, description="JSON file of scripted replies for the fake LLM (tests)."
    )

    # The chat window (`newsdesk serve`).
    ui_auth: str | None = Field(
        None, description="USER:PASS to require a login on the chat window (for a shared server)."
    )
    upload_max_mb: int = Field(20, ge=1, le=1024, description="Largest article file the UI accepts (MB).")

    def store_options(self) -> StoreOptions:
        """Where the index lives and which embedder it holds, for `index.store.IndexStore`.

        An embedder left unset follows an existing index's own; one named explicitly
        (flag, env, config file) must match it.
        """
        return StoreOptions(
            folder=Path(self.index),
            chroma_url=self.chroma_url,
            collection=self.collection,
            embedder=self.embedder,
            follow_index="embedder" not in self.model_fields_set,
        )

    def ingest_options(self) -> IngestOptions:
        """Chunk size and write batch for `ingest.pipeline.ingest_paths`."""
        return IngestOptions(
            chunk_tokens=self.chunk_tokens, chunk_prefix=self.chunk_prefix, batch_articles=self.ingest_batch_articles
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
