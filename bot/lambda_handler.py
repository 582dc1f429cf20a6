"""AWS Lambda entry point: ``bot.lambda_handler.handler``.

Bolt's :class:`SlackRequestHandler` with ``process_before_response=True``: Lambda freezes
the process once the response is returned, so each lazy listener is run by invoking
this same function again asynchronously (``x-slack-bolt-lazy-only``). That second hop
re-checks the original signature, so it must start within Slack's 5-minute window.
The app is built on the first request and reused while the container stays warm.
"""

from __future__ import annotations

from typing import Any

from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk.web import WebClient

from rag import Engine

from .app import build_app
from .config import Settings

_handler: SlackRequestHandler | None = None


def make_handler(
    settings: Settings, engine: Engine, *, client: WebClient | None = None
) -> SlackRequestHandler:
    return SlackRequestHandler(
        build_app(settings, engine, client=client, process_before_response=True)
    )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:
        from .logs import redact_tokens
        from .services import build_engine

        redact_tokens()
        settings = Settings.from_env()
        _handler = make_handler(settings, build_engine(settings))
    result: dict[str, Any] = _handler.handle(event, context)  # type: ignore[no-untyped-call]
    return result
