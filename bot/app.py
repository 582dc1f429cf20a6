"""The one place where Bolt meets the engine: :func:`build_app`.

Every entry point (``gencode serve``, ``gencode socket``, Lambda) and every test builds
its app here, from settings and an already built :class:`~rag.Engine`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.lazy_listener.thread_runner import ThreadLazyListenerRunner
from slack_sdk.web import WebClient

import handlers
from handlers.inflight import HEARTBEAT, InFlight
from handlers.pool import AnswerPool, PoolFull
from handlers.runtime import Deduper, Runtime
from rag import ConfigError, Engine

from .config import Settings

if TYPE_CHECKING:
    from rag.git import GitSync

    from .git_hooks import GitHooks

logger = logging.getLogger(__name__)

SLACK_API_DEFAULT = "https://slack.com/api/"
ACK_WORKERS = 16
"""Threads for ack functions: they only check and answer, so they return in milliseconds."""


def api_base_url(settings: Settings) -> str:
    """The Web API base URL: ``SLACK_API_URL`` (ending in ``/``) or Slack's own."""
    url = settings.slack_api_url or SLACK_API_DEFAULT
    return url if url.endswith("/") else url + "/"


def dedupe_middleware(dedupe: Deduper) -> Any:
    """Drop an event whose ``event_id`` was already seen (Slack retries, replays).

    The request is acked with 200 so Slack stops retrying. The second hop of a Lambda
    lazy listener (``x-slack-bolt-lazy-only``) replays the same body on purpose and
    passes through.
    """

    def drop_repeated_events(req: BoltRequest, next: Any) -> BoltResponse | None:
        if req.lazy_only:
            return next()  # type: ignore[no-any-return]
        body = req.body if isinstance(req.body, dict) else {}
        event_id = body.get("event_id")
        if event_id and not dedupe.claim(("event", event_id)):
            retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
            logger.info(
                "dropped repeated event %s (team=%s retry=%s reason=%s)",
                event_id,
                body.get("team_id"),
                retry,
                (req.headers.get("x-slack-retry-reason") or [""])[0],
            )
            return BoltResponse(status=200, body="")
        return next()  # type: ignore[no-any-return]

    return drop_repeated_events


def git_hooks(settings: Settings, git: GitSync, indexing: AnswerPool | None = None) -> GitHooks:
    """Pushes and the schedule of ``gencode serve``: syncs wait their turn on ``indexing``,
    the pool shared files are indexed on (so questions never wait behind them), or run
    inline when there is none. Call :func:`tell_outcomes` once the app exists, so that
    failures reach their threads."""
    from .git_hooks import GitHooks

    hooks = GitHooks(git, secret=settings.git_webhook_secret)
    if indexing is not None:
        pool = indexing

        def submit(repo_id: str, hop: int) -> None:
            def job() -> None:
                hooks.run(repo_id, hop=hop)

            try:
                pool.submit(job)
            except PoolFull:  # the request stays noted: the next push or schedule runs it
                logger.warning("sync of %s not queued: the indexing queue is full", repo_id)

        hooks.submit = submit
    return hooks


def indexing_pool(settings: Settings) -> AnswerPool:
    """Where shares and git syncs are indexed, ``index_workers`` at once."""
    return AnswerPool(workers=settings.index_workers, max_queued=settings.index_queue, kind="index")


def tell_outcomes(hooks: GitHooks, client: WebClient) -> None:
    """Background sync failures are told, once, in the thread where each was added."""
    from handlers.repos import tell_outcome

    hooks.on_outcome = partial(tell_outcome, client, hooks.git)


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    client: WebClient | None = None,
    process_before_response: bool = False,
    socket_mode: bool = False,
    listener_executor: Executor | None = None,
    lazy_executor: Executor | None = None,
    answers: AnswerPool | None = None,
    indexing: AnswerPool | None = None,
    update_interval: float = 1.0,
    dedupe: Deduper | None = None,
    git: GitSync | None = None,
    git_later: Callable[[str, int], None] | None = None,
) -> App:
    """Build the Bolt app: middleware, listeners, and the engine they call.

    ``client`` defaults to a :class:`WebClient` with ``SLACK_BOT_TOKEN`` on
    :func:`api_base_url`. Building the app calls ``auth.test`` once to learn the bot's
    own user id (Bolt drops the bot's own events with it). ``process_before_response``
    is for Lambda, where nothing may run after the response; ``socket_mode`` allows a
    missing signing secret (Socket Mode requests are not signed).

    Four pools, so that an ack never waits behind slow work (Slack gives it 3 s), and a
    question never waits behind indexing: ``listener_executor`` runs ack functions only;
    ``lazy_executor`` (``listener_workers`` threads) runs lazy listeners; ``answers``
    (``answer_workers`` at once, ``answer_queue`` waiting) writes answers; ``indexing``
    (``index_workers`` at once, ``index_queue`` waiting) indexes shares. On Lambda there are
    none: Bolt re-invokes the function for each lazy listener and the work runs inline
    there. Pass your own to shut them down.

    ``git`` offers ``/gencode repo add`` (repositories kept in sync); ``git_later`` runs a
    repository's sync in the background (see :class:`~bot.git_hooks.GitHooks`).
    """
    if client is None:
        if not settings.slack_bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is not set: give the bot token (xoxb-…).")
        client = WebClient(token=settings.slack_bot_token, base_url=api_base_url(settings))
    token = client.token or settings.slack_bot_token
    if not socket_mode and not settings.slack_signing_secret:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page."
        )
    kwargs: dict[str, Any] = {}
    if not process_before_response:
        kwargs["listener_executor"] = listener_executor or ThreadPoolExecutor(
            ACK_WORKERS, thread_name_prefix="gencode-ack"
        )
    elif listener_executor is not None:
        kwargs["listener_executor"] = listener_executor
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret or None,
        request_verification_enabled=bool(settings.slack_signing_secret) or not socket_mode,
        process_before_response=process_before_response,
        **kwargs,
    )
    if not process_before_response:
        runner = app.listener_runner
        runner.lazy_listener_runner = ThreadLazyListenerRunner(
            logger=runner.logger,
            executor=lazy_executor
            or ThreadPoolExecutor(settings.listener_workers, thread_name_prefix="gencode-lazy"),
        )
        if answers is None:
            answers = AnswerPool(workers=settings.answer_workers, max_queued=settings.answer_queue)
        if indexing is None:
            indexing = indexing_pool(settings)
    rt = Runtime(
        engine=engine,
        token=token,
        api_url=settings.slack_api_url,
        dedupe=dedupe or Deduper(shared=engine.claim_once),
        update_interval=update_interval,
        archive_limits=settings.archive_limits,
        archive_download_bytes=settings.archive_download_bytes,
        archive_time_budget=settings.archive_time_budget,
        archive_update_interval=3 * update_interval,
        answers=answers if not process_before_response else None,
        indexing=indexing if not process_before_response else None,
        git=git,
        git_later=git_later,
    )
    # Lambda containers share process ids and run nothing between requests: there, a share
    # counts as orphaned only when its heartbeats stop, and only shares look for them.
    rt.inflight = InFlight(
        engine,
        same_host=not process_before_response,
        heartbeat=None if process_before_response else HEARTBEAT,
        write_every=rt.archive_update_interval,
    )
    if not process_before_response:
        rt.inflight.sweep(client)  # shares a killed predecessor left hanging
    app.middleware(dedupe_middleware(rt.dedupe))
    handlers.register(app, rt)
    return app
