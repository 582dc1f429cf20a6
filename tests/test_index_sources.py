"""Which code is "the same file": a source is (conversation, repository, path).

Indexing one place must never delete code indexed from another: `util.py` of two
repositories lives side by side, and only re-indexing the same source replaces it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from rag import Engine, Scope, Source
from rag.embed import Matrix
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import MIGRATIONS, SQLiteStore
from tests.conftest import CountingEmbedder, CountingSummarizer

UTIL_A = b"def slugify(text):\n    return text.lower().replace(' ', '-')\n"
UTIL_B = b"def parse_money(text):\n    return round(float(text.strip('$')), 2)\n"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def search(query: str) -> list[dict[str, object]]:
    code, out, _ = run("search", query, "--json", "-k", "20")
    assert code == 0
    hits: list[dict[str, object]] = json.loads(out)
    return hits


def repo(root: Path, files: dict[str, bytes], *, remote: str | None = None) -> Path:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    if remote is not None:
        (root / ".git").mkdir()
        (root / ".git" / "config").write_text(
            f'[core]\n\tbare = false\n[remote "origin"]\n\turl = {remote}\n'
        )
    return root


def test_two_repositories_with_the_same_file_name_both_stay(tmp_path: Path) -> None:
    a = repo(tmp_path / "a", {"util.py": UTIL_A})
    b = repo(tmp_path / "b", {"util.py": UTIL_B})
    assert (
        run("index", str(a))[1]
        .strip()
        .endswith("1 new, 0 unchanged, 0 removed functions; 0 errors")
    )
    out = run("index", str(b))[1]
    assert "0 removed" in out
    found = {(h["repo"], h["path"], h["qualname"]) for h in search("slugify parse money")}
    assert ("a", "util.py", "slugify") in found
    assert ("b", "util.py", "parse_money") in found


def test_reindexing_a_repository_replaces_only_its_own_files(tmp_path: Path) -> None:
    a = repo(tmp_path / "a", {"util.py": UTIL_A})
    b = repo(tmp_path / "b", {"util.py": UTIL_B})
    run("index", str(a))
    run("index", str(b))
    (a / "util.py").write_bytes(b"def kebab(text):\n    return text.replace(' ', '-')\n")
    code, out, _ = run("index", str(a))
    assert code == 0 and "1 new, 0 unchanged, 1 removed functions" in out
    names = {h["qualname"] for h in search("slugify kebab parse money")}
    assert names >= {"kebab", "parse_money"} and "slugify" not in names


def test_repository_name_comes_from_the_git_remote_or_repo_option(tmp_path: Path) -> None:
    checkout = repo(
        tmp_path / "checkout-2",
        {"src/pkg/util.py": UTIL_A},
        remote="git@github.com:acme/billing.git",
    )
    # naming a folder inside the work tree still gives paths from the repository's root
    out = run("index", str(checkout / "src"))[1]
    assert "indexed 1 file of billing:" in out
    (hit,) = [h for h in search("slugify") if h["qualname"] == "slugify"]
    assert (hit["repo"], hit["path"]) == ("billing", "src/pkg/util.py")

    other = repo(tmp_path / "x", {"util.py": UTIL_B})
    assert "of payments:" in run("index", str(other), "--repo", "payments")[1]
    code, out, _ = run("ask", "parse money")
    assert code == 0 and "payments/util.py · parse_money" in out


def test_a_single_file_belongs_to_its_folder_as_a_repository(tmp_path: Path) -> None:
    a = repo(tmp_path / "tools", {"util.py": UTIL_A})
    out = run("index", str(a / "util.py"))[1]
    assert "indexed 1 file of tools:" in out
    assert (
        run("index", str(a))[1]
        .strip()
        .endswith("0 new, 1 unchanged, 0 removed functions; 0 errors")
    )


# -- stores written before sources had repositories ----------------------------------------


def _legacy_chunks(engine: Engine, source: Source) -> None:
    """Index ``source`` the way Gencode did before repositories: keyed by
    (workspace, scope, path), no repository, ids from that key."""
    engine.index_bytes(UTIL_A, source)
    store = engine.store
    assert isinstance(store, SQLiteStore)
    with store._write("make legacy") as db:  # noqa: SLF001 - shaping an old store on purpose
        for (cid,) in db.execute("SELECT id FROM chunks").fetchall():
            db.execute(
                "UPDATE chunks SET source_key = ?, repo = '' WHERE id = ?",
                (source.legacy_key, cid),
            )


def _as_schema_4(current: Path) -> Path:
    """A copy of ``current`` in the schema an older Gencode (schema 4) wrote."""
    old = current.with_name("schema4.sqlite3")
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for migration in MIGRATIONS[:4]:
        for statement in migration.split(";"):
            if statement.strip() and "CREATE TABLE IF NOT EXISTS meta" not in statement:
                db.execute(statement)
    db.execute("ATTACH DATABASE ? AS new", (str(current),))
    columns = ", ".join(r[1] for r in db.execute("PRAGMA main.table_info(chunks)"))
    db.execute(f"INSERT INTO main.chunks ({columns}) SELECT {columns} FROM new.chunks")
    db.execute(
        "INSERT INTO main.chunks_fts (rowid, name, summary, docstring, code, access) "
        "SELECT rowid, name, summary, docstring, code, access FROM new.chunks_fts"
    )
    db.execute("INSERT INTO main.meta SELECT * FROM new.meta WHERE key != 'schema_version'")
    db.execute("INSERT INTO main.meta VALUES ('schema_version', '4')")
    db.commit()
    db.close()
    return old


def test_an_old_store_migrates_and_its_files_are_adopted_not_duplicated(
    tmp_path: Path, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> None:
    path = tmp_path / "old.sqlite3"
    engine = Engine(
        store=SQLiteStore(path),
        embedder=embedder,
        summarizer=summarizer,
        generator=ExtractiveGenerator(),
    )
    _legacy_chunks(engine, Source("util.py", workspace="T1", repo="a"))
    engine.close()
    path = _as_schema_4(path)

    summarizer.seen.clear()
    reopened = Engine(
        store=SQLiteStore(path),
        embedder=embedder,
        summarizer=summarizer,
        generator=ExtractiveGenerator(),
    )
    try:
        assert reopened.stats().chunks == 1  # nothing lost in the migration
        assert reopened.retrieve("slugify", Scope.of("T1"), k=1)[0].chunk.qualname == "slugify"
        report = reopened.index_bytes(UTIL_A, Source("util.py", workspace="T1", repo="a"))
        assert (len(report.new), len(report.unchanged), report.removed) == (0, 1, ())
        assert summarizer.seen == []  # adopted chunks keep their summaries
        assert reopened.stats().chunks == 1
        (hit,) = [
            h
            for h in reopened.retrieve("slugify", Scope.of("T1"), k=5)
            if h.chunk.qualname == "slugify"
        ]
        assert hit.chunk.repo == "a"
        # a second repository's util.py no longer adopts anything: it is its own file
        other = reopened.index_bytes(UTIL_B, Source("util.py", workspace="T1", repo="b"))
        assert other.removed == () and reopened.stats().chunks == 2
    finally:
        reopened.close()


def test_old_chunks_from_another_channel_are_not_adopted(engine: Engine) -> None:
    c1 = Source("team_utils.py", workspace="T1", channel="C1")
    _legacy_chunks(engine, c1)
    before = engine.stats().chunks
    c3 = Source("team_utils.py", workspace="T1", channel="C3")
    report = engine.index_bytes(UTIL_B, c3)
    assert report.removed == () and len(report.new) == before
    assert engine.stats().chunks == 2 * before
    assert [c.qualname for c in engine.store.chunks_of_source(c1.legacy_key)] == ["slugify"]


# -- honest counts under concurrency -------------------------------------------------------


class HeldEmbedder(CountingEmbedder):
    """Holds its first batch until released: lets another indexer write in between."""

    def __init__(self, inner: CountingEmbedder) -> None:
        super().__init__(inner.inner)
        self.started = threading.Event()
        self.release = threading.Event()

    def embed_documents(self, texts: Sequence[str]) -> Matrix:
        self.started.set()
        assert self.release.wait(30)
        return super().embed_documents(texts)


def test_two_indexers_of_the_same_file_count_its_functions_once(
    tmp_path: Path, embedder: CountingEmbedder
) -> None:
    path = tmp_path / "shared.sqlite3"
    held = HeldEmbedder(embedder)

    def engine(e: CountingEmbedder) -> Engine:
        return Engine(
            store=SQLiteStore(path),
            embedder=e,
            summarizer=CountingSummarizer(),
            generator=ExtractiveGenerator(),
        )

    first, second = engine(held), engine(embedder)
    source = Source("util.py", workspace="T1", repo="a")
    reports = {}
    worker = threading.Thread(
        target=lambda: reports.setdefault("first", first.index_bytes(UTIL_A, source))
    )
    worker.start()
    assert held.started.wait(30)  # the first indexer has read the store and is embedding
    reports["second"] = second.index_bytes(UTIL_A, source)
    held.release.set()
    worker.join(30)
    try:
        counted = sum(len(r.new) for r in reports.values())
        assert counted == second.stats().chunks == 1
        assert sum(len(r.unchanged) for r in reports.values()) == 1
    finally:
        first.close()
        second.close()


def test_a_folder_the_repository_ignores_is_its_own_repository(tmp_path: Path) -> None:
    checkout = repo(tmp_path / "app", {"src/util.py": UTIL_A}, remote="https://x.test/acme/app")
    (checkout / ".gitignore").write_text("vendor/\n")
    vendored = repo(checkout / "vendor" / "money", {"util.py": UTIL_B})
    assert "indexed 1 file of money:" in run("index", str(vendored))[1]
    (hit,) = [h for h in search("parse money") if h["qualname"] == "parse_money"]
    assert (hit["repo"], hit["path"]) == ("money", "util.py")


def test_a_file_gone_from_the_folder_leaves_the_index_and_nothing_else_does(
    tmp_path: Path,
) -> None:
    a = repo(
        tmp_path / "a",
        {"util.py": UTIL_A, "src/money.py": UTIL_B, "tests/t.py": UTIL_A},
        remote="https://git.example/acme/a.git",
    )
    other = repo(tmp_path / "b", {"util.py": UTIL_B})
    run("index", str(a))
    run("index", str(other))
    (a / "src" / "money.py").unlink()
    (a / "tests" / "t.py").write_text("def f(:\n")  # broken now: keeps its previous version
    code, out, err = run("index", str(a / "src"))  # a folder of the work tree: only it is mirrored
    assert code == 0 and "gone: a/src/money.py" in err
    assert "1 removed functions" in out
    assert {(s["repo"], s["path"]) for s in search("slugify parse money")} == {
        ("a", "util.py"),
        ("a", "tests/t.py"),
        ("b", "util.py"),
    }
    code, out, err = run("index", str(a))
    assert "gone:" not in err and "error: a/tests/t.py:1:" in err
    assert ("a", "tests/t.py") in {(s["repo"], s["path"]) for s in search("slugify")}


def test_a_folder_named_as_dotdot_is_the_folder_it_means(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``gencode index ..`` names the parent folder, not a repository called "..": two
    projects indexed that way must not mirror (and so delete) each other's files."""
    p = repo(tmp_path / "p", {"util.py": UTIL_A, "inner/keep.txt": b""})
    q = repo(tmp_path / "q", {"money.py": UTIL_B, "inner/keep.txt": b""})
    monkeypatch.chdir(p / "inner")
    assert "indexed 1 file of p:" in run("index", "..")[1]
    monkeypatch.chdir(q / "inner")
    code, out, err = run("index", "..")
    assert code == 0 and "gone:" not in err and "indexed 1 file of q:" in out
    found = {(h["repo"], h["path"]) for h in search("slugify parse money")}
    assert found == {("p", "util.py"), ("q", "money.py")}


def test_a_path_through_dotdot_inside_a_work_tree_is_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``src/deep/../m.py`` is ``src/m.py``: indexing it again replaces, never duplicates."""
    a = repo(
        tmp_path / "a",
        {"util.py": UTIL_A, "src/m.py": UTIL_B, "src/deep/keep.txt": b""},
        remote="https://x.test/a.git",
    )
    run("index", str(a))
    monkeypatch.chdir(a / "src" / "deep")
    code, out, err = run("index", "../m.py", "..")
    assert code == 0 and "0 new" in out and "gone:" not in err
    paths = sorted((h["repo"], h["path"]) for h in search("slugify parse money"))
    assert paths == [("a", "src/m.py"), ("a", "util.py")]


def test_a_folder_that_cannot_be_read_keeps_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the walk cannot list (no permission, a flaky mount) is a failure, not an
    emptied folder: its files keep their previous version, and the failure is reported."""
    a = repo(
        tmp_path / "a",
        {"util.py": UTIL_A, "sub/money.py": UTIL_B},
        remote="https://x.test/a.git",
    )
    run("index", str(a))
    unreadable = {str(a / "sub"), str(a)}
    listing = os.scandir

    def scandir(path: str) -> object:  # what the OS says to a user without permission
        if str(path) in unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return listing(path)

    unreadable.discard(str(a))
    monkeypatch.setattr(os, "scandir", scandir)
    code, out, err = run("index", str(a))
    assert "gone:" not in err and "sub" in err and "Permission denied" in err
    assert {h["path"] for h in search("slugify parse money")} == {"util.py", "sub/money.py"}
    unreadable.add(str(a))  # the named folder itself: nothing of it may go
    code, out, err = run("index", str(a))
    assert "gone:" not in err and "Permission denied" in err
    assert {h["path"] for h in search("slugify parse money")} == {"util.py", "sub/money.py"}


def test_a_folder_of_a_work_tree_honours_the_gitignore_files_above_it(tmp_path: Path) -> None:
    """``index repo/src`` indexes what ``index repo`` indexes under ``src/``: the work
    tree's own .gitignore applies to it too, or naming the folder would index generated
    code that naming the tree then mirrors away again."""
    a = repo(
        tmp_path / "a",
        {"src/util.py": UTIL_A, "src/api_pb2.py": UTIL_B, "src/gen/money.py": UTIL_B},
        remote="https://x.test/a.git",
    )
    (a / ".gitignore").write_text("*_pb2.py\nsrc/gen/\n")
    code, out, err = run("index", str(a / "src"))
    assert code == 0 and "indexed 1 file of a:" in out
    assert {h["path"] for h in search("slugify parse money")} == {"src/util.py"}
    code, out, err = run("index", str(a))
    assert "gone:" not in err


def test_an_old_file_is_adopted_by_the_repository_it_came_from_not_the_first_one_indexed(
    engine: Engine,
) -> None:
    _legacy_chunks(engine, Source("util.py", workspace="T1", repo="a"))  # a's util.py, old key
    other = engine.index_bytes(UTIL_B, Source("util.py", workspace="T1", repo="b"))
    assert other.removed == () and engine.stats().chunks == 2  # b shares no code: not adopted
    mine = engine.index_bytes(UTIL_A, Source("util.py", workspace="T1", repo="a"))
    assert (len(mine.new), len(mine.unchanged)) == (0, 1) and engine.stats().chunks == 2
