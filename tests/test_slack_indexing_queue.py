"""A burst of big shares never stands in front of a question.

Shares are indexed on a bounded pool of their own: while every indexing worker is busy
and more shares wait (their threads say how many are ahead), a mention still gets its
answer and ``/gencode list`` its reply. Asserted by what finished first, never by time.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rag import Engine
from rag.embed import LocalUSEEmbedder
from rag.generate import ExtractiveGenerator
from rag.git import GitSync
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer, Summary
from tests.git_server import GitServer
from tests.slack_fixtures import Bot
from tests.test_slack_ask import final_answer, seed
from tests.test_slack_concurrency import mention
from tests.test_slack_git import HOOK_SECRET, github_headers, github_push, post_webhook
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_repositories import command, tarball

SHARES = 9
"""More archives than the test server has lazy-listener threads (8)."""


class GatedSummarizer(ExtractiveSummarizer):
    """A summarising model that is slow until the test opens the gate (a fake *model*)."""

    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate
        self.waiting = 0
        self._lock = threading.Lock()

    def summarize(self, chunks: Sequence[Any], *, on_progress: Any = None) -> list[Summary]:
        with self._lock:
            self.waiting += 1
        if not self.gate.wait(timeout=60):
            raise AssertionError("the test never opened the gate")
        return super().summarize(chunks, on_progress=on_progress)


@dataclass
class Gated:
    engine: Engine
    summarizer: GatedSummarizer
    gate: threading.Event


@pytest.fixture
def gated(tmp_path: Path, local_embedder: LocalUSEEmbedder) -> Iterator[Gated]:
    """An engine whose indexing hangs until the gate opens. Requested before ``start_bot``,
    so it is closed only after the bot (and its indexing workers) stopped."""
    gate = threading.Event()
    summarizer = GatedSummarizer(gate)
    engine = Engine(
        store=SQLiteStore(tmp_path / "gated.sqlite3"),
        embedder=local_embedder,
        summarizer=summarizer,
        generator=ExtractiveGenerator(),
    )
    yield Gated(engine, summarizer, gate)
    gate.set()
    engine.close()


@pytest.fixture
def start_gated(gated: Gated, start_bot: Callable[..., Bot]) -> Iterator[Callable[..., Bot]]:
    """Start the bot on the gated engine; the gate opens before the bot stops, pass or fail,
    so that stopping never waits for indexing that hangs."""

    def start(**kwargs: Any) -> Bot:
        bot = start_bot(engine=gated.engine, **kwargs)
        gated.gate.set()
        seed(bot)  # something to answer from, indexed before indexing gets slow
        gated.gate.clear()
        return bot

    yield start
    gated.gate.set()


def thread_text(bot: Bot, ts: str) -> str:
    return "\n".join(m["text"] for m in bot.api.thread("C1", ts) if m.get("bot_id"))


def repository(i: int) -> bytes:
    return tarball({f"repo{i}/m.py": f"def handler_{i}(event):\n    return event\n".encode()})


class TestSlackIndexingQueue:
    def test_a_mention_and_list_are_answered_while_shares_fill_the_indexing_pool(
        self, gated: Gated, start_gated: Callable[..., Bot]
    ) -> None:
        bot = start_gated()
        shared = [share(bot, f"repo{i}.tgz", repository(i))[0] for i in range(SHARES)]
        bot.api.wait_for(lambda: gated.summarizer.waiting >= 1)  # indexing started, and hangs

        assert bot.slack.event(mention(bot.api, "upload with retry")).status == 200
        reply = bot.slack.command("list", response_url=bot.api.url + "/response/list")
        assert reply.status == 200

        # Both interactive replies arrive while every share is still unfinished.
        thread_ts = bot.api.wait_for(
            lambda: next(
                (
                    c.params["thread_ts"]
                    for c in bot.api.calls_to("chat.postMessage")
                    if c.params.get("metadata", {}).get("event_type") == "gencode_answer"
                ),
                None,
            )
        )
        assert "upload_with_retry" in final_answer(bot.api, "C1", thread_ts)[0]["text"]
        (listed,) = bot.api.wait_calls("response_url")
        assert "orders.py" in json.dumps(json.loads(listed.body)["blocks"])
        assert not gated.gate.is_set()
        assert all("white_check_mark" not in bot.api.reactions.get(("C1", ts), []) for ts in shared)
        assert sum("is queued" in thread_text(bot, ts) for ts in shared) == SHARES - 2

        gated.gate.set()  # indexing goes on, and every share finishes
        for ts in shared:
            assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]

    def test_a_queued_share_says_how_many_are_ahead_then_reports_as_usual(
        self, gated: Gated, start_gated: Callable[..., Bot]
    ) -> None:
        bot = start_gated(settings={"index_workers": 1})
        first = share(bot, "repo0.tgz", repository(0))[0]
        bot.api.wait_for(lambda: bot.api.reactions.get(("C1", first)) == ["eyes"])
        second = share(bot, "repo1.tgz", repository(1))[0]
        third = share(bot, "repo2.tgz", repository(2), text="이것도 색인해 주세요")[0]
        bot.api.wait_for(lambda: "queued" in thread_text(bot, second))
        assert "`repo1.tgz` is queued: it is next" in thread_text(bot, second)
        bot.api.wait_for(lambda: "대기 중" in thread_text(bot, third))
        assert "앞에 색인할 공유 1개" in thread_text(bot, third)
        assert bot.api.reactions.get(("C1", second)) is None  # not started: no :eyes:

        gated.gate.set()
        for ts in (first, second, third):
            assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        final = reply_text(bot.api, "C1", third)
        assert "Indexed the repository" in final and "대기 중" not in final


class TestGitSyncsWaitTheirTurn:
    def test_pushed_syncs_queue_on_the_indexing_pool_and_never_delay_a_question(
        self,
        gated: Gated,
        start_gated: Callable[..., Bot],
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
    ) -> None:
        bot = start_gated(
            git=make_sync(gated.engine),
            settings={"git_webhook_secret": HOOK_SECRET},
            update_interval=0.0,
        )
        repos = [git_server.repo(f"svc{i}", {"m.py": f"def handler_{i}(e):\n    return e\n"})
                 for i in range(SHARES)]  # fmt: skip
        registered = gated.engine.store.repositories
        gated.gate.set()  # the first index of each, quickly
        for i in range(SHARES):
            command(bot, f"repo add {git_server.url(f'svc{i}')}")
        bot.api.wait_for(
            lambda: len(registered()) == SHARES and all(r.commit for r in registered()),
            timeout=60,
        )
        gated.gate.clear()  # from now on, indexing hangs

        heads = {}
        for i, repo in enumerate(repos):
            repo.write({"m.py": f"def handler_{i}(e):\n    return e or None\n"}).commit()
            heads[f"svc{i}"] = repo.push()
            body = github_push(git_server, f"svc{i}", after=heads[f"svc{i}"])
            assert post_webhook(bot, body, github_headers(body))[0] == 202
        bot.api.wait_for(lambda: gated.summarizer.waiting >= 1)  # syncs started, and hang

        # More pushed syncs than lazy-listener threads (8): the question is still answered.
        assert bot.slack.event(mention(bot.api, "upload with retry")).status == 200
        thread_ts = bot.api.wait_for(
            lambda: next(
                (
                    c.params["thread_ts"]
                    for c in bot.api.calls_to("chat.postMessage")
                    if c.params.get("metadata", {}).get("event_type") == "gencode_answer"
                ),
                None,
            )
        )
        assert "upload_with_retry" in final_answer(bot.api, "C1", thread_ts)[0]["text"]
        assert not any(r.commit == heads[r.name] for r in registered())

        gated.gate.set()  # every sync runs in turn, to the pushed commit
        bot.api.wait_for(lambda: all(r.commit == heads[r.name] for r in registered()), timeout=60)

    def test_a_repository_added_while_shares_index_waits_its_turn_and_says_so(
        self,
        gated: Gated,
        start_gated: Callable[..., Bot],
        git_server: GitServer,
        make_sync: Callable[..., GitSync],
    ) -> None:
        bot = start_gated(git=make_sync(gated.engine), settings={"index_workers": 1})
        git_server.repo("svc", {"m.py": "def handler(e):\n    return e\n"})
        first = share(bot, "repo0.tgz", repository(0))[0]
        bot.api.wait_for(lambda: bot.api.reactions.get(("C1", first)) == ["eyes"])
        command(bot, f"repo add {git_server.url('svc')}")
        root = bot.api.wait_for(
            lambda: next(
                (m for m in bot.api.bot_messages("C1") if "added the repository" in m["text"]),
                None,
            )
        )
        bot.api.wait_for(lambda: "`svc` is queued: it is next" in thread_text(bot, root["ts"]))
        assert not gated.engine.store.repositories()[0].commit

        gated.gate.set()
        bot.api.wait_for(lambda: gated.engine.store.repositories()[0].commit, timeout=60)
        assert wait_done(bot.api, "C1", first) == ["white_check_mark"]
