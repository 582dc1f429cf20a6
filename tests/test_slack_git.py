"""Repositories kept in sync from git, through the real Bolt app and server: the loopback
Slack API on one side, a real git server (git http-backend behind basic auth) on the other,
and signed GitHub and GitLab push webhooks on ``POST /git/webhook``."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from rag import Engine, Scope
from rag.chunking import ParsedChunk
from rag.generate import ExtractiveGenerator
from rag.git import GitSync
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer, ProgressCallback, Summary
from tests.git_server import TOKEN, GitServer, Listener
from tests.slack_fixtures import Bot
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_repositories import click, command, ephemeral, tarball

HOOK_SECRET = "hook-secret-for-tests"
FILES = {
    "shop/orders.py": (
        "def order_total(order):\n    return sum(i.price for i in order.items)\n\n\n"
        "def order_tax(order, rate):\n    return order_total(order) * rate\n"
    ),
    "shop/util.py": "def slugify(text):\n    return text.lower().replace(' ', '-')\n",
}


def post_webhook(bot: Bot, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str, float]:
    """POST a delivery to ``/git/webhook``; returns status, text and seconds taken."""
    raw = json.dumps(body).encode()
    req = urllib.request.Request(
        bot.server.url + "/git/webhook",
        data=raw,
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), time.monotonic() - started


def github_push(
    server: GitServer, name: str, *, branch: str = "main", after: str = ""
) -> dict[str, Any]:
    return {
        "ref": f"refs/heads/{branch}",
        "before": "0" * 40,
        "after": after,
        "repository": {
            "clone_url": server.url(name),
            "html_url": server.url(name).removesuffix(".git"),
        },
    }


def github_headers(body: dict[str, Any], *, secret: str = HOOK_SECRET, event: str = "push") -> dict[str, str]:  # fmt: skip
    digest = hmac.new(secret.encode(), json.dumps(body).encode(), hashlib.sha256).hexdigest()
    return {"X-GitHub-Event": event, "X-Hub-Signature-256": f"sha256={digest}"}


def thread_of(bot: Bot, channel: str = "C1") -> tuple[str, list[dict[str, Any]]]:
    """The bot's root message about the repository and the replies in its thread."""
    root = bot.api.wait_for(
        lambda: next(
            (m for m in bot.api.bot_messages(channel) if "added the repository" in m["text"]
             or "추가했습니다" in m["text"]),
            None,
        )
    )  # fmt: skip
    return root["ts"], bot.api.thread(channel, root["ts"])


def final_report(bot: Bot, channel: str = "C1", *, contains: str = "") -> str:
    """The thread's status message once it shows a report (not progress)."""

    def done() -> str | None:
        _, thread = thread_of(bot, channel)
        for m in thread[1:]:
            text = m["text"]
            if text.startswith((":white_check_mark:", ":x:", ":wastebasket:", ":hourglass:")):
                if contains in text:
                    return str(text)
        return None

    return str(bot.api.wait_for(done, timeout=30))


@pytest.fixture
def git_bot(
    start_bot: Callable[..., Bot],
    make_engine: Callable[..., Engine],
    make_sync: Callable[..., GitSync],
) -> Bot:
    engine = make_engine()
    return start_bot(
        engine=engine,
        git=make_sync(engine),
        update_interval=0.0,
        settings={"git_webhook_secret": HOOK_SECRET},
    )


def slash(bot: Bot, text: str, *, channel: str = "C1", user: str = "U1") -> None:
    command(bot, text, channel=channel, user=user)


class TestAddFromSlack:
    def test_added_in_a_public_channel_it_is_indexed_in_a_thread_for_the_workspace(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        git_server.repo("shop", FILES)
        reply = git_bot.slack.command(
            f"repo add {git_server.url('shop')}",
            response_url=git_bot.api.url + "/response/cmd",
        )
        assert reply.status == 200
        ack = reply.json()  # the ack itself, ephemeral and at once
        assert ack["response_type"] == "ephemeral" and ack["text"].startswith(":package: Checking")
        report = final_report(git_bot)
        assert "Indexed the repository `shop`: 2 files, 3 definitions" in report
        assert "anywhere in this workspace" in report
        root_ts, thread = thread_of(git_bot)
        assert "<@U1> added the repository `shop`" in thread[0]["text"]
        assert "branch `main`" in thread[0]["text"]
        assert git_bot.api.uploads, "the per-file list goes up as a snippet"
        listing = git_bot.api.uploads[max(git_bot.api.uploads)].decode()
        assert "shop/orders.py\tindexed" in listing
        hits = git_bot.engine.retrieve("slugify", Scope.of("T1", "C7"), k=1)  # elsewhere too
        assert hits[0].chunk.display_path == "shop/shop/util.py"

    @pytest.mark.parametrize(
        ("channel", "kind"),
        [("G1", {"private": True}), ("D1", {"im": True}), ("C2", {"ext_shared": True})],
    )
    def test_added_in_a_private_conversation_it_stays_there(
        self, git_bot: Bot, git_server: GitServer, channel: str, kind: dict[str, bool]
    ) -> None:
        git_bot.api.add_channel(channel, **kind)
        git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}", channel=channel)
        final_report(git_bot, channel)
        assert git_bot.engine.retrieve("slugify", Scope.of("T1", channel), k=1)
        assert git_bot.engine.retrieve("slugify", Scope.of("T1", "C9"), k=1) == []

    def test_in_korean_the_replies_are_korean(self, git_bot: Bot, git_server: GitServer) -> None:
        git_server.repo("shop", FILES)
        reply = git_bot.slack.command(
            f"저장소 추가 {git_server.url('shop')} main",
            response_url=git_bot.api.url + "/response/cmd",
        )
        assert "확인하는 중" in reply.json()["text"]
        _, thread = thread_of(git_bot)
        assert "저장소 `shop`" in thread[0]["text"] and "추가했습니다" in thread[0]["text"]
        refused = git_bot.slack.command("저장소 추가 https://user:pw@github.com/acme/shop.git")
        assert "URL에 사용자 이름이나 비밀번호가 들어 있습니다" in refused.json()["text"]

    def test_a_refused_url_is_told_in_the_ack_and_connects_nowhere(
        self, git_bot: Bot, listener: Listener
    ) -> None:
        for url in (
            f"{listener.base}/acme/shop.git",
            "file:///etc/passwd",
            "http://169.254.169.254/latest/meta-data",
            "https://x-access-token:ghp_leak@github.com/acme/shop.git",
            f"<{listener.base}/acme/shop.git|shop>",
        ):
            reply = git_bot.slack.command(f"repo add {url}")
            assert reply.json()["text"].startswith(":x: I did not add the repository"), url
            assert "ghp_leak" not in reply.body
        time.sleep(0.3)  # a lazy listener would have posted by now
        assert listener.accepted == 0
        assert git_bot.api.calls_to("chat.postMessage") == []
        assert git_bot.engine.store.repositories() == []

    def test_a_remote_problem_is_told_to_the_asker_only(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        slash(git_bot, f"repo add {git_server.url('missing')}")
        (told,) = ephemeral(git_bot)
        assert told["response_type"] == "ephemeral"
        assert "no repository was found at" in told["text"]
        assert git_bot.api.calls_to("chat.postMessage") == []

    def test_a_namesake_is_refused_in_the_askers_language_and_the_first_stays(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        git_server.repo("team/shop", {"other.py": "def other():\n    return 1\n"})
        slash(git_bot, f"저장소 추가 {git_server.url('team/shop')}", user="U2")
        (told,) = ephemeral(git_bot)
        assert "같은 이름의 저장소가 이미 여기서 동기화되고 있습니다" in told["text"]
        assert "/acme/shop (main)에서" in told["text"]
        (kept,) = git_bot.engine.store.repositories()
        assert kept.url == git_server.url("shop")

    def test_a_repository_over_the_definitions_limit_is_refused_as_too_big(
        self,
        start_bot: Callable[..., Bot],
        make_engine: Callable[..., Engine],
        make_sync: Callable[..., GitSync],
        git_server: GitServer,
    ) -> None:
        engine = make_engine(max_definitions_per_share=2)  # FILES define 3
        bot = start_bot(engine=engine, git=make_sync(engine), update_interval=0.0)
        git_server.repo("shop", FILES)
        slash(bot, f"저장소 추가 {git_server.url('shop')}")
        report = final_report(bot)
        assert "저장소가 너무 큽니다: GENCODE_MAX_DEFINITIONS_PER_SHARE = 2." in report
        assert engine.stats().chunks == 0

    def test_the_usage_is_shown_for_repo_alone(self, git_bot: Bot) -> None:
        assert "/gencode repo add https://" in git_bot.slack.command("repo").json()["text"]


class TestWebhooks:
    def test_a_signed_push_resyncs_in_the_background_and_answers_at_once(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        repo = git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        posted = len(thread_of(git_bot)[1])
        repo.write({"shop/util.py": "def slugify(text):\n    return text.strip().lower()\n"})
        repo.commit("strip first")
        head = repo.push()
        body = github_push(git_server, "shop", after=head)
        status, text, seconds = post_webhook(git_bot, body, github_headers(body))
        assert status == 202 and text == "syncing 1 repository" and seconds < 3
        registered = git_bot.engine.store.repositories
        git_bot.api.wait_for(lambda: registered()[0].commit == head, timeout=20)
        util = [s for s in git_bot.engine.sources(Scope.of("T1")) if s.path == "shop/util.py"]
        chunks = git_bot.engine.store.chunks_of_source(util[0].key)
        assert any("strip()" in c.code for c in chunks)
        # a quiet success: nothing more was posted in the thread
        assert len(thread_of(git_bot)[1]) == posted

    def test_gitlab_pushes_carry_the_token(self, git_bot: Bot, git_server: GitServer) -> None:
        repo = git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        repo.write({"shop/new.py": "def brand_new():\n    return 1\n"}).commit()
        head = repo.push()
        body = {
            "object_kind": "push",
            "ref": "refs/heads/main",
            "after": head,
            "project": {"git_http_url": git_server.url("shop")},
        }
        wrong = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": "not-it"}
        assert post_webhook(git_bot, body, wrong)[0] == 403
        right = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": HOOK_SECRET}
        assert post_webhook(git_bot, body, right)[0] == 202
        registered = git_bot.engine.store.repositories
        git_bot.api.wait_for(lambda: registered()[0].commit == head, timeout=20)

    def test_bad_or_missing_signatures_are_refused_and_fetch_nothing(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        fetched = len(git_server.requests)
        body = github_push(git_server, "shop", after="f" * 40)
        assert post_webhook(git_bot, body, {"X-GitHub-Event": "push"})[0] == 401
        forged = github_headers(body, secret="guessed")
        assert post_webhook(git_bot, body, forged)[0] == 403
        tampered = github_headers(body)
        body["ref"] = "refs/heads/other"
        assert post_webhook(git_bot, body, tampered)[0] == 403
        assert post_webhook(git_bot, body, {"X-Gitlab-Event": "Push Hook"})[0] == 401
        assert post_webhook(git_bot, body, {})[0] == 401
        time.sleep(0.3)
        assert len(git_server.requests) == fetched
        assert git_bot.engine.store.repositories()[0].requested == 1  # the add's own

    def test_pings_other_events_and_unknown_pushes_get_2xx_and_do_nothing(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        fetched = len(git_server.requests)
        ping = {"zen": "Keep it logically awesome."}
        assert post_webhook(git_bot, ping, github_headers(ping, event="ping"))[:2] == (200, "pong")
        issue = {"action": "opened"}
        assert post_webhook(git_bot, issue, github_headers(issue, event="issues"))[0] == 200
        for body in (
            github_push(git_server, "shop", branch="feature"),
            github_push(git_server, "unknown"),
            {**github_push(git_server, "shop"), "ref": "refs/tags/v1"},
        ):
            assert post_webhook(git_bot, body, github_headers(body))[0] == 200
        time.sleep(0.3)
        assert len(git_server.requests) == fetched

    def test_the_schedule_syncs_repositories_nobody_pushed_a_webhook_for(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        repo = git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        repo.write({"shop/new.py": "def scheduled():\n    return 1\n"}).commit()
        head = repo.push()
        assert git_bot.hooks is not None
        git_bot.hooks.start_schedule(0.005)  # every 0.3 s, as GENCODE_GIT_SYNC_MINUTES would
        registered = git_bot.engine.store.repositories
        git_bot.api.wait_for(lambda: registered()[0].commit == head, timeout=20)

    def test_a_failing_background_sync_is_told_once_in_its_thread(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        repo = git_server.repo("shop", FILES)
        repo.commit("feature", branch="feature")
        repo.push(branch="feature")
        slash(git_bot, f"repo add {git_server.url('shop')} feature")
        final_report(git_bot)
        repo.delete_branch("feature")
        body = github_push(git_server, "shop", branch="feature", after="0" * 40)
        for _ in range(2):  # the push, then a retry of the same delivery
            assert post_webhook(git_bot, body, github_headers(body))[0] == 202
            git_bot.api.wait_for(lambda: git_bot.engine.store.repositories()[0].error)
            time.sleep(0.5)
        _, thread = thread_of(git_bot)
        told = [m for m in thread if "Syncing `shop`" in m["text"]]
        assert len(told) == 1
        assert "the branch feature does not exist on the remote" in told[0]["text"]
        assert git_bot.engine.retrieve("slugify", Scope.of("T1"), k=1)  # last good index kept

        slash(git_bot, "list")
        listed = json.dumps(ephemeral(git_bot)[-1]["blocks"])
        assert "branch `feature`" in listed and "last error" in listed


class HeldSummarizer(ExtractiveSummarizer):
    def __init__(self) -> None:
        self.hold = threading.Event()
        self.reached = threading.Event()
        self.release = threading.Event()

    def summarize(
        self, chunks: Sequence[ParsedChunk], *, on_progress: ProgressCallback | None = None
    ) -> list[Summary]:
        if self.hold.is_set():
            self.reached.set()
            assert self.release.wait(30)
        return super().summarize(chunks, on_progress=on_progress)


class TestListAndForget:
    def test_list_shows_host_path_branch_commit_and_sync_time_never_a_token(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        repo = git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        slash(git_bot, "list")
        listed = json.dumps(ephemeral(git_bot)[-1]["blocks"])
        host = git_server.base.removeprefix("http://")
        assert f"synced from `{host}/acme/shop`, branch `main`" in listed
        assert f"at `{repo.push()[:7]}`" in listed and "last synced <!date^" in listed
        assert "repository `shop` (2 files)" in listed
        assert TOKEN not in listed

    def test_forgetting_during_a_background_sync_stops_it_for_good(
        self,
        start_bot: Callable[..., Bot],
        tmp_path: Path,
        local_embedder: Any,
        make_sync: Callable[..., GitSync],
        git_server: GitServer,
    ) -> None:
        summarizer = HeldSummarizer()
        engine = Engine(
            store=SQLiteStore(tmp_path / "held.sqlite3"),
            embedder=local_embedder,
            summarizer=summarizer,
            generator=ExtractiveGenerator(),
        )
        try:
            bot = start_bot(
                engine=engine,
                git=make_sync(engine),
                update_interval=0.0,
                settings={"git_webhook_secret": HOOK_SECRET},
            )
            repo = git_server.repo("shop", FILES)
            slash(bot, f"repo add {git_server.url('shop')}")
            final_report(bot)
            summarizer.hold.set()
            repo.write({f"shop/m{i}.py": f"def f{i}():\n    return {i}\n" for i in range(20)})
            repo.commit("many files")
            body = github_push(git_server, "shop", after=repo.push())
            assert post_webhook(bot, body, github_headers(body))[0] == 202
            assert summarizer.reached.wait(20)  # the background sync is indexing

            slash(bot, "forget shop")
            confirm = ephemeral(bot)[-1]
            assert "It also stops syncing from" in confirm["text"]
            click(bot, confirm, "gencode_forget_confirm")
            bot.api.wait_for(lambda: len(bot.api.calls_to("response_url")) >= 2)
            summarizer.release.set()
            time.sleep(1.0)  # the sync goes on past its held file, and must write nothing
            assert engine.sources(Scope.of("T1")) == []
            assert engine.store.repositories() == []
            # a later push finds nothing to sync
            repo.write({"shop/late.py": "def late():\n    return 0\n"}).commit()
            body = github_push(git_server, "shop", after=repo.push())
            assert post_webhook(bot, body, github_headers(body))[:2] == (
                200,
                "no repository registered for this push",
            )
            time.sleep(0.3)
            assert engine.sources(Scope.of("T1")) == []
            slash(bot, "list")
            assert "shop" not in json.dumps(ephemeral(bot)[-1])
        finally:
            summarizer.release.set()
            engine.close()

    def test_a_repository_with_nothing_indexed_is_listed_and_forgotten(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        git_server.repo("shop", FILES)
        git = git_bot.hooks.git  # type: ignore[union-attr]
        git.add(git_server.url("shop"), workspace="T1", channel="C1", added_by="U1")
        slash(git_bot, "list")
        assert "no file indexed yet" in json.dumps(ephemeral(git_bot)[-1])
        slash(git_bot, "forget shop", user="U2")
        assert "only <@U1>" in ephemeral(git_bot, 2)[-1]["text"]
        slash(git_bot, "forget shop")
        confirm = ephemeral(git_bot, 3)[-1]
        click(git_bot, confirm, "gencode_forget_confirm")
        git_bot.api.wait_for(lambda: len(git_bot.api.calls_to("response_url")) >= 4)
        assert git_bot.engine.store.repositories() == []


class TestSecrets:
    def test_the_token_never_reaches_slack_the_logs_or_the_store(
        self,
        git_bot: Bot,
        git_server: GitServer,
        caplog: pytest.LogCaptureFixture,
        tmp_path: Path,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        repo = git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        repo.write({"shop/util.py": "def slugify(t):\n    return t\n"}).commit()
        body = github_push(git_server, "shop", after=repo.push())
        post_webhook(git_bot, body, github_headers(body))
        git_bot.api.wait_for(lambda: git_bot.engine.store.repositories()[0].commit == body["after"])
        slash(git_bot, "list")
        ephemeral(git_bot)
        recorded = b"".join(c.body + json.dumps(c.params).encode() for c in git_bot.api.calls)
        recorded += b"".join(git_bot.api.uploads.values())
        assert TOKEN.encode() not in recorded
        assert all(TOKEN not in r.getMessage() for r in caplog.records)
        git_bot.engine.close()
        for path in tmp_path.glob("index*.sqlite3*"):
            assert TOKEN.encode() not in path.read_bytes()
        assert git_server.requests and all(r.authorized for r in git_server.requests)


class TestSharesBesideSyncedRepositories:
    def test_an_archive_named_like_a_synced_repository_is_refused_and_changes_nothing(
        self, git_bot: Bot, git_server: GitServer
    ) -> None:
        git_server.repo("shop", FILES)
        slash(git_bot, f"repo add {git_server.url('shop')}")
        final_report(git_bot)
        before = {s.display: s.functions for s in git_bot.engine.sources(Scope.of("T1", "C1"))}

        # The same person, with an archive whose top folder is the repository's name.
        archive = tarball({"shop/shop/orders.py": b"def order_total(order):\n    return 0\n"})
        ts, _ = share(git_bot, "shop.tgz", archive)
        assert wait_done(git_bot.api, "C1", ts) == ["x"]
        said = reply_text(git_bot.api, "C1", ts)
        assert "kept in sync from git" in said and "/gencode forget shop" in said
        after = {s.display: s.functions for s in git_bot.engine.sources(Scope.of("T1", "C1"))}
        assert after == before
        orders = [s for s in git_bot.engine.sources(Scope.of("T1")) if s.path == "shop/orders.py"]
        code = "".join(c.code for c in git_bot.engine.store.chunks_of_source(orders[0].key))
        assert "sum(i.price" in code
