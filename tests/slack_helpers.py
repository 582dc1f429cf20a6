"""Talk to the bot the way Slack does: signed events, slash commands and interactions."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.slack_api import TEAM

SECRET = "test-signing-secret"
_event_ids = itertools.count(1)


def sign(body: str, timestamp: str, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Reply:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


class Slack:
    """Posts to ``{base}/slack/events`` like Slack: signed, form or JSON, retries included."""

    def __init__(self, base: str, secret: str = SECRET) -> None:
        self.base = base
        self.secret = secret

    def post(
        self,
        body: str,
        content_type: str,
        *,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        path: str = "/slack/events",
    ) -> Reply:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature
            if signature is not None
            else sign(body, ts, self.secret),
            **(headers or {}),
        }
        req = urllib.request.Request(
            self.base + path, data=body.encode(), headers=all_headers, method="POST"
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return Reply(resp.status, resp.read().decode(), dict(resp.headers))
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, exc.read().decode(), dict(exc.headers))

    def event_body(
        self, event: dict[str, Any], *, team: str = TEAM, event_id: str | None = None
    ) -> str:
        return json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A1",
                "event": event,
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_event_ids):06d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
            }
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        team: str = TEAM,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> Reply:
        headers = {}
        if retry_num:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(
            self.event_body(event, team=team, event_id=event_id),
            "application/json",
            headers=headers,
        )

    def command(
        self,
        text: str,
        *,
        channel: str = "C1",
        user: str = "U1",
        team: str = TEAM,
        response_url: str = "",
        command: str = "/gencode",
    ) -> Reply:
        form = {
            "token": "legacy",
            "team_id": team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "alice",
            "command": command,
            "text": text,
            "api_app_id": "A1",
            "response_url": response_url,
            "trigger_id": f"trig{next(_event_ids)}",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def action(self, payload: dict[str, Any]) -> Reply:
        return self.post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )


def message_event(
    text: str,
    *,
    channel: str = "C1",
    user: str = "U1",
    ts: str,
    thread_ts: str | None = None,
    channel_type: str = "channel",
    **extra: Any,
) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "channel_type": channel_type,
        **extra,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def file_share_event(
    file: dict[str, Any],
    *,
    channel: str = "C1",
    user: str = "U1",
    ts: str,
    channel_type: str | None = "channel",
    text: str = "",
    thread_ts: str | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "message",
        "subtype": "file_share",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "files": [file],
        "upload": True,
    }
    if channel_type:
        event["channel_type"] = channel_type
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event
