"""Fixtures for the Slack tests: the loopback Slack API, an engine in tmp_path, the real server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.web import WebClient

from bot.app import build_app, git_hooks, tell_outcomes
from bot.config import Settings
from bot.git_hooks import GitHooks
from bot.server import GencodeServer, make_server
from handlers.pool import AnswerPool
from rag import Engine
from rag.embed import LocalUSEEmbedder
from rag.generate import ExtractiveGenerator, Generator
from rag.git import GitSync
from rag.stores.sqlite import SQLiteStore
from rag.summarize import ExtractiveSummarizer
from tests.slack_api import SlackAPI
from tests.slack_helpers import SECRET, Slack


@pytest.fixture
def make_engine(
    tmp_path: Path, local_embedder: LocalUSEEmbedder
) -> Iterator[Callable[..., Engine]]:
    engines: list[Engine] = []

    def make(generator: Generator | None = None, **kwargs: Any) -> Engine:
        engine = Engine(
            store=SQLiteStore(tmp_path / f"index{len(engines)}.sqlite3"),
            embedder=local_embedder,
            summarizer=ExtractiveSummarizer(),
            generator=generator or ExtractiveGenerator(),
            **kwargs,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.close()


@pytest.fixture
def slack_api() -> Iterator[SlackAPI]:
    api = SlackAPI().start()
    yield api
    api.stop()


@dataclass
class Bot:
    api: SlackAPI
    engine: Engine
    server: GencodeServer
    slack: Slack
    settings: Settings
    hooks: GitHooks | None = None
    """Pushes and schedule, when the bot was started with a ``git`` sync."""


@pytest.fixture
def start_bot(
    slack_api: SlackAPI, make_engine: Callable[..., Engine]
) -> Iterator[Callable[..., Bot]]:
    """Start the real HTTP server on a free port, talking to the loopback Slack API."""
    stops: list[Callable[[], None]] = []

    def start(
        generator: Generator | None = None,
        *,
        update_interval: float = 1.0,
        engine: Engine | None = None,
        settings: dict[str, Any] | None = None,
        answer_workers: int = 4,
        answer_queue: int = 100,
        request_timeout: float = 30.0,
        git: GitSync | None = None,
        **engine_kwargs: Any,
    ) -> Bot:
        engine = engine or make_engine(generator, **engine_kwargs)
        config = Settings(
            home=Path("/nonexistent"),
            slack_bot_token=slack_api.token,
            slack_signing_secret=SECRET,
            slack_api_url=slack_api.api_url,
            **(settings or {}),
            answer_workers=answer_workers,
            answer_queue=answer_queue,
        )
        executor = ThreadPoolExecutor(max_workers=4)
        lazy = ThreadPoolExecutor(max_workers=8)
        answers = AnswerPool(workers=answer_workers, max_queued=answer_queue)
        indexing = AnswerPool(
            workers=config.index_workers, max_queued=config.index_queue, kind="index"
        )
        client = WebClient(token=slack_api.token, base_url=slack_api.api_url)
        hooks = git_hooks(config, git, indexing) if git is not None else None
        app = build_app(
            config,
            engine,
            client=client,
            listener_executor=executor,
            lazy_executor=lazy,
            answers=answers,
            indexing=indexing,
            update_interval=update_interval,
            git=git,
            git_later=hooks.submit if hooks else None,
        )
        if hooks is not None:
            tell_outcomes(hooks, client)
        server = make_server(
            app,
            "127.0.0.1",
            0,
            signing_secret=SECRET,
            request_timeout=request_timeout,
            git_hooks=hooks,
        ).start()

        def stop() -> None:
            if hooks is not None:
                hooks.stop()
            server.close()
            executor.shutdown(wait=True)
            lazy.shutdown(wait=True)
            answers.shutdown(wait=True)
            indexing.shutdown(wait=True)

        stops.append(stop)
        return Bot(slack_api, engine, server, Slack(server.url), config, hooks)

    yield start
    for stop in stops:
        stop()


@pytest.fixture
def bot(start_bot: Callable[..., Bot]) -> Bot:
    return start_bot()
