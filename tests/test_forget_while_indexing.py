"""A forget that arrives while its source is being indexed sticks (issue 16, item 4).

The indexer holds a mark taken when it started; a forget leaves a tombstone in the store
and deletes what is there. The indexer checks for a newer tombstone between files and
inside each file's write transaction, so nothing of the forgotten source is written after
the forget, from this process or any other.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from rag import Engine, Scope, Source, SourceForgotten
from rag.chunking import ParsedChunk
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer, ProgressCallback, Summary
from tests.slack_fixtures import Bot
from tests.test_slack_index import share, wait_done
from tests.test_slack_repositories import click, command, ephemeral

FILES = 40
HELD_AT = 5
"""The summary call (one per file) that waits for the test: four files are indexed by then."""


class HeldSummarizer(ExtractiveSummarizer):
    """A fake model that stops at its ``held_at``-th call until the test lets it go."""

    def __init__(self, held_at: int = HELD_AT) -> None:
        self.held_at = held_at
        self.calls = 0
        self.reached = threading.Event()
        self.release = threading.Event()

    def summarize(
        self, chunks: Sequence[ParsedChunk], *, on_progress: ProgressCallback | None = None
    ) -> list[Summary]:
        self.calls += 1
        if self.calls == self.held_at:
            self.reached.set()
            assert self.release.wait(30), "the test never released the summarizer"
        return super().summarize(chunks, on_progress=on_progress)


def victim_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(FILES):
            z.writestr(
                f"victim/mod{i:02d}.py", f"def victim_function_{i}(x):\n    return x + {i}\n"
            )
    return buf.getvalue()


@pytest.fixture
def held(tmp_path: Path, local_embedder: Any) -> tuple[Engine, HeldSummarizer]:
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


class TestForgetWhileIndexing:
    def test_forgetting_an_archive_while_it_is_indexed_leaves_nothing_of_it(
        self, start_bot: Any, held: tuple[Engine, HeldSummarizer]
    ) -> None:
        engine, summarizer = held
        bot: Bot = start_bot(engine=engine, update_interval=0.0)
        ts, _ = share(bot, "victim.zip", victim_zip())
        assert summarizer.reached.wait(20), "indexing never reached the held file"

        command(bot, "forget victim")
        (confirm,) = ephemeral(bot)
        assert confirm["text"].startswith("Forget `victim` (4 files")
        click(bot, confirm, "gencode_forget_confirm")
        bot.api.wait_for(lambda: bot.api.calls_to("response_url")[1:])
        done = json.loads(bot.api.calls_to("response_url")[1].body)
        assert done["text"].startswith(":wastebasket: Forgot `victim`")

        summarizer.release.set()  # the indexer goes on, and must write nothing more
        wait_done(bot.api, "C1", ts)
        scope = Scope.of("T1", "C1")
        assert [s for s in engine.sources(scope) if s.repo == "victim"] == []
        assert engine.retrieve("victim function", scope, k=5) == []
        thread = " ".join(m["text"] for m in bot.api.thread("C1", ts) if m.get("bot_id"))
        assert "forgotten while it was being indexed" in thread

        command(bot, "list")
        listed = ephemeral(bot, 3)[-1]
        assert "victim" not in json.dumps(listed)

    def test_sharing_it_again_after_the_forget_indexes_it_again(
        self, start_bot: Any, held: tuple[Engine, HeldSummarizer]
    ) -> None:
        engine, summarizer = held
        summarizer.release.set()  # nothing held: a plain share, a forget, a share again
        bot: Bot = start_bot(engine=engine, update_interval=0.0)
        ts, _ = share(bot, "victim.zip", victim_zip())
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        command(bot, "forget victim")
        (confirm,) = ephemeral(bot)
        click(bot, confirm, "gencode_forget_confirm")
        bot.api.wait_for(lambda: bot.api.calls_to("response_url")[1:])
        assert engine.sources(Scope.of("T1", "C1")) == []

        again, _ = share(bot, "victim.zip", victim_zip())
        assert wait_done(bot.api, "C1", again) == ["white_check_mark"]
        assert len(engine.sources(Scope.of("T1", "C1"))) == FILES


class TestDeletedWhileIndexing:
    """A file deleted in Slack while it is indexed: Slack sends ``file_deleted`` once."""

    def test_an_archive_deleted_in_slack_midway_leaves_nothing_of_it(
        self, start_bot: Any, held: tuple[Engine, HeldSummarizer]
    ) -> None:
        engine, summarizer = held
        bot: Bot = start_bot(engine=engine, update_interval=0.0)
        ts, event = share(bot, "victim.zip", victim_zip())
        assert summarizer.reached.wait(20), "indexing never reached the held file"
        scope = Scope.of("T1", "C1")
        assert engine.retrieve("victim function", scope, k=5)  # four files are in by now

        file_id = event["files"][0]["id"]
        deleted = {"type": "file_deleted", "file_id": file_id, "event_ts": bot.api.next_ts()}
        assert bot.slack.event(deleted).status == 200
        bot.api.wait_for(lambda: not engine.retrieve("victim function", scope, k=5))

        summarizer.release.set()  # the indexer goes on, and must write nothing more
        wait_done(bot.api, "C1", ts)
        assert engine.retrieve("victim function", scope, k=5) == []
        assert engine.stats().chunks == 0


class TestForgetAcrossProcesses:
    """Two engines on one SQLite file stand for two processes (or Lambda containers)."""

    def test_a_write_that_began_before_the_forget_is_refused_in_its_transaction(
        self, tmp_path: Path, local_embedder: Any
    ) -> None:
        path = tmp_path / "shared.sqlite3"
        indexer, forgetter = (
            Engine(
                store=SQLiteStore(path),
                embedder=local_embedder,
                summarizer=ExtractiveSummarizer(),
                generator=ExtractiveGenerator(),
            )
            for _ in range(2)
        )
        try:
            template = Source("", workspace="T1", scope="C1", channel="C1", repo="shop")
            since = indexer.mark()
            indexer.index_bytes(
                b"def a():\n    return 1\n", Source("a.py", **_fields(template)), since=since
            )
            forgetter.forget_units([template.repo_prefix])
            with pytest.raises(SourceForgotten):
                indexer.index_bytes(
                    b"def b():\n    return 2\n", Source("b.py", **_fields(template)), since=since
                )
            assert indexer.sources(Scope.of("T1", "C1")) == []
            # a run that starts after the forget is a new share: it may index again
            indexer.index_bytes(b"def c():\n    return 3\n", Source("c.py", **_fields(template)))
            assert [s.path for s in indexer.sources(Scope.of("T1", "C1"))] == ["c.py"]
        finally:
            indexer.close()
            forgetter.close()

    def test_a_repository_run_stops_between_files_once_forgotten(
        self, tmp_path: Path, local_embedder: Any
    ) -> None:
        engine = Engine(
            store=SQLiteStore(tmp_path / "one.sqlite3"),
            embedder=local_embedder,
            summarizer=ExtractiveSummarizer(),
            generator=ExtractiveGenerator(),
        )
        try:
            template = Source("", workspace="T1", scope="C1", channel="C1", repo="shop")
            files = [(f"m{i}.py", f"def f{i}():\n    return {i}\n".encode()) for i in range(6)]
            seen: list[int] = []

            def on_file(done: int, total: int, report: Any) -> None:
                seen.append(done)
                if done == 2:
                    engine.forget_units([template.repo_prefix])

            with pytest.raises(SourceForgotten):
                engine.index_repository(files, template, on_file=on_file)
            assert seen == [1, 2]
            assert engine.sources(Scope.of("T1", "C1")) == []
        finally:
            engine.close()


def _fields(template: Source) -> dict[str, str]:
    return {
        "workspace": template.workspace,
        "scope": template.scope,
        "channel": template.channel,
        "repo": template.repo,
    }
