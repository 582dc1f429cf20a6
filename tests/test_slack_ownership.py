"""Who may change what was shared: a share or a forget never takes over someone else's code.

Re-sharing replaces what the same person shared; another person's same-named share in the
same conversation is refused in its thread (a workspace admin's replaces it). A forget
button forgets exactly the version it was shown for, once.
"""

from __future__ import annotations

import json
from typing import Any

from rag import Scope
from tests.samples import ORDERS_PY
from tests.slack_fixtures import Bot
from tests.test_slack_index import share, wait_done
from tests.test_slack_repositories import click, command, ephemeral

ORDERS_V2 = ORDERS_PY + b"\n\ndef cancel_order(order_id):\n    return order_id\n"


def responses(bot: Bot) -> list[dict[str, Any]]:
    """Everything sent to a response_url so far (ephemeral replies and button updates)."""
    return [json.loads(c.body) for c in bot.api.calls_to("response_url")]


def functions_here(bot: Bot) -> int:
    return sum(s.functions for s in bot.engine.sources(Scope.of("T1", "C1")))


class TestForgetButtons:
    def test_a_replayed_confirm_does_not_forget_the_version_shared_since(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        command(bot, "forget orders.py")
        confirm = ephemeral(bot)[0]
        click(bot, confirm, "gencode_forget_confirm")
        bot.api.wait_for(lambda: len(responses(bot)) == 2)
        assert responses(bot)[1]["text"].startswith(":wastebasket: Forgot `orders.py`")
        assert functions_here(bot) == 0

        ts2, _ = share(bot, "orders.py", ORDERS_V2)  # shared again, a newer version
        wait_done(bot.api, "C1", ts2)
        shared_again = functions_here(bot)
        assert shared_again > 0

        click(bot, confirm, "gencode_forget_confirm")  # the same click, replayed
        bot.api.wait_for(lambda: len(responses(bot)) == 3)
        assert "This button was already used" in responses(bot)[2]["text"]
        assert functions_here(bot) == shared_again

    def test_a_confirm_shown_before_a_reshare_forgets_nothing_and_says_why(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        command(bot, "forget orders.py")
        confirm = ephemeral(bot)[0]
        ts2, _ = share(bot, "orders.py", ORDERS_V2)
        wait_done(bot.api, "C1", ts2)
        before = functions_here(bot)

        click(bot, confirm, "gencode_forget_confirm")
        bot.api.wait_for(lambda: len(responses(bot)) == 2)
        said = responses(bot)[1]["text"]
        assert "has changed since I asked" in said and "`/gencode forget orders.py`" in said
        assert functions_here(bot) == before

    def test_a_cancelled_confirmation_cannot_be_replayed_into_a_forget(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        command(bot, "삭제 orders.py")
        confirm = ephemeral(bot)[0]
        click(bot, confirm, "gencode_forget_cancel")
        bot.api.wait_for(lambda: len(responses(bot)) == 2)
        click(bot, confirm, "gencode_forget_confirm")
        bot.api.wait_for(lambda: len(responses(bot)) == 3)
        assert "이미 처리되었습니다" in responses(bot)[2]["text"]
        assert functions_here(bot) > 0
