"""Shared fixtures: a clean environment per test, the real local embedder loaded once,
and engines over SQLite in ``tmp_path``. Only models may be faked; stores and servers are real."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from rag import Engine
from rag.embed import LocalUSEEmbedder, Matrix
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer
from tests.bedrock_fixtures import aws_env, bedrock_server
from tests.slack_fixtures import Bot, bot, make_engine, slack_api, start_bot

__all__ = ["Bot", "aws_env", "bedrock_server", "bot", "make_engine", "slack_api", "start_bot"]

_PREFIXES = ("GENCODE_", "SLACK_", "BEDROCK_", "OPENSEARCH_", "AWS_")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's tokens, AWS profile or real ~/.gencode."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES) and name != "OPENSEARCH_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GENCODE_HOME", str(tmp_path / "gencode-home"))


@pytest.fixture(scope="session")
def local_embedder() -> LocalUSEEmbedder:
    """The real multilingual model, loaded once per test session (about a second)."""
    embedder = LocalUSEEmbedder()
    embedder.embed_query("warm up")
    return embedder


class CountingEmbedder:
    """Wraps a real embedder and counts the texts it was asked to embed."""

    def __init__(self, inner: LocalUSEEmbedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        self.texts.extend(texts)
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str):  # type: ignore[no-untyped-def]
        return self.inner.embed_query(text)


class CountingSummarizer(ExtractiveSummarizer):
    """The extractive summarizer, counting which chunks it was asked to summarise."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def summarize(self, chunks, *, on_progress=None):  # type: ignore[no-untyped-def]
        self.seen.extend(c.qualname for c in chunks)
        return super().summarize(chunks, on_progress=on_progress)


@pytest.fixture
def embedder(local_embedder: LocalUSEEmbedder) -> CountingEmbedder:
    return CountingEmbedder(local_embedder)


@pytest.fixture
def summarizer() -> CountingSummarizer:
    return CountingSummarizer()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "index.sqlite3", busy_timeout=2.0)
    yield s
    s.close()


@pytest.fixture
def engine(
    store: SQLiteStore, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> Engine:
    return Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
