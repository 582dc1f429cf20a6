"""The HTTP server: health, routing, Slack signature verification."""

from __future__ import annotations

import json
import time
import urllib.request

from tests.slack_fixtures import Bot
from tests.slack_helpers import message_event


class TestSlackHttp:
    def test_healthz_answers_ok(self, bot: Bot) -> None:
        with urllib.request.urlopen(bot.server.url + "/healthz", timeout=5) as resp:
            assert resp.status == 200
            assert json.loads(resp.read()) == {"ok": True}

    def test_url_verification_echoes_the_challenge(self, bot: Bot) -> None:
        body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "x"})
        reply = bot.slack.post(body, "application/json")
        assert reply.status == 200
        assert "abc123" in reply.body

    def test_bad_signature_is_rejected_with_401(self, bot: Bot) -> None:
        body = bot.slack.event_body(message_event("hi", ts="1.1", channel_type="im"))
        reply = bot.slack.post(body, "application/json", signature="v0=" + "0" * 64)
        assert reply.status == 401
        reply = bot.slack.post(body, "application/json", signature="")
        assert reply.status == 401
        time.sleep(0.1)
        assert bot.api.calls_to("chat.postMessage") == []

    def test_stale_timestamp_is_rejected_with_401(self, bot: Bot) -> None:
        body = bot.slack.event_body(message_event("hi", ts="1.1", channel_type="im"))
        reply = bot.slack.post(body, "application/json", timestamp=int(time.time()) - 600)
        assert reply.status == 401

    def test_signature_with_another_secret_is_rejected(self, bot: Bot) -> None:
        from tests.slack_helpers import Slack

        reply = Slack(bot.server.url, secret="wrong").command("help")
        assert reply.status == 401

    def test_unknown_paths_are_404(self, bot: Bot) -> None:
        reply = bot.slack.post("{}", "application/json", path="/nope")
        assert reply.status == 404
