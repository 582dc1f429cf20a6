"""Whole repositories from Slack, and seeing and managing what Gencode knows.

A real source tree (an installed package, zipped by the test) goes through the loopback
Slack API; hostile archives are refused in their thread with the index unchanged.
"""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import slack_sdk.web

from rag import Scope
from tests.samples import ORDERS_PY
from tests.slack_fixtures import Bot
from tests.test_slack_index import reply_text, share, wait_done

UTIL = b"def slugify(text):\n    return text.lower().replace(' ', '-')\n"
MONEY = b"def parse_money(text):\n    return round(float(text.strip('$')), 2)\n"


def zipped(root: Path, top: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                z.write(path, f"{top}/{path.relative_to(root).as_posix()}")
    return buf.getvalue()


def tarball(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def ephemeral(bot: Bot, n: int = 1) -> list[dict[str, Any]]:
    """What reached the slash command's response_url (only the asker sees it)."""
    calls = bot.api.wait_calls("response_url", n)
    return [json.loads(c.body) for c in calls]


def command(bot: Bot, text: str, *, user: str = "U1", channel: str = "C1") -> None:
    reply = bot.slack.command(
        text, user=user, channel=channel, response_url=bot.api.url + "/response/cmd"
    )
    assert reply.status == 200


def click(bot: Bot, message: dict[str, Any], action_id: str, *, user: str = "U1") -> None:
    actions = next(b for b in message["blocks"] if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["action_id"] == action_id)
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "test"},
        "user": {"id": user},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "t1",
        "channel": {"id": "C1"},
        "container": {"type": "message", "is_ephemeral": True},
        "response_url": bot.api.url + "/response/click",
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": actions.get("block_id", "b"),
                "value": button["value"],
                "action_ts": "1",
            }
        ],
    }
    assert bot.slack.action(payload).status == 200


class TestSlackRepositories:
    def test_a_real_repository_is_indexed_listed_and_forgotten(self, start_bot: Any) -> None:
        bot: Bot = start_bot(update_interval=0.0)
        web = Path(slack_sdk.web.__file__).parent
        ts, _ = share(bot, "slack-web-main.zip", zipped(web, "slack-web-main"))
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        files = sorted(p.relative_to(web).as_posix() for p in web.rglob("*.py"))
        # progress updates, at most one per interval, each "indexed n / N files"
        updates = [c.params["text"] for c in bot.api.calls_to("chat.update")]
        assert any(f"/ {len(files)} files" in u for u in updates)
        text = reply_text(bot.api, "C1", ts)
        assert "Indexed the repository <https://test.slack.com/files/" in text
        assert f"{len(files)} files" in text and "0 errors" in text
        listing = bot.api.uploads[max(bot.api.uploads)].decode()
        assert all(f"{name}\tindexed" in listing for name in files)
        hits = bot.engine.retrieve("chat post message", Scope.of("T1", "C1"), k=3)
        assert hits[0].chunk.repo == "slack-web-main"

        command(bot, "list")
        (listed,) = ephemeral(bot)
        assert listed["response_type"] == "ephemeral"
        shown = json.dumps(listed["blocks"])
        assert "repository `slack-web-main`" in shown and f"({len(files)} files)" in shown
        assert "shared here" in shown and "<@U1>" in shown

        command(bot, "forget slack-web-main", user="U2")  # not the sharer, not an admin
        refusal = ephemeral(bot, 2)[-1]
        assert "only <@U1> or a workspace admin" in refusal["text"]

        command(bot, "forget slack-web-main")
        confirm = ephemeral(bot, 3)[-1]
        assert confirm["text"].startswith("Forget `slack-web-main`")
        click(bot, confirm, "gencode_forget_confirm")
        bot.api.wait_for(lambda: bot.api.calls_to("response_url")[3:])
        done = json.loads(bot.api.calls_to("response_url")[3].body)
        assert done["replace_original"] and done["text"].startswith(":wastebasket: Forgot")
        assert bot.engine.sources(Scope.of("T1", "C1")) == []

    def test_resharing_an_archive_replaces_the_repository_incrementally(
        self, start_bot: Any
    ) -> None:
        bot: Bot = start_bot()
        ts, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL, "shop/money.py": MONEY}))
        wait_done(bot.api, "C1", ts)
        ts2, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL}))
        assert wait_done(bot.api, "C1", ts2) == ["white_check_mark"]
        text = reply_text(bot.api, "C1", ts2)
        assert "0 new · 1 unchanged · 1 removed (1 file no longer in it)" in text
        paths = {s.path for s in bot.engine.sources(Scope.of("T1", "C1"))}
        assert paths == {"util.py"}

    def test_deleting_the_archive_in_slack_forgets_its_latest_version(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL}))
        wait_done(bot.api, "C1", ts)
        ts2, event = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL, "shop/m.py": MONEY}))
        wait_done(bot.api, "C1", ts2)
        deleted = {
            "type": "file_deleted",
            "file_id": event["files"][0]["id"],
            "event_ts": bot.api.next_ts(),
        }
        assert bot.slack.event(deleted).status == 200
        bot.api.wait_for(lambda: bot.engine.stats().chunks == 0)
        assert bot.engine.sources(Scope.of("T1", "C1")) == []

    def test_a_zip_bomb_is_refused_in_its_thread_and_changes_nothing(self, bot: Bot) -> None:
        ts0, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts0)
        before = bot.engine.stats().chunks
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("orders.py", b"\0" * 300_000_000)
        ts, _ = share(bot, "orders.zip", buf.getvalue())
        assert wait_done(bot.api, "C1", ts) == ["x"]
        text = reply_text(bot.api, "C1", ts)
        assert "I did not index `orders.zip`" in text and "zip bomb" in text
        assert "Nothing that was already indexed has changed." in text
        assert bot.engine.stats().chunks == before

    def test_an_archive_that_climbs_out_is_refused(self, bot: Bot) -> None:
        ts, _ = share(bot, "evil.tgz", tarball({"ok.py": UTIL, "../../etc/cron.py": UTIL}))
        assert wait_done(bot.api, "C1", ts) == ["x"]
        assert "climbs out of the archive" in reply_text(bot.api, "C1", ts)
        assert bot.engine.stats().chunks == 0

    def test_out_of_time_stops_between_files_and_says_how_to_go_on(self, start_bot: Any) -> None:
        bot: Bot = start_bot(settings={"archive_time_budget": 1e-9})
        ts, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL, "shop/money.py": MONEY}))
        assert wait_done(bot.api, "C1", ts) == ["x"]
        assert "Time ran out after 0 of 2 files" in reply_text(bot.api, "C1", ts)

    def test_forget_only_reaches_what_was_shared_in_this_conversation(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL}), channel="C2")
        wait_done(bot.api, "C2", ts)
        command(bot, "list")  # workspace-wide code from C2 is visible in C1...
        assert "shared in <#C2>" in json.dumps(ephemeral(bot)[0]["blocks"])
        command(bot, "forget shop")  # ...but can be forgotten only in C2
        assert (
            "Nothing named `shop` was shared in this conversation" in ephemeral(bot, 2)[-1]["text"]
        )

    def test_an_admin_may_forget_what_someone_else_shared(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        bot.api.admins.add("U9")
        command(bot, "forget orders.py", user="U9")
        confirm = ephemeral(bot)[0]
        click(bot, confirm, "gencode_forget_confirm", user="U9")
        bot.api.wait_for(lambda: bot.api.calls_to("response_url")[1:])
        assert bot.engine.stats().chunks == 0

    def test_an_admin_of_another_organisation_may_not_forget(self, bot: Bot) -> None:
        # In a Slack Connect channel, users.info reports the partner's admin as an admin
        # (of their own organisation); that must not let them remove this team's code.
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        bot.api.admins.add("U9")
        bot.api.user_teams["U9"] = "T9OTHER"
        command(bot, "forget orders.py", user="U9")
        assert "or a workspace admin" in ephemeral(bot)[0]["text"]
        assert bot.engine.stats().chunks > 0

    def test_a_long_list_stays_within_slacks_section_limit(self, bot: Bot) -> None:
        for i in range(12):
            name = f"{'very_long_module_name_' * 12}{i}.py"
            ts, _ = share(bot, name, UTIL)
            wait_done(bot.api, "C1", ts)
        command(bot, "list")
        (listed,) = ephemeral(bot)
        texts = [b["text"]["text"] for b in listed["blocks"] if b["type"] == "section"]
        assert all(len(t) <= 3000 for t in texts)
        assert sum(t.count("very_long_module_name_") for t in texts) == 12 * 12

    def test_a_forged_button_value_gets_a_polite_answer(self, bot: Bot) -> None:
        message = {
            "blocks": [
                {
                    "type": "actions",
                    "elements": [{"action_id": "gencode_forget_confirm", "value": "not json"}],
                }
            ]
        }
        click(bot, message, "gencode_forget_confirm")
        (answer,) = bot.api.wait_calls("response_url")
        assert "Nothing named" in json.loads(answer.body)["text"]

    def test_help_and_refusals_follow_the_askers_language(self, bot: Bot) -> None:
        reply = bot.slack.command("도움말")
        assert reply.status == 200 and "저장소" in reply.json()["text"]
        reply = bot.slack.command("help")
        assert "`/gencode list`" in reply.json()["text"]
        command(bot, "삭제 없는파일")
        assert "찾지 못했습니다" in ephemeral(bot)[0]["text"]

    def test_the_app_home_lists_workspace_code_and_the_users_own_shares(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.tgz", tarball({"shop/util.py": UTIL}))
        wait_done(bot.api, "C1", ts)
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="G1", channel_type="group")
        wait_done(bot.api, "G1", ts)
        event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
        assert bot.slack.event(event).status == 200
        (published,) = bot.api.wait_calls("views.publish")
        assert published.params["user_id"] == "U1"
        blocks = json.dumps(published.params["view"]["blocks"])
        workspace, own = blocks.split("What you shared")
        assert "repository `shop`" in workspace and "orders.py" not in workspace
        assert "orders.py" in own and "repository `shop`" in own

    def test_the_app_home_says_where_private_code_was_shared(self, bot: Bot) -> None:
        # It called code shared in a private channel "indexed from the CLI".
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="G1", channel_type="group")
        wait_done(bot.api, "G1", ts)
        event = {"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"}
        assert bot.slack.event(event).status == 200
        (published,) = bot.api.wait_calls("views.publish")
        own = json.dumps(published.params["view"]["blocks"]).split("What you shared")[1]
        assert "orders.py" in own and "<#G1>" in own and "CLI" not in own

    def test_a_shared_notebook_is_indexed_cell_by_cell(self, bot: Bot) -> None:
        notebook = {
            "cells": [
                {"cell_type": "markdown", "source": "# Sales"},
                {
                    "cell_type": "code",
                    "source": "def monthly_totals(df):\n    return df.groupby('month').sum()\n",
                },
            ],
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
        }
        ts, _ = share(bot, "sales.ipynb", json.dumps(notebook).encode())
        assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
        assert "`monthly_totals` cell 2, L1–2" in reply_text(bot.api, "C1", ts)


class TestSlackUnhandledInteractions:
    def test_a_click_with_no_listener_is_acked(self, bot: Bot) -> None:
        payload = {
            "type": "block_actions",
            "team": {"id": "T1"},
            "user": {"id": "U1"},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": "t1",
            "channel": {"id": "C1"},
            "actions": [{"type": "button", "action_id": "open_reference_link", "action_ts": "1"}],
        }
        assert bot.slack.action(payload).status == 200

    def test_another_slash_command_is_acked_with_a_pointer_to_help(self, bot: Bot) -> None:
        reply = bot.slack.command("anything", command="/other")
        assert reply.status == 200
        assert "I only answer `/gencode`" in reply.json()["text"]
