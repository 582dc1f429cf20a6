"""``/gencode repo add URL [BRANCH]`` (``저장소 추가``): a repository kept in sync from git.

The ack is ephemeral and immediate: the URL is checked against the host policy there
(no connection), so a refused URL is told at once and nothing is posted. The lazy part
checks the remote (exists, readable, branch), registers it with the conversation's scope
(as for files: a public channel makes it workspace-wide, anything else keeps it there),
posts one message in the conversation and indexes in its thread the way an archive
share does: progress at most every few seconds, then the totals and the per-file list.
Pushes and the schedule keep it current in the background (:mod:`bot.git_hooks`); a sync
that fails there is told once in that thread (:func:`tell_outcome`).

Everything here goes through :class:`rag.git.GitSync`; no store, no model, no git.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt import Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import WORKSPACE_WIDE, FileReport, GencodeError, GitError, Repository, Scope

from . import messages
from .pool import PoolFull
from .render import SlackMessage, escape, plain, render_repository_report, section
from .runtime import INDEX_EVENT, Runtime, correlation_id, metadata, upload_snippet

if TYPE_CHECKING:  # dulwich loads when the first sync runs, not at start-up
    from rag import GitSync, SyncOutcome

logger = logging.getLogger(__name__)


def parse_add(argument: str) -> tuple[str, str]:
    """``URL [BRANCH]`` → (url, branch); Slack's ``<url|label>`` markup is undone."""
    words = argument.split()
    url = words[0] if words else ""
    if url.startswith("<") and url.endswith(">"):
        url = url[1:-1].split("|", 1)[0]
    return url, words[1] if len(words) > 1 else ""


def reason(error: GitError, korean: bool) -> str:
    return messages.repo_reason(error.code, escape(error.detail), korean)


def ack_text(rt: Runtime, argument: str, korean: bool) -> str:
    """The ephemeral ack: usage, a refusal by the policy (no connection made), or "checking"."""
    url, _ = parse_add(argument)
    if rt.git is None or not url:
        return messages.repo_usage(korean)
    try:
        remote = rt.git.remote(url)
    except GitError as exc:
        return messages.repo_refused(reason(exc, korean), korean)
    return messages.repo_adding(escape(remote.display), korean)


def add(
    rt: Runtime,
    client: WebClient,
    respond: Respond,
    command: Mapping[str, Any],
    argument: str,
    korean: bool,
) -> None:
    """The lazy part of ``repo add``: register, post, index in the thread."""
    git = rt.git
    url, branch = parse_add(argument)
    if git is None or not url:
        return  # the ack said how to use it
    team, channel, user = command["team_id"], command["channel_id"], command["user_id"]
    try:
        git.remote(url)
    except GitError:
        return  # the ack told why
    where = rt.conversation(client, team=team, channel=channel)
    try:
        repo = git.add(
            url,
            branch=branch,
            workspace=team,
            scope=WORKSPACE_WIDE if where.workspace_wide else channel,
            channel=channel,
            channel_kind=where.kind,
            added_by=user,
            korean=korean,
        )
    except GitError as exc:
        logger.info("repo add refused (team=%s channel=%s): %s", team, channel, exc.code)
        respond(response_type="ephemeral", text=messages.repo_refused(reason(exc, korean), korean))
        return
    except GencodeError:
        cid = correlation_id()
        logger.exception("repo add failed [%s] team=%s channel=%s", cid, team, channel)
        respond(response_type="ephemeral", text=messages.apology(cid))
        return
    name, display = escape(repo.name), escape(repo.display)
    try:
        root = client.chat_postMessage(
            channel=channel,
            text=messages.repo_added(user, name, display, escape(repo.branch), korean),
        )
    except SlackApiError as exc:
        logger.info("repo add: cannot post in %s: %s", channel, exc.response.get("error"))
        if not repo.thread_ts and not repo.commit:  # registered just now: undo it
            rt.engine.forget_units([repo.id])
        respond(response_type="ephemeral", text=messages.not_in_channel())
        return
    thread_ts = str(root["ts"])
    rt.remember_thread(team, channel, thread_ts)
    git.note_thread(repo.id, thread_ts)

    def first_sync() -> None:
        sync_in_thread(rt, client, repo, channel=channel, thread_ts=thread_ts, korean=korean,
                       workspace_wide=where.workspace_wide, shared_outside=where.shared)  # fmt: skip

    _in_turn(rt, client, first_sync, name=name, channel=channel, thread_ts=thread_ts, korean=korean)


def _in_turn(
    rt: Runtime,
    client: WebClient,
    job: Callable[[], None],
    *,
    name: str,
    channel: str,
    thread_ts: str,
    korean: bool,
) -> None:
    """Run the first sync at once (Lambda), or in turn on the indexing pool shares use, so
    that questions never wait behind it; the thread says when it waits."""
    if rt.indexing is None:
        job()
        return
    try:
        ahead = rt.indexing.submit(job)
    except PoolFull:  # registered: the next push or scheduled sync indexes it
        logger.warning("first sync of %s not queued: the indexing queue is full", name)
        _reply(client, channel, thread_ts, messages.repo_queue_full(name, korean))
        return
    if ahead is not None:
        _reply(client, channel, thread_ts, messages.indexing_queued(name, ahead, korean=korean))


def _reply(client: WebClient, channel: str, thread_ts: str, text: str) -> None:
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
    except SlackApiError as exc:
        logger.info("could not reply in %s/%s: %s", channel, thread_ts, exc.response.get("error"))


class _Status:
    """The one message in the thread showing progress, then the report (cf. archives)."""

    def __init__(self, client: WebClient, channel: str, thread_ts: str, text: str) -> None:
        self.client, self.channel, self.thread_ts = client, channel, thread_ts
        msg = plain(text)
        self.ts = str(
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=msg.text, blocks=list(msg.blocks)
            )["ts"]
        )

    def show(self, message: SlackMessage) -> None:
        self.client.chat_update(
            channel=self.channel,
            ts=self.ts,
            text=message.text,
            blocks=list(message.blocks),
            metadata=metadata(INDEX_EVENT, repo="git"),
        )


def sync_in_thread(
    rt: Runtime,
    client: WebClient,
    repo: Repository,
    *,
    channel: str,
    thread_ts: str,
    korean: bool,
    workspace_wide: bool,
    shared_outside: bool,
) -> None:
    """Run a sync of ``repo`` with its progress and report in the thread."""
    git = rt.git
    assert git is not None
    name = escape(repo.name)
    status = _Status(
        client, channel, thread_ts, messages.repo_fetching(escape(repo.display), korean)
    )
    last = [rt.clock()]

    def on_file(done: int, total: int, report: FileReport) -> None:
        now = rt.clock()
        if done < total and now - last[0] >= rt.archive_update_interval:
            last[0] = now
            try:
                status.show(plain(messages.repo_progress(name, done, total, korean)))
            except SlackApiError as exc:
                logger.info("progress update failed: %s", exc.response.get("error"))

    try:
        outcome = git.sync(repo.id, on_file=on_file)
    except Exception:
        cid = correlation_id()
        logger.exception("repository sync failed [%s] %s", cid, repo.id)
        status.show(plain(messages.apology(cid)))
        return
    if outcome is None:  # a push got there first: that sync tells its own failures
        status.show(plain(messages.repo_busy(name, korean)))
        return
    git.tell_once(repo.id)  # told here and now: the background will not tell it again
    status.show(_rendered_outcome(rt, status, outcome, korean, workspace_wide, shared_outside))
    if outcome.status == "unfinished" and rt.git_later is not None:
        rt.git_later(repo.id, 1)


def _rendered_outcome(
    rt: Runtime,
    status: _Status,
    outcome: SyncOutcome,
    korean: bool,
    workspace_wide: bool,
    shared_outside: bool,
) -> SlackMessage:
    repo = outcome.repository
    name = escape(repo.name)
    if outcome.status == "failed" and outcome.error is not None:
        return plain(messages.repo_refused(reason(outcome.error, korean), korean))
    if outcome.status == "forgotten":
        return plain(messages.forgotten_while_indexing(name))
    if outcome.status == "up_to_date" or outcome.report is None:
        return plain(messages.repo_up_to_date(name, outcome.commit, korean))
    report = outcome.report
    rendered = render_repository_report(
        replace(report, unfinished=0),
        repo=repo.name,
        permalink="",
        skipped=list(outcome.skipped),
        workspace_wide=workspace_wide,
        shared_outside=shared_outside,
    )
    message = rendered.message
    if report.unfinished:
        done = len(report.files)
        line = messages.repo_unfinished(done, done + report.unfinished, korean)
        message = replace(
            message, text=f"{message.text}\n{line}", blocks=(*message.blocks, section(line))
        )
    if rendered.upload is not None:
        upload_snippet(
            status.client,
            channel=status.channel,
            thread_ts=status.thread_ts,
            upload=rendered.upload,
        )
    return message


def tell_outcome(client: WebClient, git: GitSync, outcome: SyncOutcome) -> None:
    """A background sync's failure, told once in the thread where the repository was added
    (in the language it was added in); successes and retries stay quiet."""
    if outcome.status != "failed":
        return
    repo = git.tell_once(outcome.repository.id)
    if repo is None or not repo.channel or not repo.thread_ts:
        return
    text = messages.repo_sync_failed(
        escape(repo.name),
        escape(repo.display),
        messages.repo_reason(repo.error, escape(repo.error_detail), repo.korean),
        repo.korean,
    )
    try:
        client.chat_postMessage(channel=repo.channel, thread_ts=repo.thread_ts, text=text)
    except SlackApiError as exc:
        logger.warning(
            "could not tell %s's failure in %s: %s",
            repo.id,
            repo.channel,
            exc.response.get("error"),
        )


def registered_here(rt: Runtime, team: str, channel: str, name: str) -> list[Repository]:
    """Repositories named ``name`` that were added in this very conversation."""
    if rt.git is None:
        return []
    return [
        r
        for r in rt.git.repositories(scope=Scope.of(team, channel))
        if r.channel == channel and r.name == name
    ]


def by_unit(rt: Runtime, scope: Scope) -> dict[str, Repository]:
    """The repositories ``scope`` may see, by id (a repository's files' key prefix)."""
    if rt.git is None:
        return {}
    return {r.id: r for r in rt.git.repositories(scope=scope)}


def sync_lines(repo: Repository, korean: bool) -> str:
    error = (
        messages.repo_reason(repo.error, escape(repo.error_detail), korean) if repo.error else ""
    )
    return messages.repo_sync_line(
        display=escape(repo.display),
        branch=escape(repo.branch),
        commit=repo.commit,
        synced=int(repo.synced_at),
        error=error,
        korean=korean,
    )


def pending_lines(repos: Sequence[Repository], korean: bool) -> list[str]:
    """Registered repositories with no file indexed, for the list."""
    return [
        messages.repo_pending_line(escape(r.name), korean) + "\n" + sync_lines(r, korean)
        for r in repos
    ]
