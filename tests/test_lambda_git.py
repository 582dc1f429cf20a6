"""Repositories kept in sync on Lambda: the webhook answers at once and hands each sync to
an asynchronous invocation of the function; the schedule fans out the same way; a Slack
``repo add`` that runs out of time goes on in another invocation. The invocations are
recorded and replayed as Lambda would run them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk.web import WebClient

from bot.config import Settings
from bot.lambda_handler import Handlers, make_handlers
from rag import Engine, Scope
from rag.git import SyncLimits
from tests.git_server import TOKEN, GitServer
from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET
from tests.test_slack_git import FILES, HOOK_SECRET, github_headers, github_push
from tests.test_slack_lambda import Context, FakeLambda, api_gateway_event


def handlers_for(
    slack_api: SlackAPI, engine: Engine, git_server: GitServer, tmp_path: Path, **extra: Any
) -> tuple[Handlers, FakeLambda, FakeLambda]:
    settings = Settings(
        home=tmp_path / "lambda-home",
        slack_bot_token=slack_api.token,
        slack_signing_secret=SECRET,
        slack_api_url=slack_api.api_url,
        git_hosts=(git_server.base,),
        git_token=TOKEN,
        git_webhook_secret=HOOK_SECRET,
        **extra,
    )
    client = WebClient(token=slack_api.token, base_url=slack_api.api_url)
    handlers = make_handlers(settings, engine, client=client)
    bolt, git = FakeLambda(), FakeLambda()
    handlers.slack.app.listener_runner.lazy_listener_runner.lambda_client = bolt  # type: ignore[attr-defined]
    handlers.invoker.lambda_client = git
    return handlers, bolt, git


def webhook_event(body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    return {
        "rawPath": "/git/webhook",
        "requestContext": {"http": {"method": "POST", "path": "/git/webhook"}},
        "headers": {k.lower(): v for k, v in headers.items()},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def replay(handlers: Handlers, invocation: dict[str, Any]) -> dict[str, Any]:
    assert invocation["InvocationType"] == "Event"
    assert invocation["FunctionName"] == Context().invoked_function_arn
    return handlers.handle(json.loads(invocation["Payload"]), Context())


class TestLambdaGit:
    def test_a_push_is_answered_at_once_and_synced_in_its_own_invocation(
        self,
        slack_api: SlackAPI,
        make_engine: Callable[..., Engine],
        git_server: GitServer,
        tmp_path: Path,
    ) -> None:
        engine = make_engine()
        handlers, _, git = handlers_for(slack_api, engine, git_server, tmp_path)
        repo = git_server.repo("shop", FILES)
        added = handlers.git.git.add(git_server.url("shop"), workspace="T1")
        body = github_push(git_server, "shop", after=repo.push())
        fetched = len(git_server.requests)

        answer = handlers.handle(webhook_event(body, github_headers(body)), Context())
        assert answer == {"statusCode": 202, "body": "syncing 1 repository"}
        assert len(git_server.requests) == fetched  # nothing fetched before answering
        (invocation,) = git.invocations
        assert json.loads(invocation["Payload"]) == {"gencode_git_sync": added.id, "hop": 0}
        replay(handlers, invocation)
        assert engine.store.repository(added.id).commit == body["after"]  # type: ignore[union-attr]
        assert engine.retrieve("slugify", Scope.of("T1"), k=1)

    def test_a_bad_signature_is_refused_and_invokes_nothing(
        self,
        slack_api: SlackAPI,
        make_engine: Callable[..., Engine],
        git_server: GitServer,
        tmp_path: Path,
    ) -> None:
        handlers, _, git = handlers_for(slack_api, make_engine(), git_server, tmp_path)
        git_server.repo("shop", FILES)
        handlers.git.git.add(git_server.url("shop"), workspace="T1")
        body = github_push(git_server, "shop", after="a" * 40)
        forged = handlers.handle(
            webhook_event(body, github_headers(body, secret="nope")), Context()
        )
        assert forged["statusCode"] == 403
        unsigned = handlers.handle(webhook_event(body, {"X-GitHub-Event": "push"}), Context())
        assert unsigned["statusCode"] == 401
        assert git.invocations == []

    def test_the_schedule_syncs_every_repository_in_invocations_of_their_own(
        self,
        slack_api: SlackAPI,
        make_engine: Callable[..., Engine],
        git_server: GitServer,
        tmp_path: Path,
    ) -> None:
        engine = make_engine()
        handlers, _, git = handlers_for(slack_api, engine, git_server, tmp_path)
        for name in ("shop", "billing"):
            git_server.repo(name, FILES)
            handlers.git.git.add(git_server.url(name), workspace="T1")
        # EventBridge's scheduled event, with the input serverless.yml gives it
        assert handlers.handle({"gencode": "sync-all"}, Context()) == {"ok": True, "syncing": 2}
        assert len(git.invocations) == 2
        for invocation in list(git.invocations):
            replay(handlers, invocation)
        assert {s.repo for s in engine.sources(Scope.of("T1"))} == {"shop", "billing"}

    def test_a_slack_add_that_runs_out_of_time_goes_on_in_another_invocation(
        self,
        slack_api: SlackAPI,
        make_engine: Callable[..., Engine],
        git_server: GitServer,
        tmp_path: Path,
    ) -> None:
        engine = make_engine()
        handlers, bolt, git = handlers_for(
            slack_api, engine, git_server, tmp_path, archive_time_budget=1e-9
        )
        git_server.repo("shop", FILES)
        form = {
            "token": "legacy",
            "team_id": "T1",
            "channel_id": "C1",
            "user_id": "U1",
            "command": "/gencode",
            "text": f"repo add {git_server.url('shop')}",
            "api_app_id": "A1",
            "response_url": slack_api.url + "/response/cmd",
            "trigger_id": "t1",
        }
        ack = handlers.handle(
            api_gateway_event(urlencode(form), "application/x-www-form-urlencoded"), Context()
        )
        assert ack["statusCode"] == 200 and "Checking" in json.loads(ack["body"])["text"]
        (lazy,) = bolt.invocations
        assert handlers.handle(json.loads(lazy["Payload"]), Context())["statusCode"] == 200
        report = slack_api.calls_to("chat.update")[-1].params["text"]
        assert "Time ran out after 0 of 2 files" in report
        (more,) = git.invocations  # the rest goes on in an invocation of its own
        assert json.loads(more["Payload"])["hop"] == 1
        handlers.git.git.limits = SyncLimits()  # the next invocation has its own time
        replay(handlers, more)
        assert len(engine.sources(Scope.of("T1"))) == 2

    def test_an_invocation_that_is_neither_http_nor_git_does_nothing(
        self,
        slack_api: SlackAPI,
        make_engine: Callable[..., Engine],
        git_server: GitServer,
        tmp_path: Path,
    ) -> None:
        handlers, _, git = handlers_for(slack_api, make_engine(), git_server, tmp_path)
        assert handlers.handle({"detail-type": "Something else"}, Context()) == {"ok": False}
        assert git.invocations == []

    @pytest.mark.parametrize("method", ["GET", "PUT"])
    def test_the_webhook_route_takes_only_posts(
        self,
        method: str,
        slack_api: SlackAPI,
        make_engine: Callable[..., Engine],
        git_server: GitServer,
        tmp_path: Path,
    ) -> None:
        handlers, _, _ = handlers_for(slack_api, make_engine(), git_server, tmp_path)
        event = webhook_event({}, {})
        event["requestContext"]["http"]["method"] = method
        assert handlers.handle(event, Context())["statusCode"] == 405
