"""AWS Lambda entry point: ``bot.lambda_handler.handler``.

Bolt's :class:`SlackRequestHandler` with ``process_before_response=True``: Lambda freezes
the process once the response is returned, so each lazy listener is run by invoking
this same function again asynchronously (``x-slack-bolt-lazy-only``). That second hop
re-checks the original signature, so it must start within Slack's 5-minute window.
The app is built on the first request and reused while the container stays warm; when
``SLACK_SECRET_ARN`` is set, the Slack credentials come from that secret (:mod:`.slack_secret`).

Git, the same way: ``POST /git/webhook`` answers at once and each repository's sync runs
in an asynchronous invocation of its own (``{"gencode_git_sync": id}``, which only Lambda
itself can send: HTTP events always carry ``requestContext``); the EventBridge schedule
(``{"gencode": "sync-all"}``) fans out likewise (:class:`Handlers`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.aws_lambda import SlackRequestHandler
from slack_sdk.web import WebClient

from rag import Engine

from .app import build_app
from .checks import body_problem, signature_problem
from .config import Settings
from .git_hooks import WEBHOOK_PATH, GitHooks

logger = logging.getLogger(__name__)

_handler: Handlers | None = None


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


class SelfInvoker:
    """Runs a repository's sync in an asynchronous invocation of this same function, as
    Bolt's lazy listeners do: the webhook (or the schedule, or a Slack ``repo add`` that ran
    out of time) returns at once, and the sync gets a whole invocation of its own.

    ``function_arn`` is the one being invoked now (a container runs one invocation at a
    time); tests replace ``lambda_client`` with a recorder.
    """

    def __init__(self) -> None:
        self.function_arn = ""
        self._client: Any = None

    @property
    def lambda_client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client("lambda")
        return self._client

    @lambda_client.setter
    def lambda_client(self, client: Any) -> None:
        self._client = client

    def __call__(self, repo_id: str, hop: int) -> None:
        from .git_hooks import lambda_payload

        self.lambda_client.invoke(
            FunctionName=self.function_arn,
            InvocationType="Event",
            Payload=json.dumps(lambda_payload(repo_id, hop)).encode(),
        )


@dataclass
class Handlers:
    """What one Lambda container serves: Slack's requests, and git's (pushes, the
    schedule, the syncs it hands to itself)."""

    slack: SlackRequestHandler
    git: GitHooks
    invoker: SelfInvoker

    def handle(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.invoker.function_arn = str(getattr(context, "invoked_function_arn", "") or "")
        if "requestContext" not in event:  # not HTTP: Lambda itself, or EventBridge
            if "gencode_git_sync" in event:
                self.git.run(str(event["gencode_git_sync"]), hop=int(event.get("hop") or 0))
                return {"ok": True}
            if event.get("gencode") == "sync-all":
                return {"ok": True, "syncing": self.git.sync_all()}
            logger.warning("ignored an invocation that is neither HTTP nor git's")
            return {"ok": False}
        if event.get("rawPath") == WEBHOOK_PATH:
            return self._webhook(event)
        result: dict[str, Any] = self.slack.handle(event, context)  # type: ignore[no-untyped-call]
        return result

    def _webhook(self, event: dict[str, Any]) -> dict[str, Any]:
        http = (event.get("requestContext") or {}).get("http") or {}
        if http.get("method") != "POST":
            return {"statusCode": 405, "body": "Method Not Allowed"}
        body = event.get("body") or ""
        try:
            raw = base64.b64decode(body) if event.get("isBase64Encoded") else body.encode()
        except (ValueError, UnicodeEncodeError):
            return {"statusCode": 400, "body": "Bad Request"}
        headers = {str(k): str(v) for k, v in (event.get("headers") or {}).items()}
        status, text = self.git.webhook(headers, raw)
        return {"statusCode": status, "body": text}


def make_handler(
    settings: Settings, engine: Engine, *, client: WebClient | None = None
) -> SlackRequestHandler:
    return make_handlers(settings, engine, client=client).slack


def make_handlers(
    settings: Settings, engine: Engine, *, client: WebClient | None = None
) -> Handlers:
    """The Slack app and the git hooks over ``engine``; syncs run in invocations of their own."""
    from .app import git_hooks, tell_outcomes
    from .services import build_git_sync

    invoker = SelfInvoker()
    hooks = git_hooks(settings, build_git_sync(settings, engine))
    hooks.submit = invoker
    app = build_app(
        settings,
        engine,
        client=client,
        process_before_response=True,
        git=hooks.git,
        git_later=invoker,
    )
    tell_outcomes(hooks, app.client)
    slack = CheckedRequestHandler(app, signing_secret=settings.slack_signing_secret)
    return Handlers(slack, hooks, invoker)


def cold_start(env: Mapping[str, str] | None = None) -> Handlers:
    """Settings (with the Slack secret), engine and app, from the environment."""
    from .logs import redact_tokens
    from .services import build_engine
    from .slack_secret import with_slack_secret

    redact_tokens()
    settings = Settings.from_env(with_slack_secret(os.environ if env is None else env))
    return make_handlers(settings, build_engine(settings))


def _is_health_check(event: Mapping[str, Any]) -> bool:
    http = (event.get("requestContext") or {}).get("http") or {}
    return event.get("rawPath") == "/healthz" and http.get("method") == "GET"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Every route of the HTTP API (``POST /slack/events``, ``GET /healthz``,
    ``POST /git/webhook``), the sync schedule (``{"gencode": "sync-all"}``) and the syncs
    this function hands to itself (``{"gencode_git_sync": id}``).

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
    return _handler.handle(event, context)
