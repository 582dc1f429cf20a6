"""Who may change what was shared: a share or a forget never takes over someone else's code.

Re-sharing replaces what the same person shared; another person's same-named share in the
same conversation is refused in its thread (a workspace admin's replaces it). A forget
button forgets exactly the version it was shown for, once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag import Engine, Scope
from rag.generate import ExtractiveGenerator
from rag.stores.sqlite import SQLiteStore
from tests.samples import ORDERS_PY
from tests.slack_fixtures import Bot
from tests.test_forget_while_indexing import HeldSummarizer
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_repositories import click, command, ephemeral, tarball

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


def thread_says(bot: Bot, ts: str) -> str:
    return reply_text(bot.api, "C1", ts)


def shop(files: int) -> bytes:
    return tarball(
        {f"shop/m{i}.py": f"def f{i}(x):\n    return x + {i}\n".encode() for i in range(files)}
    )


class TestSharesOfOthers:
    def test_another_persons_archive_of_the_same_name_is_refused_and_changes_nothing(
        self, bot: Bot
    ) -> None:
        ts, _ = share(bot, "shop.tgz", shop(5))  # Alice (U1)
        wait_done(bot.api, "C1", ts)
        before = bot.engine.sources(Scope.of("T1", "C1"))

        ts2, _ = share(bot, "shop.tgz", shop(1), user="U2")  # Bob, not an admin
        assert wait_done(bot.api, "C1", ts2) == ["x"]
        said = thread_says(bot, ts2)
        assert "the repository `shop` was already shared here by <@U1>" in said
        assert "only they or a workspace admin can replace it" in said
        assert "`/gencode forget shop`" in said and "rename the archive" in said
        assert bot.engine.sources(Scope.of("T1", "C1")) == before

        command(bot, "list")
        assert "by <@U1>" in json.dumps(ephemeral(bot)[0]["blocks"])
        command(bot, "forget shop")  # still Alice's to forget
        assert ephemeral(bot, 2)[1]["text"].startswith("Forget `shop` (5 files,")

    def test_another_persons_file_of_the_same_name_is_refused(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        ts2, _ = share(bot, "orders.py", b"def evil():\n    return 1\n", user="U2")
        assert wait_done(bot.api, "C1", ts2) == ["x"]
        assert "`orders.py` was already shared here by <@U1>" in thread_says(bot, ts2)
        hits = bot.engine.retrieve("evil", Scope.of("T1", "C1"), k=10)
        assert all(h.chunk.qualname != "evil" for h in hits)
        assert {h.chunk.indexed_by for h in hits} == {"U1"}

    def test_another_persons_notebook_of_the_same_name_is_refused_in_korean(self, bot: Bot) -> None:
        notebook = {
            "cells": [{"cell_type": "code", "source": "def total(xs):\n    return sum(xs)\n"}],
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
        }
        ts, _ = share(bot, "sales.ipynb", json.dumps(notebook).encode())
        wait_done(bot.api, "C1", ts)
        ts2, _ = share(
            bot, "sales.ipynb", json.dumps(notebook).encode(), user="U2", text="제 버전이에요"
        )
        assert wait_done(bot.api, "C1", ts2) == ["x"]
        said = thread_says(bot, ts2)
        assert "<@U1>님이 이미 공유했으므로 바꾸지 않았습니다" in said
        assert "`/gencode 삭제 sales.ipynb`" in said

    def test_the_same_name_in_another_conversation_is_another_file(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        ts2, _ = share(bot, "orders.py", ORDERS_V2, user="U2", channel="C2")
        assert wait_done(bot.api, "C2", ts2) == ["white_check_mark"]

    def test_a_workspace_admins_share_replaces_it_and_the_list_says_who(self, bot: Bot) -> None:
        ts, _ = share(bot, "shop.tgz", shop(5))
        wait_done(bot.api, "C1", ts)
        bot.api.admins.add("U9")
        ts2, _ = share(bot, "shop.tgz", shop(1), user="U9")
        assert wait_done(bot.api, "C1", ts2) == ["white_check_mark"]
        assert "4 removed" in thread_says(bot, ts2)
        command(bot, "list")
        shown = json.dumps(ephemeral(bot)[0]["blocks"])
        assert "repository `shop` (1 file)" in shown and "by <@U9>" in shown

    def test_an_admin_of_another_organisation_may_not_replace_it(self, bot: Bot) -> None:
        ts, _ = share(bot, "orders.py", ORDERS_PY)
        wait_done(bot.api, "C1", ts)
        bot.api.admins.add("U9")
        bot.api.user_teams["U9"] = "T9OTHER"
        ts2, _ = share(bot, "orders.py", ORDERS_V2, user="U9")
        assert wait_done(bot.api, "C1", ts2) == ["x"]


class TestSharedAtTheSameMoment:
    def test_the_second_sharer_of_a_name_being_indexed_is_refused_and_told_who(
        self, start_bot: Any, tmp_path: Path, local_embedder: Any
    ) -> None:
        # Both shares passed the ownership check before either was written; the later
        # write replaced the other person's code unasked.
        summarizer = HeldSummarizer(held_at=1)  # the first share, caught mid-indexing
        engine = Engine(
            store=SQLiteStore(tmp_path / "held.sqlite3"),
            embedder=local_embedder,
            summarizer=summarizer,
            generator=ExtractiveGenerator(),
        )
        bot: Bot = start_bot(engine=engine, update_interval=0.0)
        try:
            first, _ = share(bot, "orders.py", ORDERS_PY, user="U1")
            assert summarizer.reached.wait(20)
            second, _ = share(bot, "orders.py", ORDERS_V2, user="U2")
            assert wait_done(bot.api, "C1", second) == ["x"]
            told = reply_text(bot.api, "C1", second)
            assert "`orders.py` is being shared here by <@U1> right now" in told
        finally:
            summarizer.release.set()
        assert wait_done(bot.api, "C1", first) == ["white_check_mark"]
        (only,) = bot.engine.sources(Scope.of("T1", "C1"))
        assert only.indexed_by == "U1"
        hits = bot.engine.retrieve("cancel order", Scope.of("T1", "C1"))
        assert "cancel_order" not in {h.chunk.qualname for h in hits}

        again, _ = share(bot, "orders.py", ORDERS_V2, user="U1")  # the name is free again
        assert wait_done(bot.api, "C1", again) == ["white_check_mark"]
