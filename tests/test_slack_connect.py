"""Slack Connect: a channel shared with another organisation is treated like a private one,
both ways, through the real Bolt app and the loopback Slack API, on SQLite and OpenSearch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from opensearchpy import OpenSearch

from rag import Engine, Scope, Source
from rag.generate import ExtractiveGenerator
from rag.stores.opensearch import OpenSearchStore
from rag.summarize import ExtractiveSummarizer
from tests.samples import ORDERS_PY, PAYMENTS_PY
from tests.slack_fixtures import Bot
from tests.test_slack_ask import seed
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_scope import ask
from tests.test_store_opensearch import (  # noqa: F401 - real_engine is a fixture
    MAILER,
    UPLOADER,
    names,
    real_engine,
)


@pytest.fixture(params=["sqlite", "opensearch"])
def store_bot(
    request: pytest.FixtureRequest, start_bot: Callable[..., Bot], local_embedder: Any
) -> Bot:
    if request.param == "sqlite":
        return start_bot()
    url = request.getfixturevalue("opensearch_url")
    store = OpenSearchStore(OpenSearch(hosts=[url]), index="connect-test")
    engine = Engine(
        store=store,
        embedder=local_embedder,
        summarizer=ExtractiveSummarizer(),
        generator=ExtractiveGenerator(),
    )
    request.addfinalizer(engine.close)
    return start_bot(engine=engine)


def retrieve(bot: Bot, query: str, scope: Scope) -> list[Any]:
    """Hybrid retrieval: on OpenSearch the scope filter rides inside both the BM25 and the
    k-NN query."""
    return bot.engine.retrieve(query, scope, k=10)


class TestSlackConnectChannels:
    def test_code_shared_in_an_external_channel_stays_in_it(self, store_bot: Bot) -> None:
        bot = store_bot
        bot.api.add_channel("C5", ext_shared=True)
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="C5", channel_type="channel")
        wait_done(bot.api, "C5", ts)

        assert "shared outside this workspace" in reply_text(bot.api, "C5", ts)
        hits = retrieve(bot, "upload retry", Scope.of("T1", "C5"))
        assert hits and {(h.chunk.scope, h.chunk.channel_kind) for h in hits} == {
            ("C5", "shared channel")
        }
        elsewhere = ask(bot, "upload with retry", channel="C2")
        assert "upload_with_retry" not in elsewhere
        assert "No code is indexed for this conversation yet" in elsewhere
        assert "upload_with_retry" in ask(bot, "upload with retry", channel="C5")

    def test_questions_in_an_external_channel_see_only_its_own_code(self, store_bot: Bot) -> None:
        bot = store_bot
        bot.api.add_channel("C5", ext_shared=True)
        ts, _ = share(bot, "orders.py", ORDERS_PY, channel="C1")  # public: workspace-wide
        wait_done(bot.api, "C1", ts)
        seed(
            bot,
            "cli_tools.py",
            b'def refund_cli_tool(x):\n    """Refund payment upload tool from the CLI."""\n'
            b"    return x\n",
        )
        ts, _ = share(bot, "payments.py", PAYMENTS_PY, channel="C5")
        wait_done(bot.api, "C5", ts)

        inside = ask(bot, "refund payment upload with retry", channel="C5")
        assert "refund_payment" in inside
        assert "upload_with_retry" not in inside and "refund_cli_tool" not in inside

        outside = ask(bot, "refund payment upload with retry", channel="C2")
        assert "upload_with_retry" in outside and "refund_cli_tool" in outside
        assert "refund_payment" not in outside

    @pytest.mark.parametrize(
        "flags",
        [{"pending_ext_shared": True}, {"org_shared": True}, {"private": True, "ext_shared": True}],
        ids=["invitation-pending", "org-shared", "private-connect"],
    )
    def test_every_kind_of_sharing_keeps_workspace_code_out(
        self, bot: Bot, flags: dict[str, bool]
    ) -> None:
        bot.api.add_channel("C5", **flags)
        seed(bot)  # workspace-wide
        ts, _ = share(bot, "payments.py", PAYMENTS_PY, channel="C5")
        wait_done(bot.api, "C5", ts)

        assert {h.chunk.scope for h in retrieve(bot, "refund payment", Scope.of("T1", "C9"))} <= {
            "*"
        }
        text = ask(bot, "refund payment upload with retry", channel="C5")
        assert "refund_payment" in text and "upload_with_retry" not in text

    def test_channel_that_cannot_be_looked_up_answers_from_its_own_code_and_says_why(
        self, bot: Bot
    ) -> None:
        seed(bot)
        bot.api.missing_channels.add("C6")
        ts, _ = share(bot, "payments.py", PAYMENTS_PY, channel="C6")
        wait_done(bot.api, "C6", ts)

        text = ask(bot, "refund payment upload with retry", channel="C6")

        assert "refund_payment" in text and "upload_with_retry" not in text
        assert "could not check who is in this conversation" in text
        assert "channel_not_found" in text

    def test_the_lookup_is_cached_between_questions(self, bot: Bot) -> None:
        seed(bot)
        ask(bot, "upload with retry", channel="C2")
        ask(bot, "upload with retry", channel="C2")
        looked_up = [
            c for c in bot.api.calls_to("conversations.info") if c.params["channel"] == "C2"
        ]
        assert len(looked_up) == 1


class TestGuests:
    """A guest of this workspace (``is_restricted``) cannot read its public channels. In a
    DM with the bot the asker is the answer's only reader, so a guest's DM questions draw
    on that DM's code alone; elsewhere the conversation decides, whoever asks."""

    def test_a_guests_dm_question_sees_only_the_dms_own_code(self, bot: Bot) -> None:
        seed(bot)  # workspace-wide
        bot.api.add_channel("D5", im=True)
        ts, _ = share(bot, "payments.py", PAYMENTS_PY, channel="D5", channel_type="im")
        wait_done(bot.api, "D5", ts)
        bot.api.guests.add("U5")

        as_guest = ask(bot, "refund payment upload with retry", channel="D5", user="U5")
        assert "refund_payment" in as_guest and "upload_with_retry" not in as_guest
        assert "as a guest you get answers from code shared in this conversation" in as_guest

        as_member = ask(bot, "refund payment upload with retry", channel="D5", user="U1")
        assert "upload_with_retry" in as_member and "guest" not in as_member

    def test_the_note_follows_the_askers_language(self, bot: Bot) -> None:
        seed(bot)
        bot.api.add_channel("D5", im=True)
        bot.api.guests.add("U5")
        text = ask(bot, "재시도하면서 업로드하는 함수", channel="D5", user="U5")
        assert "upload_with_retry" not in text and "게스트에게는" in text

    def test_in_a_channel_the_conversation_decides_and_users_info_is_not_called(
        self, bot: Bot
    ) -> None:
        seed(bot)
        bot.api.guests.add("U5")
        text = ask(bot, "upload with retry", channel="C2", user="U5")
        assert "upload_with_retry" in text
        assert bot.api.calls_to("users.info") == []

    def test_when_users_info_fails_a_dm_counts_as_a_guests(self, bot: Bot) -> None:
        seed(bot)
        bot.api.add_channel("D5", im=True)
        bot.api.failures["users.info"] = "missing_scope"
        text = ask(bot, "upload with retry", channel="D5")
        assert "upload_with_retry" not in text and "`missing_scope`" in text

    def test_the_askers_lookup_is_cached_between_questions(self, bot: Bot) -> None:
        seed(bot)
        bot.api.add_channel("D5", im=True)
        ask(bot, "upload with retry", channel="D5")
        ask(bot, "upload with retry", channel="D5")
        assert len(bot.api.calls_to("users.info")) == 1

    def test_list_in_a_dm_shows_a_guest_no_workspace_wide_code(self, bot: Bot) -> None:
        seed(bot)
        bot.api.add_channel("D5", im=True)
        bot.api.guests.add("U5")
        shown = []
        for user in ("U5", "U1"):
            url = bot.api.url + "/response/list"
            bot.slack.command("list", channel="D5", user=user, response_url=url)
            told = len(shown)
            bot.api.wait_for(lambda: len(bot.api.calls_to("response_url")) > told)  # noqa: B023
            shown.append(bot.api.calls_to("response_url")[-1].body.decode())
        assert "orders.py" not in shown[0]
        assert "orders.py" in shown[1]


def test_scope_only_is_applied_by_both_stores_inside_the_query(store_bot: Bot) -> None:
    """Store level: ``Scope.only`` leaves workspace-wide code out, in each store's own query."""
    seed(store_bot)
    seed(store_bot, "payments.py", PAYMENTS_PY, scope="C5")
    only = {
        h.chunk.qualname for h in retrieve(store_bot, "refund upload retry", Scope.only("T1", "C5"))
    }
    assert "refund_payment" in only and "upload_with_retry" not in only
    both = {
        h.chunk.qualname for h in retrieve(store_bot, "refund upload retry", Scope.of("T1", "C5"))
    }
    assert {"refund_payment", "upload_with_retry"} <= both


@pytest.mark.opensearch_real
def test_real_cluster_knn_applies_scope_only(real_engine: Engine) -> None:  # noqa: F811
    """k-NN alone carries the same filter."""
    real_engine.index_bytes(UPLOADER, Source("up.py", workspace="T1", scope="C5"))
    real_engine.index_bytes(MAILER, Source("mail.py", workspace="T1"))
    query = real_engine.embedder.embed_query("upload a file to s3 or email an invoice")
    only = names(real_engine.store.vector(query, k=5, scope=Scope.only("T1", "C5")))
    assert "upload_to_bucket" in only and "send_invoice_email" not in only
