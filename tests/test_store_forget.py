"""Forgets that stick, on both stores: a tombstone newer than an indexer's mark refuses
its writes (SQLite inside the write transaction; OpenSearch before and after the write)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from rag import Engine, Repository, Scope, Source, SourceForgotten
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

    def test_a_slack_file_deleted_before_its_write_is_not_written(self, engine: Engine) -> None:
        shared = Source("orders.py", workspace="T1", scope="C1", channel="C1", file_id="F1")
        other = replace(shared, path="util.py", file_id="F2")
        since = engine.mark()  # both shares began
        assert engine.forget_file("T1", "F1") == []  # F1 deleted before anything was written
        with pytest.raises(SourceForgotten):
            engine.index_bytes(code(1), shared, since=since)
        assert engine.index_bytes(code(2), other, since=since).ok  # another file is unharmed
        assert [s.path for s in engine.sources(HERE)] == ["util.py"]
        assert engine.index_bytes(code(1), shared).ok  # shared again later: indexed again
        assert engine.stats().chunks == 2

    def test_an_empty_unit_forgets_nothing(self, engine: Engine) -> None:
        engine.index_bytes(code(1), file_of(SHOP, "a.py"))
        assert engine.forget_units([""]) == 0
        assert len(engine.sources(HERE)) == 1


class TestRepositoryRegistry:
    def test_registrations_are_added_once_changed_atomically_and_forgotten(
        self, engine: Engine
    ) -> None:
        store = engine.store
        repo = Repository(
            id=SHOP.repo_prefix,
            url="https://github.com/acme/shop.git",
            branch="main",
            name="shop",
            workspace="T1",
            scope="C1",
            channel="C1",
        )
        assert store.add_repository(repo) is True
        assert store.add_repository(replace(repo, branch="other")) is False
        assert store.repository(repo.id) == repo
        assert store.repositories("T1") == [repo] and store.repositories("T2") == []

        bumped = store.update_repository(repo.id, lambda r: replace(r, requested=r.requested + 1))
        assert bumped is not None and bumped.requested == 1
        unchanged = store.update_repository(repo.id, lambda r: None, manifest={"a.py": "1"})
        assert unchanged == bumped and store.repository_manifest(repo.id) == {}
        store.update_repository(
            repo.id, lambda r: replace(r, commit="abc"), manifest={"a.py": "1" * 40}
        )
        assert store.repository_manifest(repo.id) == {"a.py": "1" * 40}

        engine.forget_units([repo.id])  # forgetting the repository ends its registration
        assert store.repository(repo.id) is None
        assert store.update_repository(repo.id, lambda r: replace(r, commit="late")) is None
        assert store.repository(repo.id) is None  # a late update never brings it back

    def test_concurrent_changes_are_never_lost(self, engine: Engine) -> None:
        store = engine.store
        repo = Repository(id="r1", url="https://github.com/a/b.git", branch="main", name="b",
                          workspace="T1")  # fmt: skip
        store.add_repository(repo)

        def bump() -> None:
            for _ in range(10):
                store.update_repository(repo.id, lambda r: replace(r, requested=r.requested + 1))

        with ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(bump) for _ in range(4)]:
                future.result()
        assert store.repository(repo.id).requested == 40  # type: ignore[union-attr]
