"""Scoping: what a question in conversation C of workspace W may draw on."""

from __future__ import annotations

from typing import Any

from tests.samples import ORDERS_PY, PAYMENTS_PY
from tests.slack_fixtures import Bot
from tests.test_slack_ask import final_answer, seed
from tests.test_slack_index import share, wait_done


def ask(bot: Bot, question: str, *, channel: str, team: str = "T1", user: str = "U1") -> str:
    before = len(bot.api.bot_messages(channel))
    bot.slack.command(question, channel=channel, team=team, user=user)
    root = bot.api.wait_for(
        lambda: len(bot.api.bot_messages(channel)) > before and bot.api.bot_messages(channel)
    )[before]["ts"]
    return "\n".join(m["text"] for m in final_answer(bot.api, channel, root))


class TestSlackScope:
    def test_questions_see_their_conversation_public_channels_and_cli_code_only(
        self, bot: Any
    ) -> None:
        # private code in G1, public code in C1, CLI code for T1, and code of another workspace
        ts, _ = share(bot, "payments.py", PAYMENTS_PY, channel="G1", channel_type="group")
        wait_done(bot.api, "G1", ts)
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="C1")
        wait_done(bot.api, "C1", ts)
        seed(
            bot,
            "cli_tools.py",
            b'def refund_cli_tool(x):\n    """Refund payment tool from the CLI."""\n    return x\n',
        )
        seed(
            bot,
            "other.py",
            b'def refund_other_team(x):\n    """Refund payment in the other workspace."""\n    return x\n',
            workspace="T2",
        )

        in_private = ask(bot, "refund payment", channel="G1")
        assert "refund_payment" in in_private and "refund_cli_tool" in in_private
        assert "refund_other_team" not in in_private

        in_public = ask(bot, "refund payment", channel="C2")
        assert "refund_payment" not in in_public  # another private channel's code stays there
        assert "refund_cli_tool" in in_public and "upload_with_retry" in in_public
        assert "refund_other_team" not in in_public

        in_dm = ask(bot, "refund payment", channel="D7")
        assert "refund_payment" not in in_dm and "refund_other_team" not in in_dm

    def test_another_workspace_sees_nothing_and_is_told_how_to_index(self, bot: Bot) -> None:
        seed(bot)
        text = ask(bot, "upload with retry", channel="C1", team="T2")
        assert "No code is indexed for this conversation yet" in text
        assert "upload_with_retry" not in text
