"""The parts the settings name, built in one place: the index store and the embedder.

(LLM backends have their own registry in `newsdesk.llms`.) Lower layers never see the
Settings object: they get the options and objects made here.
"""

from __future__ import annotations

from index.embedders import Embedder, make_embedder
from index.store import IndexStore
from newsdesk.settings import Settings


def open_store(settings: Settings, *, create: bool = False) -> IndexStore:
    """The index the settings point at; a missing embedded index raises NoIndexError unless `create`."""
    return IndexStore(settings.store_options(), create=create)


def embedder_for(store: IndexStore, settings: Settings) -> Embedder:
    """The embedder whose vectors `store` holds (its own, or the one the settings name)."""
    return embedder_named(store.embedder, settings)


def embedder_named(key: str, settings: Settings) -> Embedder:
    """The embedder `key` names ('minilm-int8', 'minilm', 'fake'), with the settings' cache and batch size."""
    return make_embedder(
        key, model_cache=settings.model_cache, batch_size=settings.embed_batch_size, workers=settings.embed_workers
    )
