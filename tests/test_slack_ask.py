"""Asking: /gencode, mentions, thread follow-ups, streaming, rendering, failures."""

from __future__ import annotations

import re
import time
from typing import Any

from handlers.render import escape
from rag import Source, Turn
from tests.fakes import FakeGenerator
from tests.samples import ORDERS_PY
from tests.slack_api import SlackAPI
from tests.slack_client import copied_code
from tests.slack_fixtures import Bot
from tests.slack_helpers import message_event

TRICKY_CODE = """import html


def fenced(code: str) -> str:
    \"\"\"Wrap code for Markdown: the ``` inside these strings must not end the block.\"\"\"
    return "```python\\n" + code + "\\n```"


def escaped(text: str) -> str:
\t# A tab-indented body: the tabs must survive the copy.
\tif "<b>" in text and text > "" or "&" in text:
\t\treturn html.escape(text)  # "&lt;b&gt;" and "&amp;" are written literally here
\treturn f"`{text}`"
"""
"""Code with what mrkdwn mangles: &, <, >, entities, tabs, indentation, backticks in strings."""


def seed(
    bot: Bot,
    name: str = "orders.py",
    content: bytes = ORDERS_PY,
    *,
    workspace: str = "T1",
    scope: str = "*",
) -> None:
    """Index through the engine, as if shared earlier (or indexed from the CLI)."""
    report = bot.engine.index_bytes(
        content,
        Source(
            name,
            workspace=workspace,
            scope=scope,
            file_id="F77",
            permalink=f"https://test.slack.com/files/U1/F77/{name}",
        ),
    )
    assert report.ok, report.error


def edit_event(bot: Bot, ts: str, thread_ts: str) -> dict[str, Any]:
    """U1 edits its reply ``ts`` in the thread from "make it async" to "make it sync"."""
    before = {"type": "message", "user": "U1", "ts": ts, "thread_ts": thread_ts}
    return {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C1",
        "channel_type": "channel",
        "ts": bot.api.next_ts(),
        "message": {**before, "text": "make it sync"},
        "previous_message": {**before, "text": "make it async"},
    }


def final_answer(api: SlackAPI, channel: str, thread_ts: str) -> list[dict[str, Any]]:
    """The bot's messages in the thread once the answer carries its feedback buttons
    (snippets it uploaded come as messages of their own, and are left out)."""

    def done() -> list[dict[str, Any]] | None:
        msgs = [
            m
            for m in api.thread(channel, thread_ts)
            if m.get("bot_id") and m["ts"] != thread_ts and not m.get("upload")
        ]
        if any(b.get("type") == "actions" for m in msgs for b in m.get("blocks", [])):
            return msgs
        if any(
            "Sorry" in m["text"] or ":card_index_dividers:" in m["text"] or "empty" in m["text"]
            for m in msgs
        ):
            return msgs
        return None

    return api.wait_for(done)  # type: ignore[no-any-return]


class TestSlackAskCommand:
    def test_empty_command_returns_usage_ephemerally(self, bot: Bot) -> None:
        for text in ("", "  ", "help"):
            reply = bot.slack.command(text)
            assert reply.status == 200
            body = reply.json()
            assert body["response_type"] == "ephemeral"
            assert "/gencode" in body["text"]
        time.sleep(0.3)
        assert bot.api.calls_to("chat.postMessage") == []

    def test_command_echoes_the_request_then_answers_in_its_thread(self, bot: Bot) -> None:
        seed(bot)
        started = time.monotonic()
        reply = bot.slack.command("upload a file to S3 with retries & <backoff>")
        assert reply.status == 200 and time.monotonic() - started < 3
        echo = bot.api.wait_calls("chat.postMessage")[0]
        assert "thread_ts" not in echo.params  # visible in the channel
        assert (
            "<@U1> asked: upload a file to S3 with retries &amp; &lt;backoff&gt;"
            == echo.params["text"]
        )
        root = bot.api.bot_messages("C1")[0]["ts"]
        msgs = final_answer(bot.api, "C1", root)
        placeholder = bot.api.calls_to("chat.postMessage")[1]
        assert placeholder.params["thread_ts"] == root
        text = "\n".join(m["text"] for m in msgs)
        assert "```\ndef upload_with_retry" in text
        assert "*References*" in text
        assert re.search(
            r"\[1\] <https://test\.slack\.com/files/U1/F77/orders\.py\|orders\.py> · upload_with_retry \(L5–12\) · \d\.\d{3}",
            text,
        )
        buttons = [b for m in msgs for b in m["blocks"] if b["type"] == "actions"]
        assert [e["action_id"] for e in buttons[0]["elements"]] == [
            "gencode_feedback_up",
            "gencode_feedback_down",
        ]

    def test_command_where_the_bot_is_not_invited_explains_via_response_url(self, bot: Bot) -> None:
        seed(bot)
        bot.api.not_in_channel.add("C5")
        bot.slack.command(
            "upload with retry", channel="C5", response_url=bot.api.url + "/response/1"
        )
        (call,) = bot.api.wait_calls("response_url")
        assert "/invite @Gencode" in call.body.decode()

    def test_question_with_nothing_indexed_says_how_to_index(self, bot: Bot) -> None:
        bot.slack.command("write me a retrying uploader")
        msgs = final_answer(
            bot.api, "C1", bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        )
        assert "No code is indexed for this conversation yet" in msgs[-1]["text"]
        assert "Share a `.py` file" in msgs[-1]["text"]


class TestSlackAskMention:
    def test_mention_is_answered_in_its_thread_once(self, bot: Bot) -> None:
        seed(bot)
        ts = bot.api.add_message("C1", "<@UBOT> how do I upload with retry?")
        mention = {
            "type": "app_mention",
            "channel": "C1",
            "user": "U1",
            "text": "<@UBOT> how do I upload with retry?",
            "ts": ts,
        }
        assert bot.slack.event(mention).status == 200
        # the same message as a channel message event, and a retry of the mention
        bot.slack.event(message_event("<@UBOT> how do I upload with retry?", ts=ts))
        bot.slack.event(mention, retry_num=1)
        msgs = final_answer(bot.api, "C1", ts)
        time.sleep(0.3)
        assert len([c for c in bot.api.calls_to("chat.postMessage")]) == 1
        assert "upload_with_retry" in msgs[0]["text"]
        placeholder = bot.api.calls_to("chat.postMessage")[0]
        assert placeholder.params["thread_ts"] == ts

    def test_empty_mention_gets_usage_in_the_thread(self, bot: Bot) -> None:
        ts = bot.api.add_message("C1", "<@UBOT>")
        bot.slack.event(
            {"type": "app_mention", "channel": "C1", "user": "U1", "text": "<@UBOT>", "ts": ts}
        )
        (call,) = bot.api.wait_calls("chat.postMessage")
        assert "Your question is empty" in call.params["text"]
        assert call.params["thread_ts"] == ts

    def test_events_from_bots_and_itself_are_never_answered(self, bot: Bot) -> None:
        seed(bot)
        ts = bot.api.add_message("C1", "<@UBOT> upload", user="U2")
        bot.slack.event(
            {
                "type": "app_mention",
                "channel": "C1",
                "user": "U2",
                "bot_id": "BOTHER",
                "text": "<@UBOT> upload",
                "ts": ts,
            }
        )
        bot.slack.event(
            message_event(
                "upload",
                ts=ts,
                channel="D1",
                channel_type="im",
                bot_id="BOTHER",
                subtype="bot_message",
            )
        )
        bot.slack.event(
            message_event("upload", ts=ts, channel="D1", channel_type="im", user="UBOT")
        )
        time.sleep(0.5)
        assert bot.api.calls_to("chat.postMessage") == []

    def test_dm_message_is_answered(self, bot: Bot) -> None:
        seed(bot)
        ts = bot.api.add_message("D1", "upload with retry please")
        bot.slack.event(
            message_event("upload with retry please", ts=ts, channel="D1", channel_type="im")
        )
        msgs = final_answer(bot.api, "D1", ts)
        assert "upload_with_retry" in msgs[0]["text"]


class TestSlackAskThread:
    def test_follow_up_gets_history_and_standalone_rewrite(self, start_bot: Any) -> None:
        gen = FakeGenerator()
        bot = start_bot(gen)
        seed(bot)
        bot.slack.command("upload with retry")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        final_answer(bot.api, "C1", root)
        ts = bot.api.add_message("C1", "now make it async", thread_ts=root)
        bot.slack.event(message_event("now make it async", ts=ts, thread_ts=root))
        bot.api.wait_for(lambda: len(gen.calls) == 2)
        ((question, history),) = gen.rewrites
        assert question == "now make it async"
        assert [t.question for t in history] == ["upload with retry"]
        assert "print(&#x27;hi&#x27;)" not in history[0].answer
        assert "print('hi')" in history[0].answer
        assert gen.calls[1]["history"] == history
        # answered in the same thread
        posts = bot.api.calls_to("chat.postMessage")
        assert posts[-1].params["thread_ts"] == root

    @staticmethod
    def answer_with_snippet(start_bot: Any, code: str) -> tuple[Bot, FakeGenerator, str]:
        """Ask, and get an answer whose code is too long for a message: a snippet goes up."""
        gen = FakeGenerator(pieces=[f"Here it is:\n```python\n{code}```\n"])
        bot = start_bot(gen)
        seed(bot)
        bot.slack.command("compare things")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        final_answer(bot.api, "C1", root)
        bot.api.wait_calls("files.completeUploadExternal")
        assert code not in bot.api.thread("C1", root)[1]["text"]  # too long: it is a snippet
        return bot, gen, root

    @staticmethod
    def follow_up(bot: Bot, gen: FakeGenerator, root: str) -> Turn:
        """Reply in the thread; the one earlier exchange the generator was given."""
        ts = bot.api.add_message("C1", "now make it async", thread_ts=root)
        bot.slack.event(message_event("now make it async", ts=ts, thread_ts=root))
        bot.api.wait_for(lambda: len(gen.calls) == 2)
        ((_, (turn,)),) = gen.rewrites
        return turn

    def test_follow_up_history_includes_code_that_went_up_as_a_snippet(
        self, start_bot: Any
    ) -> None:
        code = "def check(a, b):\n" + "    assert a < b, 'a & b'\n" * 120
        bot, gen, root = self.answer_with_snippet(start_bot, code)
        turn = self.follow_up(bot, gen, root)
        assert f"```python\n{code.rstrip()}\n```" in turn.answer
        (fetched,) = bot.api.calls_to("download")
        assert fetched.headers["authorization"] == f"Bearer {bot.api.token}"

    def test_an_edit_in_a_thread_with_snippets_downloads_nothing(self, start_bot: Any) -> None:
        bot, _, root = self.answer_with_snippet(start_bot, "x = 1\n" * 600)
        ts = bot.api.add_message("C1", "make it async", thread_ts=root)
        assert bot.slack.event(edit_event(bot, ts, root)).status == 200
        bot.api.wait_calls("chat.postEphemeral")
        assert bot.api.calls_to("download") == []  # only whether Gencode is in the thread

    def test_snippet_that_cannot_be_fetched_is_left_out_of_the_history(
        self, start_bot: Any, caplog: Any
    ) -> None:
        bot, gen, root = self.answer_with_snippet(start_bot, "x = 1\n" * 600)
        for fid in bot.api.uploads:
            bot.api.file_behaviour[fid] = "404"
        turn = self.follow_up(bot, gen, root)
        assert turn.answer.startswith("Here it is:") and "x = 1" not in turn.answer
        assert "left out of the thread history" in caplog.text
        assert not [m for m in bot.api.bot_messages("C1") if "Sorry" in m["text"]]

    def test_reply_in_a_thread_without_the_bot_is_ignored_without_api_calls(self, bot: Bot) -> None:
        seed(bot)
        root = bot.api.add_message("C1", "lunch?")
        ts = bot.api.add_message("C1", "upload with retry", thread_ts=root)
        assert (
            bot.slack.event(message_event("upload with retry", ts=ts, thread_ts=root)).status == 200
        )
        time.sleep(0.3)
        # Not a thread Gencode posted in: not even conversations.replies is called.
        assert [c.method for c in bot.api.calls if c.method != "auth.test"] == []

    def test_threads_the_bot_answered_in_are_known_after_a_restart(self, start_bot: Any) -> None:
        from rag import Engine
        from rag.generate import ExtractiveGenerator
        from rag.stores.sqlite import SQLiteStore
        from rag.summarize import ExtractiveSummarizer

        first = start_bot()
        seed(first)
        first.slack.command("upload with retry")
        root = first.api.wait_for(lambda: first.api.bot_messages("C1"))[0]["ts"]
        final_answer(first.api, "C1", root)
        # Another process on the same store (a restart, another Lambda container).
        reopened = Engine(
            store=SQLiteStore(first.engine.store.path),  # type: ignore[attr-defined]
            embedder=first.engine.embedder,
            summarizer=ExtractiveSummarizer(),
            generator=ExtractiveGenerator(),
        )
        second = start_bot(engine=reopened)
        ts = second.api.add_message("C1", "now make it async", thread_ts=root)
        posted = len(second.api.calls_to("chat.postMessage"))
        second.slack.event(message_event("now make it async", ts=ts, thread_ts=root))
        second.api.wait_for(lambda: len(second.api.calls_to("chat.postMessage")) > posted)
        assert second.api.calls_to("chat.postMessage")[-1].params["thread_ts"] == root

    def test_plain_channel_message_is_ignored_without_api_calls(self, bot: Bot) -> None:
        ts = bot.api.add_message("C1", "upload with retry")
        bot.slack.event(message_event("upload with retry", ts=ts))
        time.sleep(0.3)
        assert [c.method for c in bot.api.calls if c.method != "auth.test"] == []

    @staticmethod
    def thread_gencode_answered_in(start_bot: Any) -> tuple[Bot, FakeGenerator, str]:
        """A mention answered in its thread: Gencode knows the thread from then on."""
        gen = FakeGenerator()
        bot = start_bot(gen)
        seed(bot)
        root = bot.api.add_message("C1", "<@UBOT> upload with retry")
        mention = {"type": "app_mention", "channel": "C1", "user": "U1", "ts": root}
        bot.slack.event({**mention, "text": "<@UBOT> upload with retry"})
        final_answer(bot.api, "C1", root)
        return bot, gen, root

    def test_huge_thread_is_read_in_pages_and_trimmed_with_a_note(self, start_bot: Any) -> None:
        bot, gen, root = self.thread_gencode_answered_in(start_bot)
        for i in range(1200):
            if i % 2:
                answer = {"event_type": "gencode_answer", "event_payload": {"answer": str(i)}}
                bot.api.add_message(
                    "C1",
                    f"answer {i}",
                    user="UBOT",
                    bot_id="BBOT",
                    thread_ts=root,
                    metadata=answer,
                )
            else:
                bot.api.add_message("C1", f"question {i}", thread_ts=root)
        ts = bot.api.add_message("C1", "and now in Korean", thread_ts=root)
        bot.slack.event(message_event("and now in Korean", ts=ts, thread_ts=root))
        texts = bot.api.wait_for(
            lambda: [
                m["text"] for m in bot.api.thread("C1", root) if "This thread is long" in m["text"]
            ]
        )
        assert texts
        assert len(bot.api.calls_to("conversations.replies")) == 5  # at most 5 pages of 200
        assert len(gen.calls[-1]["history"]) == 3  # type: ignore[arg-type]

    def test_only_the_snippets_of_the_answers_kept_in_history_are_fetched(
        self, start_bot: Any
    ) -> None:
        bot, gen, root = self.thread_gencode_answered_in(start_bot)
        for i in range(10):
            bot.api.add_message("C1", f"question {i}", thread_ts=root)
            answer = {"event_type": "gencode_answer", "event_payload": {"answer": f"a{i}"}}
            bot.api.add_message(
                "C1", f"answer {i}", user="UBOT", bot_id="BBOT", thread_ts=root, metadata=answer
            )
            snippet = bot.api.add_file(f"answer_{i}.py", f"def f{i}(): pass\n".encode())
            bot.api.add_message(
                "C1", "", user="UBOT", bot_id="BBOT", thread_ts=root, upload=True, files=[snippet]
            )
        ts = bot.api.add_message("C1", "and now in Korean", thread_ts=root)
        bot.slack.event(message_event("and now in Korean", ts=ts, thread_ts=root))
        bot.api.wait_for(lambda: len(gen.calls) == 2)
        history = gen.calls[-1]["history"]
        assert [t.question for t in history] == ["question 7", "question 8", "question 9"]  # type: ignore[attr-defined]
        assert [t.answer for t in history] == [  # type: ignore[attr-defined]
            f"answer {i}\n```python\ndef f{i}(): pass\n```" for i in (7, 8, 9)
        ]
        assert len(bot.api.calls_to("download")) == 3  # not one per answer of the thread

    def test_edit_in_a_bot_thread_gets_an_ephemeral_note_and_deletion_is_ignored(
        self, bot: Bot
    ) -> None:
        seed(bot)
        bot.slack.command("upload with retry")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        final_answer(bot.api, "C1", root)
        ts = bot.api.add_message("C1", "make it async", thread_ts=root)
        posted = len(bot.api.calls_to("chat.postMessage"))
        assert bot.slack.event(edit_event(bot, ts, root)).status == 200
        (eph,) = bot.api.wait_calls("chat.postEphemeral")
        assert eph.params["user"] == "U1" and "edited" in eph.params["text"]
        deletion = {
            "type": "message",
            "subtype": "message_deleted",
            "channel": "C1",
            "ts": bot.api.next_ts(),
            "deleted_ts": ts,
            "previous_message": {"text": "x", "ts": ts},
        }
        assert bot.slack.event(deletion).status == 200
        time.sleep(0.3)
        assert len(bot.api.calls_to("chat.postMessage")) == posted
        assert bot.engine.stats().chunks > 0


class TestSlackAskStreaming:
    def test_streaming_updates_the_placeholder_at_a_bounded_rate(self, start_bot: Any) -> None:
        gen = FakeGenerator(
            pieces=[f"word{i} " for i in range(30)] + ["\n```python\nx = 1\n```\n"], delay=0.05
        )
        bot = start_bot(gen, update_interval=0.5)
        seed(bot)
        started = time.monotonic()
        reply = bot.slack.command("upload with retry")
        assert time.monotonic() - started < 1.0  # acked long before the slow model finishes
        assert reply.status == 200
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        final_answer(bot.api, "C1", root)
        updates = bot.api.calls_to("chat.update")
        partial = [u for u in updates if "still writing" in u.params["text"]]
        # ~1.55 s of streaming at one update per 0.5 s: two or three partial updates
        assert 1 <= len(partial) <= 3
        assert "word0" in partial[0].params["text"]
        assert updates[-1].params["blocks"]  # the final, rendered answer

    def test_answer_is_escaped_and_markdown_becomes_mrkdwn(self, start_bot: Any) -> None:
        gen = FakeGenerator(
            pieces=[
                "## Plan\n**Use** `a<b` & [docs](https://example.com) [1]\n```python\nif a < b and c > d: pass\n```\n"
            ]
        )
        bot = start_bot(gen)
        seed(bot)
        bot.slack.command("upload")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        text = final_answer(bot.api, "C1", root)[0]["text"]
        assert "*Plan*" in text and "*Use*" in text
        assert "`a&lt;b` &amp; docs (https://example.com)" in text  # a link shows its target
        assert "```\nif a &lt; b and c &gt; d: pass\n```" in text
        refs = text.split("*References*")[1]
        assert refs.strip().startswith("[1]")  # cited first

    def test_code_copied_from_slack_is_byte_identical_to_the_models(self, start_bot: Any) -> None:
        gen = FakeGenerator(pieces=[f"Here it is [1]:\n```python\n{TRICKY_CODE}\n```\nDone.\n"])
        bot = start_bot(gen)
        seed(bot)
        bot.slack.command("escape <b> & fence code")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        (answer,) = final_answer(bot.api, "C1", root)
        assert copied_code(answer["blocks"]) == [TRICKY_CODE]
        # The fallback text (notifications, follow-ups) is mrkdwn, escaped as Slack requires.
        assert f"```\n{escape(TRICKY_CODE)}\n```" in answer["text"]

    def test_long_answer_is_split_at_code_blocks_and_long_code_is_uploaded(
        self, start_bot: Any
    ) -> None:
        blocks = []
        for i in range(14):
            blocks.append(
                f"Step {i} "
                + "explains things. " * 40
                + "\n```python\n"
                + f"def f{i}():\n"
                + "    pass\n" * 250
                + "```\n"
            )
        big = "```python\n" + "x = 1\n" * 900 + "```\n"
        gen = FakeGenerator(pieces=blocks + [big])
        bot = start_bot(gen)
        seed(bot)
        bot.slack.command("upload")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        msgs = final_answer(bot.api, "C1", root)
        assert len(msgs) > 1
        for m in msgs:
            assert len(m["blocks"]) <= 50
            assert len(m["text"]) <= 40_000
            for b in m["blocks"]:
                if b["type"] == "section":
                    assert len(b["text"]["text"]) <= 3000
                    assert b["text"]["text"].count("```") in (0, 2)  # never cut inside code
            assert m.get("thread_ts") == root
        (complete,) = bot.api.wait_calls("files.completeUploadExternal")
        assert complete.params["thread_ts"] == root
        (get_url,) = bot.api.calls_to("files.getUploadURLExternal")
        assert (
            get_url.params["filename"] == "answer.py"
            and get_url.params.get("snippet_type") == "python"
        )
        assert (
            "x = 1\n" * 900
            in bot.api.uploads[
                get_url.params.get("file_id", "") or next(iter(bot.api.uploads))
            ].decode()
        )


class TestSlackAskFailures:
    def test_model_failure_apologises_with_a_logged_correlation_id(
        self, start_bot: Any, caplog: Any
    ) -> None:
        bot = start_bot(FakeGenerator(fail=True))
        seed(bot)
        bot.slack.command("upload")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        text = final_answer(bot.api, "C1", root)[-1]["text"]
        cid = re.search(r"`([0-9a-f]{10})`", text).group(1)  # type: ignore[union-attr]
        assert "Traceback" not in text and "model is down" not in text
        assert any(cid in r.getMessage() for r in caplog.records)

    def test_store_failure_apologises(self, bot: Bot) -> None:
        seed(bot)
        bot.engine.store.close()  # the store is gone
        bot.slack.command("upload")
        root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
        assert "Sorry, something went wrong" in final_answer(bot.api, "C1", root)[-1]["text"]

    def test_slack_failure_while_answering_apologises(self, bot: Bot) -> None:
        seed(bot)
        bot.api.failures["chat.update"] = "ratelimited"
        bot.slack.command("upload")
        bot.api.wait_for(
            lambda: any(
                "Sorry" in c.params.get("text", "") for c in bot.api.calls_to("chat.postMessage")
            )
        )
