"""The App Home tab shows each viewer only the code their conversations allow.

A member of the workspace sees the workspace-wide code (tests/test_slack_repositories.py).
A guest, or someone from another organisation in a Slack Connect channel, sees the code of
the conversations they are in, by the rule questions follow there, and what they shared.
"""

from __future__ import annotations

import json

from tests.slack_fixtures import Bot
from tests.test_slack_index import share, wait_done

SHOP = b"def checkout(cart):\n    return sum(cart)\n"
PARTNER = b"def partner_invoice(order):\n    return order\n"
PRIVATE = b"def payroll_export(month):\n    return month\n"


def open_home(bot: Bot, user: str) -> str:
    """The blocks the App Home of ``user`` was published with, as one JSON string."""
    event = {"type": "app_home_opened", "user": user, "channel": "D9", "tab": "home"}
    assert bot.slack.event(event).status == 200
    (published,) = bot.api.wait_calls("views.publish")
    assert published.params["user_id"] == user
    return json.dumps(published.params["view"]["blocks"])


def seed(bot: Bot) -> None:
    """Workspace code from a public channel, a private channel's code, and a partner's in
    a Slack Connect channel (shared by the partner's user U9)."""
    bot.api.add_channel("C7", ext_shared=True)
    for channel, kind, name, code, user in (
        ("C1", "channel", "shop.py", SHOP, "U1"),
        ("G1", "group", "payroll.py", PRIVATE, "U1"),
        ("C7", "channel", "partner.py", PARTNER, "U9"),
    ):
        ts, _ = share(bot, name, code, channel=channel, channel_type=kind, user=user)
        assert wait_done(bot.api, channel, ts) == ["white_check_mark"]


class TestSlackHome:
    def test_someone_from_another_organisation_sees_only_their_shared_channels_code(
        self, bot: Bot
    ) -> None:
        # They were shown the workspace-wide list.
        seed(bot)
        bot.api.user_teams["U9"] = "T9OTHER"
        bot.api.memberships["U9"] = ["C7"]
        home = open_home(bot, "U9")
        code, own = home.split("What you shared")
        assert "Code the conversations you are in can draw on" in code
        assert "partner.py" in code
        assert "shop.py" not in home and "payroll.py" not in home
        assert "partner.py" in own

    def test_a_guest_sees_what_their_conversations_allow(self, bot: Bot) -> None:
        seed(bot)
        bot.api.guests.add("U5")
        bot.api.memberships["U5"] = ["C7"]  # only the Slack Connect channel
        home = open_home(bot, "U5")
        assert "partner.py" in home and "shop.py" not in home and "payroll.py" not in home
        bot.api.calls.clear()
        bot.api.memberships["U5"] = ["G1"]  # a private channel of this workspace alone
        home = open_home(bot, "U5")
        assert "payroll.py" in home and "shop.py" in home and "partner.py" not in home

    def test_a_guests_dm_with_the_bot_does_not_open_the_workspace_wide_list(self, bot: Bot) -> None:
        seed(bot)
        bot.api.add_channel("D5", im=True)
        bot.api.guests.add("U5")
        bot.api.memberships["U5"] = ["D5"]  # the guest's DM with the bot: nothing else
        home = open_home(bot, "U5")
        assert "shop.py" not in home and "payroll.py" not in home and "partner.py" not in home

    def test_a_member_still_sees_the_workspace_wide_list(self, bot: Bot) -> None:
        seed(bot)
        home = open_home(bot, "U2")
        assert "Code every conversation of this workspace can draw on" in home
        assert "shop.py" in home
        assert "payroll.py" not in home and "partner.py" not in home

    def test_when_the_conversations_cannot_be_listed_nothing_is_assumed(self, bot: Bot) -> None:
        seed(bot)
        bot.api.user_teams["U9"] = "T9OTHER"
        bot.api.failures["users.conversations"] = "missing_scope"
        home = open_home(bot, "U9")
        code, own = home.split("What you shared")
        assert "could not check every conversation you are in (`missing_scope`)" in code
        assert "shop.py" not in code and "partner.py" not in code
        assert "partner.py" in own
