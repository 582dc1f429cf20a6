"""A share interrupted by a killed process is marked so in its thread, and sharing resumes.

A real ``gencode serve`` indexes a real repository shared through the loopback Slack API
and is killed with SIGKILL halfway. The next app started on the same store finds the
share its predecessor left, says in the thread that it was interrupted and how far it
got, swaps :eyes: for :x:, and sharing the archive again goes on where it stopped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import slack_sdk

from handlers.inflight import LEASE, PREFIX, InFlight, ShareNote, me
from rag import Engine, Scope
from rag.embed import LocalUSEEmbedder
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer
from tests.slack_api import SlackAPI
from tests.slack_fixtures import Bot
from tests.slack_helpers import SECRET, Slack, file_share_event
from tests.test_slack_index import reply_text, share
from tests.test_slack_repositories import zipped


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


ROOT = Path(__file__).resolve().parents[1]


def finished(api: SlackAPI, ts: str) -> list[str]:
    """The share's final reactions; a whole package takes a while on a busy machine."""
    return api.wait_for(  # type: ignore[no-any-return]
        lambda: (
            (r := api.reactions.get(("C1", ts), [])) and ("x" in r or "white_check_mark" in r) and r
        ),
        timeout=120,
    )


def thread_text(api: SlackAPI, ts: str) -> str:
    return "\n".join(m["text"] for m in api.thread("C1", ts) if m.get("bot_id"))


@pytest.fixture
def next_engine(home: Path, local_embedder: LocalUSEEmbedder) -> Iterator[Callable[[], Engine]]:
    """An engine on the store ``gencode serve`` wrote: what the next process opens. Closed
    after the bots that use it (fixtures tear down in reverse)."""
    engines: list[Engine] = []

    def make() -> Engine:
        engines.append(
            Engine(
                store=SQLiteStore(home / "index.sqlite3"),
                embedder=local_embedder,
                summarizer=ExtractiveSummarizer(),
                generator=ExtractiveGenerator(),
            )
        )
        return engines[-1]

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def serve(
    slack_api: SlackAPI, home: Path
) -> Iterator[Callable[[], tuple[subprocess.Popen[bytes], str]]]:
    """Start ``gencode serve`` in a process of its own; returns it and its URL."""
    started: list[subprocess.Popen[bytes]] = []

    def start() -> tuple[subprocess.Popen[bytes], str]:
        log = home.parent / "serve.log"
        env = {
            **os.environ,
            "GENCODE_HOME": str(home),
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_api.api_url,
        }
        with log.open("wb") as out:  # the code under test, as the gencode script runs it
            proc = subprocess.Popen(
                [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", "0"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=out,
            )
        started.append(proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("gencode listening on "):
                    return proc, line.split()[-1].removesuffix("/slack/events")
            assert proc.poll() is None, log.read_text(errors="replace")
            time.sleep(0.1)
        raise AssertionError("gencode serve did not start: " + log.read_text(errors="replace"))

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


class TestSlackInterrupted:
    def test_a_share_killed_halfway_is_marked_interrupted_and_sharing_again_resumes(
        self,
        serve: Callable[[], tuple[subprocess.Popen[bytes], str]],
        next_engine: Callable[[], Engine],
        start_bot: Callable[..., Bot],
        slack_api: SlackAPI,
    ) -> None:
        proc, url = serve()
        data = zipped(Path(slack_sdk.__file__).parent, "slack_sdk")
        file = slack_api.add_file("slack_sdk.zip", data)
        ts = slack_api.add_message("C1", "", files=[file], subtype="file_share")
        assert Slack(url).event(file_share_event(file, ts=ts)).status == 200

        def progress() -> str | None:
            text = thread_text(slack_api, ts)
            return text if "indexed" in text and "files…" in text else None

        shown = slack_api.wait_for(progress, timeout=60)  # e.g. "indexed 12 / 121 files…"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert slack_api.reactions[("C1", ts)] == ["eyes"]  # left hanging by the dead process

        engine = next_engine()
        bot = start_bot(engine=engine)  # the next process on the same store
        assert finished(slack_api, ts) == ["x"]
        said = thread_text(slack_api, ts)
        assert "Indexing `slack_sdk.zip` was interrupted after" in said
        assert "Share it again to go on where it stopped" in said
        assert shown not in said
        assert engine.sources(Scope.of("T1", "C1"))  # what was done before the kill stays

        ts2, _ = share(bot, "slack_sdk.zip", data)
        assert finished(slack_api, ts2) == ["white_check_mark"]
        totals = reply_text(slack_api, "C1", ts2)
        unchanged = int(totals.split(" unchanged")[0].rsplit("· ", 1)[1].replace(",", ""))
        assert unchanged > 0  # the files done before the kill cost nothing


def note(**kw: object) -> ShareNote:
    fields: dict[str, object] = {
        "team": "T1",
        "channel": "C1",
        "ts": "1.0",
        "thread_ts": "1.0",
        "status_ts": "2.0",
        "name": "shop.zip",
        "archive": True,
        "korean": False,
        "host": me().host,
        "pid": os.getpid(),
        "boot": me().boot,
        "beat": time.time(),
    }
    fields.update(kw)
    return ShareNote(**fields)  # type: ignore[arg-type]


class TestWhichSharesAreOrphaned:
    def test_a_share_of_a_process_that_is_gone_from_this_host_is_orphaned_at_once(
        self, next_engine: Callable[[], Engine]
    ) -> None:
        flight = InFlight(next_engine(), same_host=True, heartbeat=None)
        finished_child = subprocess.Popen([sys.executable, "-c", "pass"])
        finished_child.wait()
        running_child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            now = time.time()
            assert flight.orphaned(note(pid=finished_child.pid, boot="other"), now)
            assert flight.orphaned(note(boot="a restarted container"), now)  # our pid, reused
            assert not flight.orphaned(note(pid=running_child.pid, boot="other"), now)
            assert not flight.orphaned(note(), now)  # this very process
        finally:
            running_child.kill()
            running_child.wait()

    def test_elsewhere_only_a_stopped_heartbeat_makes_a_share_orphaned(
        self, next_engine: Callable[[], Engine]
    ) -> None:
        engine = next_engine()
        now = time.time()
        other_host = note(host="another-host", pid=1, boot="other")
        for flight in (
            InFlight(engine, same_host=True, heartbeat=None),
            InFlight(engine, same_host=False, heartbeat=None),  # Lambda: pids say nothing
        ):
            assert not flight.orphaned(replace(other_host, beat=now - LEASE + 60), now)
            assert flight.orphaned(replace(other_host, beat=now - LEASE - 1), now)
        lambda_flight = InFlight(engine, same_host=False, heartbeat=None)
        assert not lambda_flight.orphaned(note(boot="another container"), now)

    def test_the_heartbeat_renews_a_share_while_it_is_held(
        self, next_engine: Callable[[], Engine], slack_api: SlackAPI
    ) -> None:
        engine = next_engine()
        flight = InFlight(engine, same_host=True, heartbeat=0.05)
        shared = SimpleNamespace(
            team="T1",
            channel="C1",
            ts="1.0",
            thread_ts="1.0",
            file_id="F1",
            name="a.zip",
            korean=False,
        )
        ticket = flight.begin(shared, status_ts="2.0", archive=True)  # type: ignore[arg-type]
        first = ShareNote.parse(engine.recall(PREFIX)[ticket.key])
        assert first is not None
        slack_api.wait_for(
            lambda: (
                (n := ShareNote.parse(engine.recall(PREFIX)[ticket.key])) and n.beat > first.beat
            )
        )
        ticket.end()
        assert engine.recall(PREFIX) == {}
