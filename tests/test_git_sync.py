"""Repositories kept in sync from git (rag.git), against a real git server on loopback:
``git http-backend`` behind basic auth (tests/git_server.py), repositories made with the
git binary. Only the summarizer is a fake model (it counts its calls)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rag import Engine, Scope
from rag.archive import ArchiveLimits
from rag.chunking import ParsedChunk
from rag.generate import ExtractiveGenerator
from rag.git import FetchLimits, GitError, GitPolicy, GitSync, SyncLimits
from rag.git.policy import Base, Remote, forbidden_address
from rag.git.transport import ls_remote
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer, ProgressCallback, Summary
from tests.conftest import CountingSummarizer
from tests.git_server import TOKEN, GitServer, Listener, Silent

T1 = Scope.of("T1")

SHOP = {
    "shop/orders.py": (
        "def order_total(order):\n    return sum(i.price for i in order.items)\n\n\n"
        "def order_tax(order, rate):\n    return order_total(order) * rate\n\n\n"
        "def order_label(order):\n    return f'#{order.id}'\n"
    ),
    "shop/util.py": "def slugify(text):\n    return text.lower().replace(' ', '-')\n",
    "shop/legacy.py": "def old_price(p):\n    return p * 2\n",
    "notes.ipynb": (
        '{"cells": [{"cell_type": "code", "source": ["def notebook_helper(x):\\n", '
        '"    return x\\n"], "metadata": {}, "outputs": []}], "metadata": {}, '
        '"nbformat": 4, "nbformat_minor": 5}'
    ),
    ".gitignore": "generated/\n",
    "generated/out.py": "def generated_code():\n    return 1\n",
    "venv/pyvenv.cfg": "home = /usr\n",
    "venv/lib/site.py": "def inside_a_virtualenv():\n    return 1\n",
    "node_modules/x/y.py": "def inside_node_modules():\n    return 1\n",
    "README.md": "# shop\n",
}


@pytest.fixture
def engine(store: SQLiteStore, embedder: Any, summarizer: CountingSummarizer) -> Engine:
    return Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )


def indexed(engine: Engine, scope: Scope = T1) -> dict[str, list[str]]:
    """Path → qualified names of what the index holds now."""
    out: dict[str, list[str]] = {}
    for s in engine.sources(scope):
        chunks = engine.store.chunks_of_source(s.key)
        out[s.path] = sorted(c.qualname for c in chunks if c.kind != "module")
    return out


class TestAddAndFirstIndex:
    def test_a_repository_is_added_by_url_and_indexed_with_the_clis_rules(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        repo = git_server.repo("shop", SHOP)
        for n in range(3):  # history the first index must not fetch
            repo.write({"HISTORY.md": f"change {n}\n" * 500}).commit(f"history {n}")
        head = repo.push()
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        assert (added.name, added.branch, added.display) == (
            "shop",
            "main",
            f"{git_server.base.removeprefix('http://')}/acme/shop",
        )
        outcome = sync.sync(added.id)
        assert outcome is not None and outcome.status == "indexed"
        assert outcome.commit == head
        assert indexed(engine) == {
            "notes.ipynb": ["notebook_helper"],
            "shop/legacy.py": ["old_price"],
            "shop/orders.py": ["order_label", "order_tax", "order_total"],
            "shop/util.py": ["slugify"],
        }
        hits = engine.retrieve("slugify text", T1, k=1)
        assert hits[0].chunk.display_path == "shop/shop/util.py"
        registered = sync.repository(added.id)
        assert registered is not None and registered.commit == head and registered.synced_at
        # shallow: the cache holds the head commit only, none of its history
        cache = next((sync.cache).iterdir())
        assert (cache / "shallow").read_text().split() == [head]

    def test_the_branch_defaults_to_the_remotes_default_and_can_be_chosen(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        repo = git_server.repo("shop", SHOP, branch="trunk")
        repo.write({"shop/feature.py": "def feature_flag():\n    return True\n"})
        repo.commit("feature", branch="feature")
        repo.push(branch="feature")
        sync = make_sync(engine)
        assert sync.add(git_server.url("shop"), workspace="T1").branch == "trunk"
        other = sync.add(git_server.url("shop"), workspace="T1", scope="C9", branch="feature")
        sync.sync(other.id)
        assert "shop/feature.py" in indexed(engine, Scope.of("T1", "C9"))
        with pytest.raises(GitError) as missing:
            sync.add(git_server.url("shop"), workspace="T1", scope="C8", branch="nope")
        assert missing.value.code == "branch_missing"

    def test_adding_the_same_repository_again_returns_it_and_a_namesake_is_refused(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        git_server.repo("shop", SHOP)
        (git_server.root / "other").mkdir()
        other = GitServer(git_server.root / "other").start()
        try:
            other.repo("shop", {"a.py": "def a():\n    return 1\n"})
            sync = make_sync(engine, hosts=(other.base,))
            first = sync.add(git_server.url("shop"), workspace="T1")
            again = sync.add(git_server.url("shop").removesuffix(".git") + "/", workspace="T1")
            assert again == first
            with pytest.raises(GitError) as taken:
                sync.add(other.url("shop"), workspace="T1")
            assert taken.value.code == "name_synced"
            assert f"from {git_server.base.split('//')[1]}/acme/shop (main)" in str(taken.value)
            assert "forget it first" in str(taken.value)
        finally:
            other.stop()

    def test_code_someone_else_shared_under_the_name_is_not_replaced(
        self,
        engine: Engine,
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
        tmp_path: Path,
    ) -> None:
        shared = tmp_path / "shop"
        shared.mkdir()
        (shared / "mine.py").write_text("def mine():\n    return 2\n")
        engine.index_paths([shared], workspace="T1", indexed_by="U2")
        git_server.repo("shop", SHOP)
        with pytest.raises(GitError) as taken:
            make_sync(engine).add(git_server.url("shop"), workspace="T1", added_by="U1")
        assert taken.value.code == "name_shared"
        assert "code named shop was already shared here by someone else" in str(taken.value)
        assert engine.store.repositories() == []
        assert [h.chunk.qualname for h in engine.retrieve("mine", Scope.of("T1", "C1"))] == ["mine"]


class TestIncrementalSync:
    def test_a_push_reindexes_only_what_changed_and_fetches_only_new_objects(
        self,
        engine: Engine,
        summarizer: CountingSummarizer,
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
    ) -> None:
        bulk = {f"shop/gen/m{i:02d}.py": f"def generated_{i}(x):\n    return x + {i}\n" + "# p\n" * 300 for i in range(40)}  # fmt: skip
        repo = git_server.repo("shop", {**SHOP, **bulk})
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        first = sync.sync(added.id)
        assert first is not None and first.status == "indexed"
        summarizer.seen.clear()

        repo.write(
            {
                "shop/orders.py": SHOP["shop/orders.py"].replace("* rate", "* rate * 1.0"),
                "shop/new.py": "def brand_new(x):\n    return x\n",
            }
        ).remove("shop/legacy.py")
        repo.commit("one function changed, one file added, one removed")
        head = repo.push()
        second = sync.sync(added.id)
        assert second is not None and second.status == "indexed" and second.commit == head
        assert second.previous == first.commit
        # model calls: exactly the changed and the new functions, and module preambles
        assert sorted(n for n in summarizer.seen if "<module>" not in n) == [
            "brand_new",
            "order_tax",
        ]
        assert second.report is not None
        assert sorted(f.path for f in second.report.files) == [
            "shop/legacy.py",
            "shop/new.py",
            "shop/orders.py",
        ]
        assert second.unchanged == len(bulk) + 2  # util.py, notes.ipynb: never read
        assert [f.path for f in second.report.files if f.deleted] == ["shop/legacy.py"]
        now = indexed(engine)
        assert "shop/legacy.py" not in now and now["shop/new.py"] == ["brand_new"]
        # only the new objects crossed the wire
        assert second.received * 5 < first.received

    def test_a_sync_with_nothing_new_is_up_to_date_and_fetches_no_pack(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        git_server.repo("shop", SHOP)
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        sync.sync(added.id)
        packs = len(git_server.fetches())
        outcome = sync.sync(added.id)
        assert outcome is not None and outcome.status == "up_to_date"
        assert len(git_server.fetches()) - packs <= 1  # the ref advertisement alone

    def test_a_force_push_ends_with_exactly_the_new_tree(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        repo = git_server.repo("shop", SHOP)
        repo.write({"shop/draft.py": "def draft_only():\n    return 0\n"}).commit("draft")
        repo.push()
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        sync.sync(added.id)
        assert "shop/draft.py" in indexed(engine)
        # history rewritten: the draft commit is replaced by another one
        repo.remove("shop/draft.py")
        rewritten = repo.amend({"shop/final.py": "def final_version():\n    return 1\n"})
        repo.push(force=True)
        outcome = sync.sync(added.id)
        assert outcome is not None and outcome.commit == rewritten
        now = indexed(engine)
        assert "shop/draft.py" not in now and now["shop/final.py"] == ["final_version"]
        # a fresh cache (a new Lambda container) ends the same
        fresh = make_sync(engine, cache=sync.cache.parent / "fresh-cache")
        assert fresh.sync(added.id) is not None
        assert indexed(engine) == now

    def test_a_deleted_branch_is_an_error_and_the_last_good_index_stays(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        repo = git_server.repo("shop", SHOP)
        repo.commit("feature", branch="feature")
        repo.push(branch="feature")
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1", branch="feature")
        sync.sync(added.id)
        before = indexed(engine)
        repo.delete_branch("feature")
        outcome = sync.sync(added.id)
        assert outcome is not None and outcome.status == "failed"
        assert outcome.error is not None and outcome.error.code == "branch_missing"
        assert indexed(engine) == before
        registered = sync.repository(added.id)
        assert registered is not None
        assert (registered.error, registered.error_detail) == ("branch_missing", "feature")
        assert registered.commit == outcome.previous
        # told once: the first failure is to be told, a retry's identical one is not
        assert sync.tell_once(added.id) is not None
        sync.sync(added.id)
        assert sync.tell_once(added.id) is None

    def test_out_of_time_stops_between_files_and_the_next_sync_goes_on(
        self,
        engine: Engine,
        summarizer: CountingSummarizer,
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
    ) -> None:
        git_server.repo("shop", SHOP)
        ticks = iter(range(10_000))  # each look at the clock is one second later
        sync = make_sync(
            engine, limits=SyncLimits(time_budget=2.5), monotonic=lambda: float(next(ticks))
        )
        added = sync.add(git_server.url("shop"), workspace="T1")
        first = sync.sync(added.id)
        assert first is not None and first.status == "unfinished"
        assert first.report is not None and len(first.report.indexed) == 2
        assert first.report.unfinished == 2
        assert sync.repository(added.id).commit == ""  # type: ignore[union-attr]
        done = set(indexed(engine))
        summarizer.seen.clear()
        second = make_sync(engine).sync(added.id)
        assert second is not None and second.status == "indexed"
        assert second.report is not None
        assert {f.path for f in second.report.indexed}.isdisjoint(done)  # not read again
        assert len(indexed(engine)) == 4
        assert sync.repository(added.id).commit == second.commit  # type: ignore[union-attr]


class HeldSummarizer(ExtractiveSummarizer):
    """A fake model that waits at its first call until the test lets it go."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()
        self.calls = 0

    def summarize(
        self, chunks: Sequence[ParsedChunk], *, on_progress: ProgressCallback | None = None
    ) -> list[Summary]:
        self.calls += 1
        if not self.release.is_set():
            self.reached.set()
            assert self.release.wait(30), "never released"
        return super().summarize(chunks, on_progress=on_progress)


@pytest.fixture
def held_engine(tmp_path: Path, local_embedder: Any) -> Any:
    summarizer = HeldSummarizer()
    engine = Engine(
        store=SQLiteStore(tmp_path / "held.sqlite3"),
        embedder=local_embedder,
        summarizer=summarizer,
        generator=ExtractiveGenerator(),
    )
    yield engine, summarizer
    summarizer.release.set()
    engine.close()


class TestConcurrency:
    def test_pushes_during_a_sync_coalesce_and_the_latest_commit_wins(
        self, held_engine: Any, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        engine, held = held_engine
        repo = git_server.repo("shop", SHOP)
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        results: list[Any] = []
        running = threading.Thread(target=lambda: results.append(sync.sync(added.id)))
        running.start()
        assert held.reached.wait(20)
        # three pushes arrive while the first sync runs: none starts a second sync
        for n in range(3):
            repo.write({"shop/util.py": f"def slugify(text):\n    return text + '{n}'\n"})
            repo.commit(f"push {n}")
            latest = repo.push()
            assert sync.sync(added.id) is None
        held.release.set()
        running.join(30)
        (outcome,) = results
        assert outcome.passes == 2 and outcome.commit == latest
        assert sync.repository(added.id).commit == latest  # type: ignore[union-attr]
        code = engine.store.chunks_of_source(
            next(s.key for s in engine.sources(T1) if s.path == "shop/util.py")
        )
        assert any("'2'" in c.code for c in code)

    def test_another_process_never_runs_a_second_sync_at_once(
        self,
        held_engine: Any,
        tmp_path: Path,
        local_embedder: Any,
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
    ) -> None:
        engine, held = held_engine
        git_server.repo("shop", SHOP)
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        elsewhere = Engine(  # another process: its own connection to the same store
            store=SQLiteStore(tmp_path / "held.sqlite3"),
            embedder=local_embedder,
            summarizer=ExtractiveSummarizer(),
            generator=ExtractiveGenerator(),
        )
        try:
            other = make_sync(elsewhere, process="lambda-container-2")
            running = threading.Thread(target=lambda: sync.sync(added.id))
            running.start()
            assert held.reached.wait(20)
            assert other.sync(added.id) is None
            held.release.set()
            running.join(30)
            # once the first is done, the other process may sync (nothing new: up to date)
            later = other.sync(added.id)
            assert later is not None and later.status == "up_to_date"
        finally:
            elsewhere.close()

    def test_a_sync_whose_holder_died_is_taken_over_once_its_lease_runs_out(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        git_server.repo("shop", SHOP)
        now = [1000.0]
        sync = make_sync(engine, clock=lambda: now[0])
        added = sync.add(git_server.url("shop"), workspace="T1")
        engine.store.update_repository(
            added.id, lambda r: replace(r, lease="a process that died", lease_until=1500.0)
        )
        assert sync.sync(added.id) is None
        now[0] = 1501.0
        outcome = sync.sync(added.id)
        assert outcome is not None and outcome.status == "indexed"

    def test_forgetting_during_a_sync_stops_it_and_nothing_comes_back(
        self, held_engine: Any, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        engine, held = held_engine
        repo = git_server.repo("shop", SHOP)
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        results: list[Any] = []
        running = threading.Thread(target=lambda: results.append(sync.sync(added.id)))
        running.start()
        assert held.reached.wait(20)
        engine.forget_units([added.id])
        held.release.set()
        running.join(30)
        assert results[0].status == "forgotten"
        assert engine.sources(T1) == [] and sync.repository(added.id) is None
        # a later push finds no registration: nothing is fetched, nothing indexed
        repo.write({"shop/util.py": "def slugify(t):\n    return t\n"}).commit()
        repo.push()
        assert sync.pushed([git_server.url("shop")], "main") == []
        assert sync.sync(added.id) is None
        assert engine.sources(T1) == []


class TestRefusedBeforeAnyConnection:
    @pytest.mark.parametrize(
        ("url", "code"),
        [
            ("{listener}/acme/shop.git", "host_not_allowed"),
            ("http://x-access-token:ghp_inline@{allowed}/acme/shop.git", "credentials_in_url"),
            ("file:///etc/passwd", "scheme"),
            ("ssh://git@{allowed}/acme/shop.git", "scheme"),
            ("git://{allowed}/acme/shop.git", "scheme"),
            ("git@github.com:acme/shop.git", "scheme"),
            ("http://169.254.169.254/latest/meta-data", "link_local"),
            ("http://[fe80::1]/acme/shop.git", "link_local"),
            ("http://[::ffff:169.254.169.254]/x.git", "link_local"),
        ],
    )
    def test_a_refused_url_connects_nowhere(
        self,
        url: str,
        code: str,
        engine: Engine,
        listener: Listener,
        make_sync: Callable[..., GitSync],
    ) -> None:
        allowed = listener.base.removeprefix("http://")
        # the listener's own base is allowed for the credentials/scheme cases, so that
        # only the rule under test can refuse them
        hosts = () if code == "host_not_allowed" else (listener.base,)
        sync = make_sync(engine, hosts=hosts)
        with pytest.raises(GitError) as refused:
            sync.add(url.format(listener=listener.base, allowed=allowed), workspace="T1")
        assert refused.value.code == code
        assert "ghp_inline" not in str(refused.value)
        assert listener.accepted == 0
        assert engine.store.repositories() == []

    def test_a_redirect_to_another_host_is_not_followed(
        self,
        engine: Engine,
        git_server: GitServer,
        listener: Listener,
        make_sync: Callable[..., GitSync],
    ) -> None:
        git_server.repo("shop", SHOP)
        git_server.redirect_to = listener.base
        sync = make_sync(engine)
        with pytest.raises(GitError) as refused:
            sync.add(git_server.url("shop"), workspace="T1")
        assert refused.value.code == "redirect"
        assert listener.base.removeprefix("http://") in refused.value.detail
        assert listener.accepted == 0
        assert git_server.requests and not git_server.fetches()

    def test_a_name_that_resolves_to_a_metadata_address_is_refused_at_connect_time(
        self, listener: Listener
    ) -> None:
        # Had an operator allowed such a host (the policy refuses to parse one), the
        # transport would still vet the address it resolves to before connecting.
        metadata = Base("http", "169.254.169.254", 80)
        policy = GitPolicy(frozenset({metadata}))
        with pytest.raises(GitError) as refused:
            ls_remote(Remote(metadata, "/acme/shop.git"), policy, FetchLimits(timeout=2))
        assert refused.value.code == "link_local"

    def test_forbidden_addresses(self) -> None:
        for address in ("169.254.169.254", "fe80::1", "fd00:ec2::254", "0.0.0.0", "224.0.0.1"):
            assert forbidden_address(address), address
        for address in ("127.0.0.1", "10.0.0.5", "140.82.112.3", "::1"):
            assert not forbidden_address(address), address

    def test_a_pasted_page_url_means_its_repository(self) -> None:
        policy = GitPolicy()
        for url, expected in (
            ("https://github.com/acme/shop/tree/main/src", "https://github.com/acme/shop"),
            ("https://github.com/acme/shop.git", "https://github.com/acme/shop.git"),
            ("https://gitlab.com/acme/web/shop/-/tree/main", "https://gitlab.com/acme/web/shop"),
            ("https://bitbucket.org/acme/shop/src/main/", "https://bitbucket.org/acme/shop"),
        ):
            assert policy.remote(url).url == expected

    def test_hosts_configured_with_credentials_or_a_path_are_refused(self) -> None:
        for bad in ("https://u:p@git.example.com", "https://git.example.com/acme", "ftp://x"):
            with pytest.raises(GitError):
                GitPolicy.with_hosts([bad])


class TestFailuresAreClear:
    def test_a_bad_or_missing_token_is_an_authentication_failure(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        git_server.repo("shop", SHOP)
        for token in ("wrong-token", ""):
            with pytest.raises(GitError) as refused:
                make_sync(engine, token=token).add(git_server.url("shop"), workspace="T1")
            assert refused.value.code == "auth"
            assert "GENCODE_GIT_TOKEN" in str(refused.value)

    def test_a_hosts_own_token_wins_over_the_global_one(
        self, engine: Engine, git_server: GitServer, tmp_path: Path
    ) -> None:
        git_server.repo("shop", SHOP)
        policy = GitPolicy.with_hosts(
            [git_server.base], token="a-token-for-another-host", host_tokens={"127.0.0.1": TOKEN}
        )
        sync = GitSync(engine, policy, cache=tmp_path / "cache")
        assert sync.add(git_server.url("shop"), workspace="T1").name == "shop"
        assert policy.secrets == ("a-token-for-another-host", TOKEN)

    def test_an_unknown_repository_is_not_found(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        with pytest.raises(GitError) as missing:
            make_sync(engine).add(git_server.url("nothing-here"), workspace="T1")
        assert missing.value.code == "not_found"

    def test_a_server_that_never_answers_times_out(
        self, engine: Engine, make_sync: Callable[..., GitSync]
    ) -> None:
        silent = Silent()
        try:
            sync = make_sync(
                engine,
                hosts=(silent.base,),
                limits=SyncLimits(fetch=FetchLimits(timeout=1, socket_timeout=0.5)),
            )
            with pytest.raises(GitError) as late:
                sync.add(f"{silent.base}/acme/shop.git", workspace="T1")
            assert late.value.code == "timeout"
        finally:
            silent.close()

    def test_too_many_bytes_or_files_is_too_big_and_changes_nothing(
        self, engine: Engine, git_server: GitServer, make_sync: Callable[..., GitSync]
    ) -> None:
        git_server.repo("shop", SHOP)
        small = make_sync(engine, limits=SyncLimits(fetch=FetchLimits(max_bytes=600)))
        added = small.add(git_server.url("shop"), workspace="T1")
        outcome = small.sync(added.id)
        assert outcome is not None and outcome.error is not None
        assert outcome.error.code == "too_big" and "600" in outcome.error.detail
        few = make_sync(engine, limits=SyncLimits(files=ArchiveLimits(max_entries=3)))
        outcome = few.sync(added.id)
        assert outcome is not None and outcome.error is not None
        assert outcome.error.code == "too_big" and "GENCODE_ARCHIVE_MAX_ENTRIES" in str(
            outcome.error
        )
        assert engine.sources(T1) == []

    def test_the_token_is_never_logged_stored_or_told(
        self,
        engine: Engine,
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
        caplog: pytest.LogCaptureFixture,
        tmp_path: Path,
    ) -> None:
        import logging

        caplog.set_level(logging.DEBUG)
        git_server.repo("shop", SHOP)
        sync = make_sync(engine)
        added = sync.add(git_server.url("shop"), workspace="T1")
        sync.sync(added.id)
        with pytest.raises(GitError) as refused:
            make_sync(engine, token=TOKEN + "x").add(git_server.url("shop"), workspace="T2")
        text = " ".join(r.getMessage() for r in caplog.records) + str(refused.value)
        assert TOKEN not in text
        engine.close()
        for path in tmp_path.glob("index.sqlite3*"):
            assert TOKEN.encode() not in path.read_bytes()
        for path in sync.cache.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path


class TestOnOpenSearch:
    def test_a_repository_syncs_the_same_on_the_opensearch_store(
        self,
        osmem_url: str,
        embedder: Any,
        summarizer: CountingSummarizer,
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
    ) -> None:
        from opensearchpy import OpenSearch

        from rag.stores.opensearch import OpenSearchStore

        store = OpenSearchStore(OpenSearch(hosts=[osmem_url]), index="git-test", nori=False)
        engine = Engine(
            store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
        )
        try:
            repo = git_server.repo("shop", SHOP)
            sync = make_sync(engine)
            added = sync.add(git_server.url("shop"), workspace="T1")
            assert sync.sync(added.id).status == "indexed"  # type: ignore[union-attr]
            repo.remove("shop/legacy.py").commit()
            head = repo.push()
            second = sync.sync(added.id)
            assert second is not None and second.commit == head
            assert sorted(indexed(engine)) == ["notes.ipynb", "shop/orders.py", "shop/util.py"]
            assert sync.repositories(scope=T1)[0].commit == head
            engine.forget_units([added.id])
            assert engine.sources(T1) == [] and sync.repositories(workspace="T1") == []
        finally:
            store.close()
