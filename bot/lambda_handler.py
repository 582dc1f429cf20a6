"""AWS Lambda entry point: ``bot.lambda_handler.handler``.

Bolt's :class:`SlackRequestHandler` with ``process_before_response=True``: Lambda freezes
the process once the response is returned, so each lazy listener is run by invoking
this same function again asynchronously (``x-slack-bolt-lazy-only``). That second hop
re-checks the original signature, so it must start within Slack's 5-minute window.
The app is built on the first request and reused while the container stays warm; when
``SLACK_SECRET_ARN`` is set, the Slack credentials come from that secret (:mod:`.slack_secret`).
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk.web import WebClient

from rag import Engine

from .app import build_app
from .checks import body_problem, signature_problem
from .config import Settings

logger = logging.getLogger(__name__)

_handler: SlackRequestHandler | None = None


class CheckedRequestHandler(SlackRequestHandler):
    """Bolt's Lambda adapter, with each POST checked first as ``gencode serve`` checks it
    (:mod:`.checks`): unsigned or stale gets 401, a signed body Bolt cannot read 400. Bolt's
    own adapter parses the body before verifying it, so a malformed one raised, and a
    non-numeric timestamp was a 500."""

    def __init__(self, app: App, *, signing_secret: str) -> None:
        super().__init__(app)
        self._secret = signing_secret.encode()

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        http = (event.get("requestContext") or {}).get("http") or {}
        method = http.get("method") or (event.get("requestContext") or {}).get("httpMethod")
        if method == "POST":
            refusal = self._refusal(event)
            if refusal is not None:
                return refusal
        result: dict[str, Any] = super().handle(event, context)  # type: ignore[no-untyped-call]
        return result

    def _refusal(self, event: dict[str, Any]) -> dict[str, Any] | None:
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        body = event.get("body") or ""
        try:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        except (ValueError, UnicodeEncodeError):
            raw = None
        problem = (
            signature_problem(
                self._secret,
                raw,
                headers.get("x-slack-request-timestamp", ""),
                headers.get("x-slack-signature", ""),
            )
            if raw is not None
            else "undecodable body"
        )
        if problem:
            logger.debug("refused a request: %s", problem)
            return {"statusCode": 401, "body": "Unauthorized"}
        try:
            text = raw.decode("utf-8") if raw is not None else ""
        except UnicodeDecodeError:
            text, problem = "", "body is not UTF-8"
        problem = problem or body_problem(text, headers.get("content-type", "").split(";")[0])
        if problem:
            logger.debug("refused a signed request: %s", problem)
            return {"statusCode": 400, "body": f"Bad Request: {problem}"}
        return None


def make_handler(
    settings: Settings, engine: Engine, *, client: WebClient | None = None
) -> SlackRequestHandler:
    return CheckedRequestHandler(
        build_app(settings, engine, client=client, process_before_response=True),
        signing_secret=settings.slack_signing_secret,
    )


def cold_start(env: Mapping[str, str] | None = None) -> SlackRequestHandler:
    """Settings (with the Slack secret), engine and app, from the environment."""
    from .logs import redact_tokens
    from .services import build_engine
    from .slack_secret import with_slack_secret

    redact_tokens()
    settings = Settings.from_env(with_slack_secret(os.environ if env is None else env))
    return make_handler(settings, build_engine(settings))


def _is_health_check(event: Mapping[str, Any]) -> bool:
    http = (event.get("requestContext") or {}).get("http") or {}
    return event.get("rawPath") == "/healthz" and http.get("method") == "GET"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Every route of the HTTP API: ``POST /slack/events`` and ``GET /healthz``.

    ``/healthz`` runs the cold start (secret, settings, ``auth.test``) and answers 200, or
    503 with the reason in the function's log only: its callers are not authenticated.
    """
    global _handler
    health = _is_health_check(event)
    if _handler is None:
        try:
            _handler = cold_start()
        except Exception:  # a bad token fails in Bolt (auth.test), not as a GencodeError
            if not health:
                raise
            logger.exception("cold start failed")
            return {"statusCode": 503, "body": "not configured: see the function's log"}
    if health:
        return {"statusCode": 200, "body": "ok"}
    result: dict[str, Any] = _handler.handle(event, context)  # type: ignore[no-untyped-call]
    return result
