"""Socket Mode: the same app, unsigned requests, Slack's retry_attempt deduped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web import WebClient

from bot.app import build_app
from bot.config import Settings
from bot.socket import socket_mode_handler
from handlers.pool import AnswerPool
from rag import Source
from tests.samples import ORDERS_PY
from tests.slack_api import SlackAPI
from tests.slack_helpers import Slack
from tests.socket_server import SocketModeServer

APP_TOKEN = "xapp-1-test"


@dataclass
class SocketBot:
    app: App
    handler: Any
    executor: ThreadPoolExecutor
    lazy: ThreadPoolExecutor
    answers: AnswerPool

    def drain(self) -> None:
        """Wait for every ack, lazy listener and answer started so far."""
        self.executor.shutdown(wait=True)
        self.lazy.shutdown(wait=True)
        self.answers.shutdown(wait=True)


@pytest.fixture
def socket_bot(slack_api: SlackAPI, make_engine: Any) -> Iterator[SocketBot]:
    """The app as ``gencode socket`` builds it, with orders.py already indexed."""
    engine = make_engine()
    engine.index_bytes(ORDERS_PY, Source("orders.py", workspace="T1"))
    settings = Settings(
        home=Path("/nonexistent"),
        slack_bot_token=slack_api.token,
        slack_app_token=APP_TOKEN,
        slack_api_url=slack_api.api_url,
    )
    executor, lazy = ThreadPoolExecutor(2), ThreadPoolExecutor(2)
    answers = AnswerPool(workers=2, max_queued=10)
    app = build_app(
        settings,
        engine,
        client=WebClient(token=slack_api.token, base_url=slack_api.api_url),
        socket_mode=True,
        listener_executor=executor,
        lazy_executor=lazy,
        answers=answers,
    )
    bot = SocketBot(app, socket_mode_handler(app, APP_TOKEN), executor, lazy, answers)
    yield bot
    bot.drain()


def dm_event_payload(slack_api: SlackAPI, event_id: str) -> dict[str, Any]:
    ts = slack_api.add_message("D1", "upload with retry")
    event = {
        "type": "message",
        "channel": "D1",
        "channel_type": "im",
        "user": "U1",
        "text": "upload with retry",
        "ts": ts,
    }
    payload: dict[str, Any] = json.loads(Slack("").event_body(event, event_id=event_id))
    return payload


def assert_answered_once(slack_api: SlackAPI) -> None:
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert "upload_with_retry" in slack_api.calls_to("chat.update")[-1].params["text"]


class TestSlackSocket:
    def test_socket_mode_event_is_answered_once_despite_retry_attempts(
        self, slack_api: SlackAPI, socket_bot: SocketBot
    ) -> None:
        # SLACK_API_URL applies to the Socket Mode client too.
        assert socket_bot.handler.client.web_client is socket_bot.app.client
        payload = dm_event_payload(slack_api, "EvSOCK")
        for attempt in (None, 1, 2):
            req = SocketModeRequest(
                type="events_api",
                envelope_id=f"e{attempt}",
                payload=payload,
                retry_attempt=attempt,
                retry_reason="timeout" if attempt else None,
            )
            assert run_bolt_app(socket_bot.app, req).status == 200
        socket_bot.drain()
        assert_answered_once(slack_api)


class TestSlackSocketOverAWebsocket:
    def test_gencode_socket_connects_acks_and_answers_once(
        self, slack_api: SlackAPI, socket_bot: SocketBot
    ) -> None:
        server = SocketModeServer().start()
        slack_api.socket_url = server.url
        payload = dm_event_payload(slack_api, "EvWS")
        envelope = {"type": "events_api", "payload": payload, "accepts_response_payload": False}
        # The same event delivered twice, the second time as Slack's retry.
        server.envelopes = [
            {**envelope, "envelope_id": "env-1", "retry_attempt": 0},
            {**envelope, "envelope_id": "env-2", "retry_attempt": 1, "retry_reason": "timeout"},
        ]
        try:
            socket_bot.handler.connect()
            server.wait_acks({"env-1", "env-2"})
            slack_api.wait_calls("chat.update")
            socket_bot.drain()
        finally:
            socket_bot.handler.close()
            server.stop()
        (opened,) = slack_api.calls_to("apps.connections.open")
        assert opened.headers["authorization"] == f"Bearer {APP_TOKEN}"
        assert_answered_once(slack_api)
