"""The code map in Slack: references shown stay the cited ones (a cited map entry joins
them), and a follow-up in the thread starts from the thread's earlier map."""

from __future__ import annotations

from typing import Any

from rag.codemap import ContextBudget
from tests.fakes import FakeGenerator
from tests.slack_helpers import message_event
from tests.test_slack_ask import final_answer, seed

RETRY_PY = b'''"""Uploads."""
import time


def backoff_delay(attempt: int, *, base: float = 2.0) -> float:
    """Seconds to wait before retry number ``attempt``."""
    return base ** attempt


def upload_with_retry(client, path, *, attempts=3):
    """Upload a file to S3, retrying with exponential backoff between attempts."""
    for i in range(attempts):
        try:
            return client.upload(path)
        except IOError:
            time.sleep(backoff_delay(i))
    raise RuntimeError("upload failed: " + path + ", tried " + str(attempts) + " times")
'''

BUDGET = ContextBudget(480)
"""Room for one reference: ``backoff_delay`` can only be a map entry."""


def ask(start_bot: Any, gen: FakeGenerator) -> tuple[Any, str]:
    bot = start_bot(gen, context_budget=BUDGET)
    seed(bot, "retry.py", RETRY_PY)
    bot.slack.command("upload a file with retries")
    root = bot.api.wait_for(lambda: bot.api.bot_messages("C1"))[0]["ts"]
    final_answer(bot.api, "C1", root)
    return bot, root


def test_a_cited_map_entry_is_shown_with_the_references_and_no_other(start_bot: Any) -> None:
    gen = FakeGenerator(pieces=["Retry with [1], waiting [2]:\n```python\nx = 1\n```\n"])
    bot, root = ask(start_bot, gen)

    code_map = gen.calls[0]["code_map"]
    assert code_map is not None and code_map.budget == BUDGET
    messages = final_answer(bot.api, "C1", root)
    text = "\n".join(m["text"] for m in messages)
    refs = text.split("References")[1]
    lines = refs.strip("*\n").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("[1] <") and "· upload_with_retry (L10–17)" in lines[0]
    assert lines[1].startswith("[2] <") and "· backoff_delay (L5–7)" in lines[1]  # cited
    assert len(code_map.entries) > 1  # the uncited map entries stay out


def test_an_uncited_map_leaves_the_references_as_they_were(start_bot: Any) -> None:
    gen = FakeGenerator(pieces=["Use [1]:\n```python\nx = 1\n```\n"])
    bot, root = ask(start_bot, gen)
    text = "\n".join(m["text"] for m in final_answer(bot.api, "C1", root))
    assert "backoff_delay" not in text.split("References")[1]


def test_a_follow_up_starts_from_the_threads_earlier_map(start_bot: Any) -> None:
    gen = FakeGenerator()
    bot, root = ask(start_bot, gen)
    first = gen.calls[0]["code_map"]
    shown = [m for m in bot.api.thread("C1", root) if m.get("metadata")]
    payload = shown[-1]["metadata"]["event_payload"]
    assert "callee:" in payload["map"]  # what the answer's model saw, kept in the thread

    ts = bot.api.add_message("C1", "make the wait shorter", thread_ts=root)
    bot.slack.event(message_event("make the wait shorter", ts=ts, thread_ts=root))
    bot.api.wait_for(lambda: len(gen.calls) == 2)
    (turn,) = gen.calls[1]["history"]
    assert turn.code_map == tuple(payload["map"].split())
    follow_up = gen.calls[1]["code_map"]
    assert first is not None and follow_up is not None
    earlier = {e.key for e in first.entries if e.kind != "imports"}
    assert earlier and earlier <= {e.key for e in follow_up.entries}
