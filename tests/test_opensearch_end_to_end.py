"""Gencode on OpenSearch from end to end, as deployed: configured by the environment alone
(``GENCODE_STORE=opensearch``, ``OPENSEARCH_URL`` on the real node), a file shared in
Slack, a question about it and ``/gencode list``, through the loopback Slack API; first
with ``gencode serve``, then through the Lambda handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import bot.lambda_handler
from tests.gencode_process import environment, gencode_serve
from tests.samples import ORDERS_PY
from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET, Reply, Slack
from tests.test_slack_index import reply_text, share, wait_done
from tests.test_slack_lambda import Context, FakeLambda, api_gateway_event
from tests.test_slack_repositories import command, ephemeral
from tests.test_slack_scope import ask


def settings(url: str) -> dict[str, str]:
    return {"GENCODE_STORE": "opensearch", "OPENSEARCH_URL": url, "OPENSEARCH_INDEX": "e2e"}


def share_ask_and_list(bot: Any) -> None:
    """What a new team does first, and what it must see."""
    ts, _ = share(bot, "orders.py", ORDERS_PY)
    assert wait_done(bot.api, "C1", ts) == ["white_check_mark"]
    assert "4 new · 0 unchanged · 0 removed · 0 errors" in reply_text(bot.api, "C1", ts)

    answer = ask(bot, "S3에 재시도하며 업로드하는 함수", channel="C1")  # nori and k-NN at work
    assert "upload_with_retry" in answer and "orders.py" in answer

    command(bot, "list")
    (listed,) = ephemeral(bot)
    shown = json.dumps(listed["blocks"], ensure_ascii=False)
    assert "orders.py" in shown and "4 functions" in shown.replace("\\u00a0", " ")


def test_gencode_serve_on_opensearch(
    opensearch_url: str, slack_api: SlackAPI, tmp_path: Path
) -> None:
    with gencode_serve(slack_api, tmp_path, settings(opensearch_url)) as served:
        share_ask_and_list(served)
        log = "".join(served.log)
    assert "Traceback" not in log and "ERROR" not in log


class LambdaSlack(Slack):
    """Posts what Slack would to the Lambda handler instead of over HTTP, then runs the
    lazy listeners it asked for, as Lambda does: each in an invocation of its own, after
    the response went back."""

    def __init__(self, handler: Any, lambda_client: FakeLambda) -> None:
        super().__init__("", SECRET)
        self.handler = handler
        self.lambda_client = lambda_client

    def post(
        self, body: str, content_type: str, *, headers: dict[str, str] | None = None, **_: Any
    ) -> Reply:
        response = self.handler.handle(api_gateway_event(body, content_type, headers), Context())
        while self.lambda_client.invocations:
            invocation = self.lambda_client.invocations.pop(0)
            assert invocation["InvocationType"] == "Event"
            replayed = self.handler.handle(json.loads(invocation["Payload"]), Context())
            assert replayed["statusCode"] == 200
        return Reply(response["statusCode"], response.get("body", ""), response.get("headers", {}))


@dataclass
class LambdaBot:
    api: SlackAPI
    slack: LambdaSlack


@pytest.fixture
def lambda_bot(opensearch_url: str, slack_api: SlackAPI, tmp_path: Path) -> Iterator[LambdaBot]:
    env = environment(
        tmp_path,
        {
            **settings(opensearch_url),
            "SLACK_BOT_TOKEN": slack_api.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack_api.api_url,
        },
    )
    handler = bot.lambda_handler.cold_start(env)  # what the first request builds
    fake = FakeLambda()
    handler.slack.app.listener_runner.lazy_listener_runner.lambda_client = fake  # type: ignore[attr-defined]
    yield LambdaBot(slack_api, LambdaSlack(handler, fake))


def test_lambda_handler_on_opensearch(lambda_bot: LambdaBot) -> None:
    share_ask_and_list(lambda_bot)
