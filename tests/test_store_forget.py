"""Forgets that stick, on both stores: a tombstone newer than an indexer's mark refuses
its writes (SQLite inside the write transaction; OpenSearch before and after the write)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from rag import Engine, Scope, Source, SourceForgotten
from rag.generate import ExtractiveGenerator
from rag.stores.opensearch import OpenSearchStore
from rag.stores.sqlite import SQLiteStore
from tests.conftest import CountingEmbedder, CountingSummarizer

SHOP = Source("", workspace="T1", scope="C1", channel="C1", repo="shop")
HERE = Scope.of("T1", "C1")


@pytest.fixture(params=["sqlite", "opensearch"])
def engine(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    embedder: CountingEmbedder,
    summarizer: CountingSummarizer,
) -> Iterator[Engine]:
    if request.param == "sqlite":
        store: SQLiteStore | OpenSearchStore = SQLiteStore(tmp_path / "index.sqlite3")
    else:
        url = request.getfixturevalue("osmem_url")
        store = OpenSearchStore(OpenSearch(hosts=[url]), index="forget-test", nori=False)
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    yield engine
    store.close()


def file_of(repo: Source, path: str) -> Source:
    return Source(
        path,
        workspace=repo.workspace,
        scope=repo.scope,
        channel=repo.channel,
        repo=repo.repo,
    )


def code(n: int) -> bytes:
    return f"def function_{n}(x):\n    return x * {n}\n".encode()


class TestStoreForget:
    def test_a_forgotten_repository_refuses_writes_that_started_before(
        self, engine: Engine
    ) -> None:
        since = engine.mark()
        engine.index_bytes(code(1), file_of(SHOP, "a.py"), since=since)
        other = Source("b.py", workspace="T1", scope="C1", channel="C1", repo="other")
        engine.index_bytes(code(2), other)
        assert engine.forget_units([SHOP.repo_prefix]) == 1
        with pytest.raises(SourceForgotten):
            engine.index_bytes(code(3), file_of(SHOP, "c.py"), since=since)
        assert [(s.repo, s.path) for s in engine.sources(HERE)] == [("other", "b.py")]

    def test_forgetting_one_file_leaves_the_rest_of_its_repository_writable(
        self, engine: Engine
    ) -> None:
        since = engine.mark()
        engine.index_bytes(code(1), file_of(SHOP, "a.py"), since=since)
        engine.index_bytes(code(2), file_of(SHOP, "b.py"), since=since)
        engine.forget_units([file_of(SHOP, "a.py").key])
        with pytest.raises(SourceForgotten):
            engine.index_bytes(code(3), file_of(SHOP, "a.py"), since=since)
        engine.index_bytes(code(4), file_of(SHOP, "b.py"), since=since)
        assert [s.path for s in engine.sources(HERE)] == ["b.py"]

    def test_a_run_that_starts_after_the_forget_indexes_again(self, engine: Engine) -> None:
        engine.index_bytes(code(1), file_of(SHOP, "a.py"))
        engine.forget_units([SHOP.repo_prefix])
        report = engine.index_repository([("a.py", code(1)), ("b.py", code(2))], SHOP)
        assert len(report.indexed) == 2
        assert sorted(s.path for s in engine.sources(HERE)) == ["a.py", "b.py"]

    def test_an_empty_unit_forgets_nothing(self, engine: Engine) -> None:
        engine.index_bytes(code(1), file_of(SHOP, "a.py"))
        assert engine.forget_units([""]) == 0
        assert len(engine.sources(HERE)) == 1
