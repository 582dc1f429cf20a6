"""The HTTP server: health, routing, Slack signature verification."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import time
import urllib.request
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from tests.slack_fixtures import Bot
from tests.slack_helpers import SECRET, message_event


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


def raw_exchange(url: str, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Send exact bytes (malformed HTTP included) and read until the server closes."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    assert host and port
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    assert response.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")), response[:80]
    return int(response.split(b" ", 2)[1])


def signed_request(
    body: bytes,
    content_type: str = "application/json",
    *,
    timestamp: str | None = None,
    secret: str = SECRET,
) -> bytes:
    ts = timestamp if timestamp is not None else str(int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: v0={digest}\r\n\r\n"
    )
    return head.encode() + body


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    for name in ("", "bot", "handlers", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield caplog
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert loud == [], [r.getMessage() for r in loud]


class TestSlackHttpHostileInput:
    """Malformed, oversized, unsigned and half-sent requests: a 4xx, no traceback, no thread."""

    def test_negative_content_length_with_a_big_body_is_refused(
        self, bot: Bot, no_tracebacks: pytest.LogCaptureFixture
    ) -> None:
        head = (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: -1\r\n\r\n"
        )
        assert status_of(raw_exchange(bot.server.url, head + b"{" * 4_000_000)) == 400

    def test_non_numeric_content_length_is_refused(
        self, bot: Bot, no_tracebacks: pytest.LogCaptureFixture
    ) -> None:
        head = (
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Content-Type: application/json\r\nContent-Length: abc\r\n\r\n{}"
        )
        assert status_of(raw_exchange(bot.server.url, head)) == 400

    def test_a_body_over_the_limit_is_refused_with_413(
        self, bot: Bot, no_tracebacks: pytest.LogCaptureFixture
    ) -> None:
        body = b'{"a": "' + b"x" * 1_100_000 + b'"}'
        assert status_of(raw_exchange(bot.server.url, signed_request(body))) == 413

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b'{"type": "event_callback", "event": \xff\xfe}', "application/json"),
            (b'{"type": "event_callback", "event": {', "application/json"),
            (b'[{"type": "event_callback"}]', "application/json"),
            (b"payload=%7Bnot+json", "application/x-www-form-urlencoded"),
            (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        ],
        ids=["not-utf8", "malformed-json", "json-array", "bad-form-payload", "payload-array"],
    )
    def test_a_malformed_body_gets_401_unsigned_and_400_signed(
        self,
        bot: Bot,
        no_tracebacks: pytest.LogCaptureFixture,
        body: bytes,
        content_type: str,
    ) -> None:
        unsigned = signed_request(body, content_type, secret="not-the-secret")
        assert status_of(raw_exchange(bot.server.url, unsigned)) == 401
        assert status_of(raw_exchange(bot.server.url, signed_request(body, content_type))) == 400
        assert bot.api.calls_to("chat.postMessage") == []

    def test_a_non_numeric_timestamp_is_401_not_500(
        self, bot: Bot, no_tracebacks: pytest.LogCaptureFixture
    ) -> None:
        for ts in ("abc", "-1", "１２３", "1e9", ""):
            request = signed_request(b'{"type": "event_callback"}', timestamp=ts)
            assert status_of(raw_exchange(bot.server.url, request)) == 401, ts

    def test_a_signed_event_nobody_handles_is_acked_and_logged_at_debug(
        self, bot: Bot, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="handlers")
        body = bot.slack.event_body(
            {"type": "emoji_changed", "subtype": "add", "name": "party"}, event_id="EvEMOJI"
        )
        reply = bot.slack.post(body, "application/json")
        assert reply.status == 200
        # Bolt acks events before it runs their listener, so the line may come just after.
        ignored = bot.api.wait_for(
            lambda: [r for r in caplog.records if "EvEMOJI" in r.getMessage()]
        )
        assert all(r.levelno == logging.DEBUG for r in ignored)
        assert not [r for r in caplog.records if "Unhandled request" in r.getMessage()]

    def test_half_sent_requests_are_closed_after_the_timeout(
        self, start_bot: Callable[..., Bot], no_tracebacks: pytest.LogCaptureFixture
    ) -> None:
        bot = start_bot(request_timeout=0.3)
        host, port = urlsplit(bot.server.url).hostname, urlsplit(bot.server.url).port
        assert host and port
        half_headers = b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le"
        body = b'{"type": "event_callback"}'
        half_body = signed_request(body)[: -len(body) // 2]
        socks = []
        try:
            for i in range(150):
                sock = socket.create_connection((host, port), timeout=10)
                sock.sendall(half_body if i % 2 else half_headers)
                socks.append(sock)
            # The server still answers while they hang.
            with urllib.request.urlopen(bot.server.url + "/healthz", timeout=5) as resp:
                assert resp.status == 200
            for i, sock in enumerate(socks):
                reply = b""
                while chunk := sock.recv(4096):  # EOF: the server closed it
                    reply += chunk
                # Closed, at most with a 408 once the headers were complete.
                assert reply == b"" or (i % 2 and status_of(reply) == 408)
        finally:
            for sock in socks:
                sock.close()
