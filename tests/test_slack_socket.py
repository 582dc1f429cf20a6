"""Socket Mode: the same app, unsigned requests, Slack's retry_attempt deduped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web import WebClient

from bot.app import build_app
from bot.config import Settings
from bot.socket import socket_mode_handler
from rag import Source
from tests.samples import ORDERS_PY
from tests.slack_api import SlackAPI
from tests.slack_helpers import Slack


class TestSlackSocket:
    def test_socket_mode_event_is_answered_once_despite_retry_attempts(
        self, slack_api: SlackAPI, make_engine: Any
    ) -> None:
        import json
        from concurrent.futures import ThreadPoolExecutor

        engine = make_engine()
        engine.index_bytes(ORDERS_PY, Source("orders.py", workspace="T1"))
        settings = Settings(
            home=Path("/nonexistent"),
            slack_bot_token=slack_api.token,
            slack_app_token="xapp-1-test",
            slack_api_url=slack_api.api_url,
        )
        executor = ThreadPoolExecutor(2)
        app = build_app(
            settings,
            engine,
            client=WebClient(token=slack_api.token, base_url=slack_api.api_url),
            socket_mode=True,
            listener_executor=executor,
        )
        handler = socket_mode_handler(app, settings.slack_app_token)
        assert handler.client.web_client is app.client  # type: ignore[attr-defined]  # SLACK_API_URL applies

        ts = slack_api.add_message("D1", "upload with retry")
        payload = json.loads(
            Slack("").event_body(
                {
                    "type": "message",
                    "channel": "D1",
                    "channel_type": "im",
                    "user": "U1",
                    "text": "upload with retry",
                    "ts": ts,
                },
                event_id="EvSOCK",
            )
        )
        for attempt in (None, 1, 2):
            req = SocketModeRequest(
                type="events_api",
                envelope_id=f"e{attempt}",
                payload=payload,
                retry_attempt=attempt,
                retry_reason="timeout" if attempt else None,
            )
            assert run_bolt_app(app, req).status == 200
        executor.shutdown(wait=True)
        assert len(slack_api.calls_to("chat.postMessage")) == 1
        assert "upload_with_retry" in slack_api.calls_to("chat.update")[-1].params["text"]


class TestSlackSocketOverAWebsocket:
    def test_gencode_socket_connects_acks_and_answers_once(
        self, slack_api: SlackAPI, make_engine: Any
    ) -> None:
        import json
        from concurrent.futures import ThreadPoolExecutor

        from tests.socket_server import SocketModeServer

        engine = make_engine()
        engine.index_bytes(ORDERS_PY, Source("orders.py", workspace="T1"))
        server = SocketModeServer().start()
        slack_api.socket_url = server.url
        ts = slack_api.add_message("D1", "upload with retry")
        payload = json.loads(
            Slack("").event_body(
                {
                    "type": "message",
                    "channel": "D1",
                    "channel_type": "im",
                    "user": "U1",
                    "text": "upload with retry",
                    "ts": ts,
                },
                event_id="EvWS",
            )
        )
        # The same event delivered twice, the second time as Slack's retry.
        server.envelopes = [
            {
                "type": "events_api",
                "envelope_id": "env-1",
                "payload": payload,
                "accepts_response_payload": False,
                "retry_attempt": 0,
            },
            {
                "type": "events_api",
                "envelope_id": "env-2",
                "payload": payload,
                "accepts_response_payload": False,
                "retry_attempt": 1,
                "retry_reason": "timeout",
            },
        ]
        settings = Settings(
            home=Path("/nonexistent"),
            slack_bot_token=slack_api.token,
            slack_app_token="xapp-1-test",
            slack_api_url=slack_api.api_url,
        )
        executor = ThreadPoolExecutor(2)
        app = build_app(
            settings,
            engine,
            client=WebClient(token=slack_api.token, base_url=slack_api.api_url),
            socket_mode=True,
            listener_executor=executor,
        )
        handler = socket_mode_handler(app, settings.slack_app_token)
        try:
            handler.connect()  # type: ignore[attr-defined]
            server.wait_acks({"env-1", "env-2"})
            slack_api.wait_calls("chat.update")
            executor.shutdown(wait=True)
        finally:
            handler.close()  # type: ignore[attr-defined]
            server.stop()
        assert slack_api.calls_to("apps.connections.open")
        assert slack_api.calls_to("apps.connections.open")[0].headers["authorization"] == (
            "Bearer xapp-1-test"
        )
        assert len(slack_api.calls_to("chat.postMessage")) == 1
        assert "upload_with_retry" in slack_api.calls_to("chat.update")[-1].params["text"]
