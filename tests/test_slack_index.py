"""Indexing by sharing a file: reactions, thread replies, scope, bad input, dedupe."""

from __future__ import annotations

from typing import Any

import pytest

from rag import WORKSPACE_WIDE, Scope
from tests.samples import ORDERS_PY, PAYMENTS_PY, many_functions
from tests.slack_api import SlackAPI
from tests.slack_fixtures import Bot
from tests.slack_helpers import file_share_event


def share(
    bot: Bot,
    name: str,
    content: bytes,
    *,
    channel: str = "C1",
    channel_type: str | None = "channel",
    **kw: Any,
) -> tuple[str, dict[str, Any]]:
    file = bot.api.add_file(name, content)
    ts = bot.api.add_message(channel, "", files=[file], subtype="file_share")
    event = file_share_event(file, channel=channel, ts=ts, channel_type=channel_type, **kw)
    assert bot.slack.event(event).status == 200
    return ts, event


def wait_done(api: SlackAPI, channel: str, ts: str, timeout: float = 60.0) -> list[str]:
    """The share's final reactions. Indexing a real repository takes seconds on a quiet
    machine and far longer on a loaded one: the deadline only stops a hung test."""
    return api.wait_for(
        lambda: (
            (r := api.reactions.get((channel, ts), []))
            and ("white_check_mark" in r or "x" in r)
            and r
        ),
        timeout,
    )


def reply_text(api: SlackAPI, channel: str, ts: str) -> str:
    replies = [m for m in api.thread(channel, ts) if m.get("bot_id")]
    assert replies, "no reply in the file's thread"
    return "\n".join(m["text"] for m in replies)


class TestSlackIndex:
    def test_shared_file_is_indexed_and_reported_in_its_thread(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        adds = [c.params["name"] for c in bot.api.calls_to("reactions.add")]
        assert adds == ["eyes", "white_check_mark"]
        assert [c.params["name"] for c in bot.api.calls_to("reactions.remove")] == ["eyes"]
        text = reply_text(bot.api, "C1", ts)
        assert "`upload_with_retry` L5–12" in text
        assert "`OrderRepo.get_order_by_id` L16–18" in text
        assert "Upload a file to S3, retrying with exponential backoff." in text
        assert "&amp; return it as a &lt;dict&gt;" in text  # escaped summary
        assert "4 new · 0 unchanged · 0 removed · 0 errors" in text
        # every reply is in the file message's thread
        for call in bot.api.calls_to("chat.postMessage"):
            assert call.params["thread_ts"] == ts
        # downloaded with the bot token
        (download,) = bot.api.calls_to("download")
        assert download.headers["authorization"] == f"Bearer {bot.api.token}"

    def test_chunks_record_workspace_scope_file_and_permalink(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        hits = bot.engine.retrieve("upload retry", Scope.of("T1", "C1"), k=10)
        chunk = next(h.chunk for h in hits if h.chunk.qualname == "upload_with_retry")
        assert chunk.workspace == "T1"
        assert chunk.scope == WORKSPACE_WIDE
        assert chunk.file_id.startswith("F")
        assert chunk.permalink.startswith("https://test.slack.com/files/")
        assert (chunk.channel, chunk.channel_kind, chunk.indexed_by) == (
            "C1",
            "public channel",
            "U1",
        )

    def test_file_in_private_channel_is_scoped_to_it(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="G1", channel_type="group")
        wait_done(bot.api, "G1", ts)
        assert bot.engine.retrieve("upload retry", Scope.of("T1", "C9"), k=5) == []
        hits = bot.engine.retrieve("upload retry", Scope.of("T1", "G1"), k=5)
        assert {h.chunk.scope for h in hits} == {"G1"}
        assert {(h.chunk.channel, h.chunk.channel_kind) for h in hits} == {
            ("G1", "private channel")
        }
        assert "private to this conversation" in reply_text(bot.api, "G1", ts)

    def test_channel_type_unknown_is_looked_up_and_fails_closed(self, bot: Bot) -> None:
        bot.api.add_channel("C2")
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="C2", channel_type=None)
        wait_done(bot.api, "C2", ts)
        assert bot.api.calls_to("conversations.info")
        assert bot.engine.retrieve("upload", Scope.of("T1", "C9"), k=5)  # public: visible anywhere
        # unknown channel: conversations.info fails, so the code stays private
        bot.api.missing_channels.add("C3")
        ts, _ = share(bot, "payments.py", PAYMENTS_PY, channel="C3", channel_type=None)
        wait_done(bot.api, "C3", ts)
        hits = bot.engine.retrieve("refund payment", Scope.of("T1", "C9"), k=10)
        assert all(h.chunk.source_path != "payments.py" for h in hits)

    def test_dm_file_is_private_to_the_dm(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="D1", channel_type="im")
        wait_done(bot.api, "D1", ts)
        assert {
            h.chunk.scope for h in bot.engine.retrieve("upload", Scope.of("T1", "D1"), k=5)
        } == {"D1"}

    def test_many_functions_show_progress_and_a_compact_list_with_a_snippet(
        self, start_bot: Any
    ) -> None:
        bot = start_bot(update_interval=0.0)
        ts, _ = share(bot, "big.py", many_functions(60))
        wait_done(bot.api, "C1", ts)
        updates = bot.api.calls_to("chat.update")
        assert any(
            "summarising" in c.params["text"] or "embedding" in c.params["text"] for c in updates
        )
        final = [m for m in bot.api.thread("C1", ts) if not m.get("upload")][-1]
        assert final["text"].count("`helper_") == 20
        assert "Showing 20 of 60" in final["text"]
        assert "60 new" in final["text"]
        (complete,) = bot.api.wait_calls("files.completeUploadExternal")
        assert complete.params["thread_ts"] == ts
        (up,) = [v for k, v in bot.api.uploads.items()]
        assert b"helper_59" in up

    def test_partial_file_object_is_completed_with_files_info(self, bot: Bot) -> None:
        file = bot.api.add_file("orders.py", ORDERS_PY)
        partial = {"id": file["id"], "file_access": "check_file_info", "mode": "hosted"}
        ts = bot.api.add_message("C1", "")
        bot.slack.event(file_share_event(partial, ts=ts))
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        (info,) = bot.api.calls_to("files.info")
        assert info.params["file"] == file["id"]
        assert "`upload_with_retry`" in reply_text(bot.api, "C1", ts)

    def test_resharing_an_unchanged_file_reports_unchanged(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        ts2, _ = share(bot, "orders.py", ORDERS_PY.replace(b"class OrderRepo", b"class Repo"))
        wait_done(bot.api, "C1", ts2)
        text = reply_text(bot.api, "C1", ts2)
        assert "2 unchanged" in text and "removed" in text
        assert "*Removed* (no longer in the file): `OrderRepo`" in text

    def test_same_named_files_from_two_public_channels_both_stay(self, bot: Bot) -> None:
        ts1, _ = share(bot, "team_utils.py", ORDERS_PY, channel="C1")
        wait_done(bot.api, "C1", ts1)
        ts3, _ = share(bot, "team_utils.py", PAYMENTS_PY, channel="C3", user="U2")
        wait_done(bot.api, "C3", ts3)
        assert "0 removed" in reply_text(bot.api, "C3", ts3)
        # U1's code from C1 still answers, beside U2's from C3 (both workspace-wide)
        hits = bot.engine.retrieve("upload retry order", Scope.of("T1", "C9"), k=20)
        channels = {h.chunk.channel for h in hits}
        assert channels == {"C1", "C3"}
        assert any(h.chunk.qualname == "upload_with_retry" for h in hits)

    def test_resharing_in_the_same_conversation_replaces_only_that_copy(self, bot: Bot) -> None:
        ts1, _ = share(bot, "team_utils.py", ORDERS_PY, channel="C1")
        wait_done(bot.api, "C1", ts1)
        ts3, _ = share(bot, "team_utils.py", ORDERS_PY, channel="C3", user="U2")
        wait_done(bot.api, "C3", ts3)
        smaller = ORDERS_PY.replace(b"class OrderRepo", b"class Repo")
        ts4, _ = share(bot, "team_utils.py", smaller, channel="C3", user="U2")
        wait_done(bot.api, "C3", ts4)
        assert "*Removed* (no longer in the file): `OrderRepo`" in reply_text(bot.api, "C3", ts4)
        repos = [
            h.chunk.channel
            for h in bot.engine.retrieve("order repo", Scope.of("T1"), k=30)
            if h.chunk.qualname == "OrderRepo"
        ]
        assert repos == ["C1"]

    def test_a_file_nested_too_deeply_gets_a_reason_not_an_apology(self, bot: Bot) -> None:
        deep = b"x = a" + b".b" * 5000 + b"\n"
        ts, _ = share(bot, "deep.py", deep)
        assert wait_done(bot.api, "C1", ts) == ["x"]
        text = reply_text(bot.api, "C1", ts)
        assert "nested too deeply" in text
        assert "correlation" not in text.lower()

    def test_retries_and_both_event_types_index_once(self, bot: Bot) -> None:
        file = bot.api.add_file("orders.py", ORDERS_PY)
        ts = bot.api.add_message("C1", "", files=[file])
        event = file_share_event(file, ts=ts)
        body_id = "EvSAME1"
        assert bot.slack.event(event, event_id=body_id).status == 200
        assert bot.slack.event(event, event_id=body_id, retry_num=1).status == 200
        assert bot.slack.event(event, event_id=body_id, retry_num=2).status == 200
        # the same upload also arrives as file_shared: acked, not indexed again
        shared = {
            "type": "file_shared",
            "file_id": file["id"],
            "channel_id": "C1",
            "user_id": "U1",
            "file": {"id": file["id"]},
        }
        assert bot.slack.event(shared).status == 200
        # and a different event id for the same message (a redelivery)
        assert bot.slack.event(event).status == 200
        wait_done(bot.api, "C1", ts)
        import time

        time.sleep(0.3)
        assert len(bot.api.calls_to("download")) == 1
        assert len([m for m in bot.api.thread("C1", ts) if m.get("bot_id")]) == 1

    def test_a_retry_reaching_another_instance_is_not_indexed_again(
        self, start_bot: Any, local_embedder: Any, tmp_path: Any
    ) -> None:
        # Two bot processes (or Lambda containers) share one store; Slack's retry of an
        # event lands on the second one, whose memory never saw the first delivery.
        from rag import Engine
        from rag.generate import ExtractiveGenerator
        from rag.stores.sqlite import SQLiteStore
        from rag.summarize import ExtractiveSummarizer

        def engine() -> Engine:
            return Engine(
                store=SQLiteStore(tmp_path / "shared.sqlite3"),
                embedder=local_embedder,
                summarizer=ExtractiveSummarizer(),
                generator=ExtractiveGenerator(),
            )

        first, second = start_bot(engine=engine()), start_bot(engine=engine())
        file = first.api.add_file("orders.py", ORDERS_PY)
        ts = first.api.add_message("C1", "", files=[file], subtype="file_share")
        event = file_share_event(file, ts=ts)
        assert first.slack.event(event, event_id="EvTWICE").status == 200
        assert second.slack.event(event, event_id="EvTWICE", retry_num=1).status == 200
        wait_done(first.api, "C1", ts)
        import time

        time.sleep(0.3)
        assert len(first.api.calls_to("download")) == 1
        first.engine.close()
        second.engine.close()

    def test_a_file_deleted_in_slack_leaves_the_index(self, bot: Bot) -> None:
        ts, event = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        file_id = event["files"][0]["id"]
        assert bot.engine.retrieve("upload retry", Scope.of("T1", "C1"), k=5)
        deleted = {"type": "file_deleted", "file_id": file_id, "event_ts": bot.api.next_ts()}
        assert bot.slack.event(deleted).status == 200
        bot.api.wait_for(lambda: not bot.engine.retrieve("upload retry", Scope.of("T1", "C1"), k=5))
        assert bot.engine.stats().chunks == 0


class TestSlackIndexBadInput:
    def test_non_python_file_in_a_channel_is_ignored_silently(self, bot: Bot) -> None:
        ts, _ = share(bot, "notes.txt", b"hello")
        import time

        time.sleep(0.4)
        assert bot.api.calls_to("chat.postMessage") == []
        assert bot.api.calls_to("reactions.add") == []
        assert bot.api.calls_to("download") == []

    def test_non_python_file_in_a_dm_gets_a_helpful_note(self, bot: Bot) -> None:
        ts, _ = share(bot, "notes.txt", b"hello", channel="D1", channel_type="im")
        (call,) = bot.api.wait_calls("chat.postMessage")
        assert "`notes.txt` is not a Python file" in call.params["text"]
        assert call.params["thread_ts"] == ts
        assert bot.api.calls_to("download") == []

    def test_non_python_file_in_the_bots_thread_gets_a_note(self, bot: Bot) -> None:
        root = bot.api.add_message("C1", "question")
        bot.api.add_message("C1", "answer", user="UBOT", bot_id="BBOT", thread_ts=root)
        ts, _ = share(bot, "notes.md", b"# hi", thread_ts=root)
        (call,) = bot.api.wait_calls("chat.postMessage")
        assert "is not a Python file" in call.params["text"]
        assert call.params["thread_ts"] == root

    def test_non_python_file_with_a_mention_gets_a_note(self, bot: Bot) -> None:
        share(bot, "data.csv", b"a,b", text="<@UBOT> index this")
        (call,) = bot.api.wait_calls("chat.postMessage")
        assert "not a Python file" in call.params["text"]

    def refused(self, bot: Bot, name: str, content: bytes, **kw: Any) -> str:
        ts, _ = share(bot, name, content, **kw)
        assert wait_done(bot.api, "C1", ts) == ["x"]
        return reply_text(bot.api, "C1", ts)

    def test_an_empty_download_of_a_non_empty_file_changes_nothing(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        before = bot.engine.stats().chunks
        file = bot.api.add_file("orders.py", b"", size=len(ORDERS_PY))
        ts2 = bot.api.add_message("C1", "", files=[file], subtype="file_share")
        assert bot.slack.event(file_share_event(file, ts=ts2)).status == 200
        assert wait_done(bot.api, "C1", ts2) == ["x"]
        assert "came back empty" in reply_text(bot.api, "C1", ts2)
        assert bot.engine.stats().chunks == before

    def test_a_file_emptied_and_shared_again_leaves_the_index(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        ts2, _ = share(bot, "orders.py", b"\n")
        assert wait_done(bot.api, "C1", ts2) == ["white_check_mark"]
        assert "have left the index" in reply_text(bot.api, "C1", ts2)
        assert bot.engine.stats().chunks == 0

    def test_binary_content_is_refused(self, bot: Bot) -> None:
        text = self.refused(bot, "blob.py", b"\x00\x01\x02binary")
        assert "binary file" in text and "Nothing that was already indexed has changed" in text

    def test_syntax_error_reports_line_and_message_and_keeps_the_old_version(
        self, bot: Bot
    ) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        text = self.refused(
            bot, "orders.py", b"def ok():\n    return 1\n\ndef broken(:\n    pass\n"
        )
        assert "syntax error on line 4" in text
        hits = bot.engine.retrieve("upload retry", Scope.of("T1", "C1"), k=5)
        assert any(h.chunk.qualname == "upload_with_retry" for h in hits)

    def test_file_over_the_size_limit_is_refused_without_download(self, start_bot: Any) -> None:
        bot = start_bot(max_file_bytes=100)
        text = self.refused(bot, "huge.py", b"x = 1\n" * 100)
        assert "600 bytes, over the 100-byte limit" in text
        assert bot.api.calls_to("download") == []

    @pytest.mark.parametrize(
        ("behaviour", "said"),
        [
            ("403", "Slack refused access, HTTP 403"),
            ("html", "login page"),
            ("500", "HTTP 500"),
        ],
        ids=["forbidden", "login-page-instead-of-the-file", "server-error"],
    )
    def test_a_failed_download_is_reported(self, bot: Bot, behaviour: str, said: str) -> None:
        file = bot.api.add_file("orders.py", ORDERS_PY)
        bot.api.file_behaviour[file["id"]] = behaviour
        ts = bot.api.add_message("C1", "")
        bot.slack.event(file_share_event(file, ts=ts))
        assert wait_done(bot.api, "C1", ts) == ["x"]
        assert said in reply_text(bot.api, "C1", ts)

    def test_token_is_never_sent_to_a_foreign_host(self, bot: Bot) -> None:
        foreign = SlackAPI().start()
        try:
            file = bot.api.add_file("orders.py", ORDERS_PY, url=foreign.url + "/evil/orders.py")
            ts = bot.api.add_message("C1", "")
            bot.slack.event(file_share_event(file, ts=ts))
            assert wait_done(bot.api, "C1", ts) == ["x"]
            assert "not on Slack" in reply_text(bot.api, "C1", ts)
            assert foreign.calls == []
        finally:
            foreign.stop()

    def test_redirect_to_a_foreign_host_drops_the_token(self, bot: Bot) -> None:
        foreign = SlackAPI().start()
        try:
            file = bot.api.add_file("orders.py", ORDERS_PY)
            bot.api.file_behaviour[file["id"]] = f"redirect:{foreign.url}/cdn/orders.py"
            ts = bot.api.add_message("C1", "")
            bot.slack.event(file_share_event(file, ts=ts))
            wait_done(bot.api, "C1", ts)
            (call,) = foreign.calls
            assert "authorization" not in call.headers
        finally:
            foreign.stop()

    def test_slack_api_failure_gives_an_apology_with_a_correlation_id(
        self, bot: Bot, caplog: Any
    ) -> None:
        bot.api.failures["chat.update"] = "internal_error"
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        assert wait_done(bot.api, "C1", ts) == ["x"]
        import re

        posts = [c.params["text"] for c in bot.api.calls_to("chat.postMessage")]
        apology = next(t for t in posts if "Sorry" in t)
        cid = re.search(r"`([0-9a-f]{10})`", apology).group(1)  # type: ignore[union-attr]
        assert any(cid in r.getMessage() for r in caplog.records)
        assert "Traceback" not in apology
