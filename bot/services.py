"""The one place where configuration turns into backends and an :class:`~rag.Engine`.

Backends are chosen by name from small registries; nothing is built at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rag import ConfigError, Engine
from rag.embed import Embedder, LocalUSEEmbedder
from rag.generate import ExtractiveGenerator, Generator
from rag.stores.base import ChunkStore
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer, Summarizer

from .config import Settings


def _sqlite_store(settings: Settings) -> ChunkStore:
    return SQLiteStore(settings.sqlite_path, busy_timeout=settings.busy_timeout)


STORES: dict[str, Callable[[Settings], ChunkStore]] = {"sqlite": _sqlite_store}
EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {"local": lambda s: LocalUSEEmbedder()}
SUMMARIZERS: dict[str, Callable[[Settings], Summarizer]] = {
    "none": lambda s: ExtractiveSummarizer()
}
GENERATORS: dict[str, Callable[[Settings], Generator]] = {"none": lambda s: ExtractiveGenerator()}


T = TypeVar("T")


def _pick(
    registry: dict[str, Callable[[Settings], T]], name: str, what: str, settings: Settings
) -> T:
    try:
        factory = registry[name]
    except KeyError:
        raise ConfigError(
            f"The {what} backend {name!r} is not available in this build of gencode."
        ) from None
    return factory(settings)


def build_engine(settings: Settings) -> Engine:
    store = _pick(STORES, settings.store, "store", settings)
    try:
        return Engine(
            store=store,
            embedder=_pick(EMBEDDERS, settings.embedder, "embedder", settings),
            summarizer=_pick(SUMMARIZERS, settings.llm, "summarizer", settings),
            generator=_pick(GENERATORS, settings.llm, "generator", settings),
            max_file_bytes=settings.max_file_bytes,
        )
    except BaseException:
        store.close()
        raise
