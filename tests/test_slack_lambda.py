"""Lambda: the ack returns at once, the lazy listener runs on a second invocation."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk.web import WebClient

from bot.config import Settings
from bot.lambda_handler import make_handler
from rag import Engine, Source
from tests.samples import ORDERS_PY
from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET, Slack, sign


@dataclass
class FakeLambda:
    """Records ``invoke`` calls so the test can replay them as Lambda would."""

    invocations: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.invocations.append(kwargs)
        return {"StatusCode": 202}


@dataclass
class Context:
    function_name: str = "gencode"
    invoked_function_arn: str = "arn:aws:lambda:us-west-2:123456789012:function:gencode"


def api_gateway_event(
    body: str, content_type: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    import time

    ts = str(int(time.time()))
    return {
        "requestContext": {"http": {"method": "POST"}},
        "headers": {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": sign(body, ts),
            **(headers or {}),
        },
        "body": body,
        "isBase64Encoded": False,
    }


def loopback_handler(slack_api: SlackAPI, engine: Engine) -> SlackRequestHandler:
    """The Lambda handler over ``engine``, talking to the loopback Slack API."""
    settings = Settings(
        home=Path("/nonexistent"),
        slack_bot_token=slack_api.token,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
    )
    client = WebClient(token=slack_api.token, base_url=slack_api.api_url)
    return make_handler(settings, engine, client=client)


class TestSlackLambda:
    def test_lazy_listener_runs_on_the_replayed_invocation_once(
        self, slack_api: SlackAPI, make_engine: Any
    ) -> None:
        engine = make_engine()
        engine.index_bytes(
            ORDERS_PY, Source("orders.py", workspace="T1", permalink="https://test.slack.com/f")
        )
        handler = loopback_handler(slack_api, engine)
        fake = FakeLambda()
        handler.app.listener_runner.lazy_listener_runner.lambda_client = fake  # type: ignore[attr-defined]

        ts = slack_api.add_message("C1", "<@UBOT> upload with retry")
        body = Slack("").event_body(
            {
                "type": "app_mention",
                "channel": "C1",
                "user": "U1",
                "text": "<@UBOT> upload with retry",
                "ts": ts,
            },
            event_id="EvLAMBDA",
        )
        first = handler.handle(api_gateway_event(body, "application/json"), Context())
        assert first["statusCode"] == 200
        assert slack_api.calls_to("chat.postMessage") == []  # nothing ran before the response
        (invocation,) = fake.invocations
        assert invocation["InvocationType"] == "Event"
        # Slack retries the event: acked, no second lazy invocation
        retry = handler.handle(
            api_gateway_event(body, "application/json", {"x-slack-retry-num": "1"}), Context()
        )
        assert retry["statusCode"] == 200 and len(fake.invocations) == 1

        replay = handler.handle(json.loads(invocation["Payload"]), Context())
        assert replay["statusCode"] == 200
        posts = slack_api.calls_to("chat.postMessage")
        assert posts and posts[0].params["thread_ts"] == ts
        final = slack_api.calls_to("chat.update")[-1]
        assert "upload_with_retry" in final.params["text"]

    def test_bad_signature_is_rejected(self, slack_api: SlackAPI, make_engine: Any) -> None:
        handler = loopback_handler(slack_api, make_engine())
        event = api_gateway_event("{}", "application/json")
        event["headers"]["x-slack-signature"] = "v0=bad"
        assert handler.handle(event, Context())["statusCode"] == 401

    def test_hostile_requests_get_a_4xx_before_bolt_parses_them(
        self, slack_api: SlackAPI, make_engine: Any, caplog: Any
    ) -> None:
        import base64
        import logging

        caplog.set_level(logging.DEBUG)
        handler = loopback_handler(slack_api, make_engine())
        odd_timestamp = api_gateway_event('{"type": "event_callback"}', "application/json")
        odd_timestamp["headers"]["x-slack-request-timestamp"] = "abc"
        assert handler.handle(odd_timestamp, Context())["statusCode"] == 401
        unsigned = api_gateway_event('{"type": ', "application/json")
        unsigned["headers"]["x-slack-signature"] = "v0=" + "0" * 64
        assert handler.handle(unsigned, Context())["statusCode"] == 401
        for body in ('{"type": ', "[1, 2]", "payload=%7Bnope"):
            signed = api_gateway_event(body, "application/json")
            assert handler.handle(signed, Context())["statusCode"] == 400, body
        not_utf8 = b'{"type": "\xff"}'
        encoded = api_gateway_event("", "application/json")
        encoded.update(body=base64.b64encode(not_utf8).decode(), isBase64Encoded=True)
        ts = encoded["headers"]["x-slack-request-timestamp"]
        digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + not_utf8, hashlib.sha256)
        encoded["headers"]["x-slack-signature"] = "v0=" + digest.hexdigest()
        assert handler.handle(encoded, Context())["statusCode"] == 400
        assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
        assert slack_api.calls_to("chat.postMessage") == []
