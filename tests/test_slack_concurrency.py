"""Busy bot: acks never wait behind answers; answers past the workers queue, say so, finish."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tests.fakes import FakeGenerator
from tests.slack_api import SlackAPI
from tests.slack_fixtures import Bot
from tests.test_slack_ask import final_answer, seed

QUEUED = "Queued:"
QUEUED_KO = "대기 중"


def placeholders(api: SlackAPI) -> list[str]:
    """Texts of the first message the bot posted in each thread (the answer's placeholder)."""
    return [
        c.params["text"]
        for c in api.calls_to("chat.postMessage")
        if c.params.get("thread_ts")
        and c.params.get("metadata", {}).get("event_type") == "gencode_answer"
    ]


def mention(api: SlackAPI, text: str) -> dict[str, object]:
    ts = api.add_message("C1", f"<@UBOT> {text}")
    return {
        "type": "app_mention",
        "channel": "C1",
        "user": "U1",
        "text": f"<@UBOT> {text}",
        "ts": ts,
    }


class TestSlackConcurrency:
    def test_commands_ack_while_answers_run_and_queued_answers_finish(
        self, start_bot: Callable[..., Bot]
    ) -> None:
        gate = threading.Event()  # the model keeps writing until the test opens it
        generator = FakeGenerator(gate=gate)
        bot = start_bot(generator, answer_workers=2, answer_queue=10)
        seed(bot)
        bot.api.delays["chat.postMessage"] = 0.2  # a slow Slack too
        try:
            # More questions than the bot's ack and lazy pools have threads (4 and 8).
            with ThreadPoolExecutor(10) as pool:
                replies = list(
                    pool.map(lambda i: bot.slack.command(f"upload with retry {i}"), range(10))
                )
            assert [r.status for r in replies] == [200] * 10
            bot.api.wait_for(lambda: len(placeholders(bot.api)) == 10)
            bot.api.wait_for(lambda: len(generator.calls) == 2)  # two answers being written…
            assert sum(QUEUED in t for t in placeholders(bot.api)) == 8  # …and eight wait

            # The pool is full: a Korean asker and a mention still get their ack at once.
            assert bot.slack.command("재시도하는 업로드 함수 만들어줘").status == 200
            bot.api.wait_for(lambda: len(placeholders(bot.api)) == 11)
            assert bot.slack.event(mention(bot.api, "upload with retry")).status == 200
            bot.api.wait_for(lambda: len(placeholders(bot.api)) == 12)
            texts = placeholders(bot.api)
            assert len(generator.calls) == 2
            assert "yours is next" in " ".join(texts[:10])
            assert "7 answers are ahead of yours" in " ".join(texts[:10])
            korean, mentioned = texts[10], texts[11]
            assert QUEUED_KO in korean and "앞에 답변 8개" in korean
            assert "9 answers are ahead of yours" in mentioned
        finally:
            gate.set()

        # Every queued answer is written once a worker is free, in its own thread.
        threads = [
            c.params["thread_ts"]
            for c in bot.api.calls_to("chat.postMessage")
            if c.params.get("metadata", {}).get("event_type") == "gencode_answer"
        ]
        assert len(set(threads)) == 12
        for thread_ts in threads:
            final = final_answer(bot.api, "C1", thread_ts)
            assert "Here you go" in final[0]["text"]
            assert QUEUED not in final[0]["text"] and QUEUED_KO not in final[0]["text"]
        assert len(generator.calls) == 12

    def test_a_full_queue_tells_the_asker_to_retry(self, start_bot: Callable[..., Bot]) -> None:
        gate = threading.Event()
        bot = start_bot(FakeGenerator(gate=gate), answer_workers=1, answer_queue=1)
        seed(bot)
        try:
            for i in range(2):
                assert bot.slack.command(f"upload with retry {i}").status == 200
                bot.api.wait_for(lambda n=i: len(placeholders(bot.api)) == n + 1)
            assert bot.slack.command("업로드 재시도").status == 200
            busy = bot.api.wait_for(
                lambda: [
                    c.params["text"]
                    for c in bot.api.calls_to("chat.postMessage")
                    if "너무 많아요" in c.params["text"]
                ]
            )
            assert len(busy) == 1
        finally:
            gate.set()
