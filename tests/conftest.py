"""Shared fixtures: a clean environment per test, the real local embedder loaded once,
and engines over SQLite in ``tmp_path``. Only models may be faked; stores and servers are real."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from rag import Engine
from rag.embed import LocalUSEEmbedder, Matrix
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer
from tests import opensearch_node as opensearch_node_module
from tests.bedrock_fixtures import aws_env, bedrock_server
from tests.git_fixtures import git_server, listener, make_sync
from tests.slack_fixtures import Bot, bot, make_engine, slack_api, start_bot

__all__ = [
    "Bot",
    "aws_env",
    "bedrock_server",
    "bot",
    "git_server",
    "listener",
    "make_engine",
    "make_sync",
    "slack_api",
    "start_bot",
]

_START_OPENSEARCH = opensearch_node_module.wanted()
"""Read before any test strips ``GENCODE_*`` from the environment."""

_PREFIXES = ("GENCODE_", "SLACK_", "BEDROCK_", "OPENSEARCH_", "AWS_")
_REAL_CLUSTER_NEEDS = ("OPENSEARCH_", "AWS_")


def stripped_variables(environ: Mapping[str, str], *, real_cluster: bool) -> list[str]:
    """The variables a test must not see: the developer's tokens, AWS profile and settings.

    A real-cluster test (marker ``opensearch_real``, run with ``OPENSEARCH_URL`` set) keeps
    the ``OPENSEARCH_*`` and ``AWS_*`` ones: Amazon OpenSearch Service is reached with SigV4,
    which needs the region and the credentials (keys, ``AWS_PROFILE``) of the one running it.
    """
    keep = real_cluster and bool(environ.get("OPENSEARCH_URL"))
    return [
        name
        for name in environ
        if name.startswith(_PREFIXES)
        and name != "OPENSEARCH_URL"
        and not (keep and name.startswith(_REAL_CLUSTER_NEEDS))
    ]


@pytest.fixture(autouse=True)
def clean_environ(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No test sees the developer's tokens, AWS profile or real ~/.gencode."""
    real_cluster = request.node.get_closest_marker("opensearch_real") is not None
    for name in stripped_variables(dict(os.environ), real_cluster=real_cluster):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GENCODE_HOME", str(tmp_path / "gencode-home"))
    # Tests run on USE, loaded once per session, unless they choose; what the default
    # (``auto``) picks is tested in test_embedder_choice.py.
    monkeypatch.setenv("GENCODE_EMBEDDER", "local")


@pytest.fixture(scope="session")
def opensearch_node() -> Iterator[str]:
    """The URL of the real OpenSearch test node (``scripts/opensearch.sh``), for the whole
    session; started here (and stopped afterwards) with ``GENCODE_TEST_OPENSEARCH=1``."""
    node = opensearch_node_module.find_or_start(start=_START_OPENSEARCH)
    if node.url is None:
        pytest.skip(node.reason)
    yield node.url
    if node.started_here:
        opensearch_node_module.stop()


@pytest.fixture
def opensearch_url(opensearch_node: str) -> str:
    """The test node's URL, with no index on it yet (every test starts from nothing)."""
    opensearch_node_module.empty(opensearch_node)
    return opensearch_node


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
