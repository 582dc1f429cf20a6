"""Index by sharing: a ``.py`` file shared where the bot is present gets indexed.

One upload fires two events (``file_shared`` and ``message`` with ``subtype=file_share``).
Gencode uses the message: it carries the files, the message ``ts`` (the thread to reply
in) and the channel type. ``file_shared`` is acked and ignored. Each (file, message) is
claimed once, so retries and duplicate events index nothing twice. ``file_deleted``
removes the file's code from the index.

Code shared in a public channel of this workspace alone is visible workspace-wide;
anywhere else (private channel, DM, group DM, a channel shared with another organisation
or workspace, or a conversation whose type is unknown) it is scoped to that one
conversation (see :mod:`handlers.conversations`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import (
    INDEXED_SUFFIXES,
    WORKSPACE_WIDE,
    ArchiveError,
    Engine,
    FileReport,
    GencodeError,
    InputError,
    Repository,
    Source,
    SourceForgotten,
    is_archive,
    is_korean,
    printable,
    read_archive,
)

from . import manage, messages
from .conversations import KINDS, Conversation
from .download import DownloadError
from .inflight import Ticket
from .pool import PoolFull
from .render import (
    SlackMessage,
    Upload,
    escape,
    plain,
    render_index_report,
    render_repository_report,
)
from .runtime import (
    INDEX_EVENT,
    Runtime,
    bot_in_thread,
    correlation_id,
    metadata,
    upload_snippet,
)

logger = logging.getLogger(__name__)


def is_python(file: Mapping[str, Any]) -> bool:
    """A file indexed on its own: Python source or a Jupyter notebook."""
    name = str(file.get("name") or "").lower()
    return name.endswith(INDEXED_SUFFIXES) or (not name and file.get("filetype") == "python")


def _react(client: WebClient, *, channel: str, ts: str, name: str, add: bool = True) -> None:
    try:
        if add:
            client.reactions_add(channel=channel, timestamp=ts, name=name)
        else:
            client.reactions_remove(channel=channel, timestamp=ts, name=name)
    except SlackApiError as exc:  # already_reacted, no_reaction, missing scope: never fatal
        logger.info("reaction %s on %s/%s: %s", name, channel, ts, exc.response.get("error"))


def _reason(error: str, filename: str) -> str:
    """``orders.py:12: invalid syntax`` → ``syntax error on line 12: invalid syntax``."""
    rest = error[len(filename) + 1 :].strip() if error.startswith(filename + ":") else error
    m = re.match(r"(\d+): (.*)", rest, re.S)
    if m:
        return f"syntax error on line {m.group(1)}: {m.group(2)}"
    return rest


def index_shared_files(
    rt: Runtime,
    client: WebClient,
    *,
    team: str,
    event: Mapping[str, Any],
    context: Mapping[str, Any],
) -> None:
    channel = str(event["channel"])
    ts = str(event["ts"])
    thread_ts = str(event.get("thread_ts") or ts)
    user = str(event.get("user", ""))
    direct: bool | None = None

    def is_direct() -> bool:
        """Shared to the bot: in a DM, with a mention, or in a thread the bot is part of."""
        nonlocal direct
        if direct is None:
            direct = event.get("channel_type") == "im" or (
                f"<@{context.get('bot_user_id')}" in str(event.get("text", ""))
            )
            if not direct and thread_ts != ts:
                try:
                    direct = bot_in_thread(
                        rt, client, channel=channel, thread_ts=thread_ts, context=context
                    )
                except SlackApiError:
                    direct = False
        return direct

    for file in event.get("files") or []:
        file_id = str(file.get("id", ""))
        if not rt.dedupe.claim(("index", team, file_id, channel, ts)):
            continue
        if not file.get("url_private_download") or file.get("file_access") == "check_file_info":
            try:
                file = client.files_info(file=file_id)["file"]
            except SlackApiError as exc:
                logger.warning("files.info %s failed: %s", file_id, exc.response.get("error"))
                if is_direct() or is_python(file):
                    _say(
                        client,
                        channel,
                        thread_ts,
                        messages.index_refused(
                            escape(str(file.get("name") or file_id)),
                            escape(messages.download_failed(str(exc.response.get("error")))),
                        ),
                    )
                continue
        # Shown and stored escaped: a right-to-left override must not pass for another name.
        name = printable(str(file.get("name") or file.get("title") or file_id))
        shared = Shared(
            rt,
            client,
            team=team,
            channel=channel,
            ts=ts,
            thread_ts=thread_ts,
            user=user,
            file=file,
            name=name,
            channel_type=event.get("channel_type"),
            korean=is_korean(str(event.get("text") or "")),
        )
        if is_archive(name):
            _in_turn(shared, _index_archive, messages.archive_started(escape(name)))
            continue
        if not is_python(file):
            if is_direct():
                _say(client, channel, thread_ts, messages.not_python(escape(name)))
            else:
                logger.info("ignored non-Python file %s in %s", file_id, channel)
            continue
        _in_turn(shared, _index_one, messages.indexing_started(escape(name)))


def _in_turn(shared: Shared, index: Callable[[Shared, ThreadStatus], None], started: str) -> None:
    """Index a share at once (Lambda), or in turn on the runtime's indexing pool.

    The lazy listener's thread is free again as soon as the share is queued: questions,
    commands and the App Home run on those threads and must never wait behind a burst of
    big shares. The thread's message says when a share waits, and how many are ahead.
    """
    rt = shared.rt
    archive = index is _index_archive
    interval = rt.archive_update_interval if archive else rt.update_interval
    if rt.inflight is not None:  # shares a killed process left hanging: say so first
        rt.inflight.sweep_soon(shared.client)
    if rt.indexing is None:
        status = ThreadStatus(shared, started, interval=interval).held(archive=archive)
        try:
            index(shared, status)
        finally:
            status.release()
        return
    posted = threading.Event()
    queued: list[ThreadStatus] = []
    ahead: int | None = None

    def job() -> None:
        posted.wait()
        status = queued[0]
        try:
            if ahead is not None:  # its turn has come: the queued line becomes the started one
                try:
                    status.show(plain(started))
                except SlackApiError as exc:
                    logger.info("could not update a queued share: %s", exc.response.get("error"))
            index(shared, status)
        finally:
            status.release()

    try:
        ahead = rt.indexing.submit(job)
    except PoolFull as full:
        logger.warning(
            "share refused, %d waiting: team=%s channel=%s file=%s",
            full.waiting,
            shared.team,
            shared.channel,
            shared.file_id,
        )
        _say(
            shared.client,
            shared.channel,
            shared.thread_ts,
            messages.indexing_busy(escape(shared.name), korean=shared.korean),
        )
        return
    try:
        first = started
        if ahead is not None:
            logger.info(
                "share queued behind %d: team=%s channel=%s file=%s",
                ahead,
                shared.team,
                shared.channel,
                shared.file_id,
            )
            first = messages.indexing_queued(escape(shared.name), ahead, korean=shared.korean)
        queued.append(ThreadStatus(shared, first, interval=interval).held(archive=archive))
    finally:
        posted.set()


def _say(client: WebClient, channel: str, thread_ts: str, text: str) -> str | None:
    msg = plain(text)
    try:
        resp = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=msg.text, blocks=list(msg.blocks)
        )
        return str(resp["ts"])
    except SlackApiError as exc:
        logger.warning(
            "could not reply in %s/%s: %s", channel, thread_ts, exc.response.get("error")
        )
        return None


@dataclass(frozen=True)
class Shared:
    """One shared file being indexed: where it is and who shared it."""

    rt: Runtime
    client: WebClient
    team: str
    channel: str
    ts: str
    thread_ts: str
    user: str
    file: Mapping[str, Any]
    name: str
    channel_type: str | None
    korean: bool = False
    """The share's message is in Korean: refusals that need the sharer to act follow it."""

    @property
    def file_id(self) -> str:
        return str(self.file.get("id", ""))

    def where(self) -> Conversation:
        if self.channel_type in KINDS and self.channel_type != "channel":
            return Conversation(self.channel, KINDS[self.channel_type])  # stays here regardless
        # a Slack Connect channel arrives as "channel": only the lookup can tell
        return self.rt.conversation(self.client, team=self.team, channel=self.channel)

    def source(self, where: Conversation, *, path: str, repo: str = "") -> Source:
        return Source(
            path=path,
            workspace=self.team,
            scope=WORKSPACE_WIDE if where.workspace_wide else self.channel,
            file_id=self.file_id,
            permalink=str(self.file.get("permalink") or ""),
            channel=self.channel,
            channel_kind=where.kind,
            indexed_by=self.user,
            repo=repo,
        )


NAMING = "naming\x1f"
"""Notes of the names being indexed now, by :attr:`Source.unit`, with who shares them."""
NAME_LEASE = 3_600.0
"""Seconds a name stays held if its process dies before letting go of it."""


def _taken(shared: Shared, source: Source, status: ThreadStatus, held: ExitStack) -> bool:
    """Whether ``source`` would replace code that someone else shared here, and the sharer
    may not (only the person who shared it or a workspace admin may, as for forget). If so,
    the thread says whose it is and what to do, and nothing is changed. Otherwise the name
    is held in ``held`` until the share ends (see :func:`_hold`)."""
    if not _hold(shared, source, status, held):
        return True
    synced = _synced_as(shared, source)
    if synced is not None:
        logger.info(
            "share of %s refused: kept in sync from git here (team=%s channel=%s)",
            source.display,
            shared.team,
            shared.channel,
        )
        text = messages.share_is_synced(
            escape(source.repo), escape(synced.display), korean=shared.korean
        )
        status.show(plain(text))
        return True
    found = shared.rt.engine.replaced_by(source)
    if not found or manage.may_change(shared.client, shared.user, shared.team, found):
        return False
    owners = sorted({s.indexed_by for s in found if s.indexed_by and s.indexed_by != shared.user})
    logger.info(
        "share of %s by %s refused: shared before by %s (team=%s channel=%s)",
        source.display,
        shared.user,
        ",".join(owners),
        shared.team,
        shared.channel,
    )
    text = messages.share_taken(
        escape(source.repo or source.path),
        owners,
        repository=bool(source.repo),
        korean=shared.korean,
    )
    status.show(plain(text))
    return True


def _hold(shared: Shared, source: Source, status: ThreadStatus, held: ExitStack) -> bool:
    """Hold ``source``'s name here while this share indexes it, in the shared store.

    Two people sharing the same name at the same moment would both pass the ownership
    check (nothing of either is written yet), and the later write would replace the other
    person's code unasked. The first claim wins; a share by someone else meanwhile is
    refused and told whose share is under way. The same person's second share goes on.
    """
    engine, key = shared.rt.engine, NAMING + source.unit
    if engine.claim_once(key, ttl=NAME_LEASE):
        engine.remember(key, ttl=NAME_LEASE, value=shared.user)
        held.callback(_let_go, engine, key)
        return True
    holder = engine.recall(key).get(key, "")
    if holder == shared.user:
        return True
    logger.info(
        "share of %s by %s refused: being shared by %s (team=%s channel=%s)",
        source.display,
        shared.user,
        holder or "?",
        shared.team,
        shared.channel,
    )
    text = messages.share_under_way(
        escape(source.repo or source.path),
        holder,
        repository=bool(source.repo),
        korean=shared.korean,
    )
    status.show(plain(text))
    return False


def _let_go(engine: Engine, key: str) -> None:
    try:
        engine.drop_note(key)
    except GencodeError:  # the lease expires on its own
        logger.warning("could not let go of %r", key, exc_info=True)


def _synced_as(shared: Shared, source: Source) -> Repository | None:
    """The repository kept in sync from git that an archive ``source`` would overwrite.

    Whoever shares it, it is refused: the sync knows its files by their git blobs, so the
    next push would leave the archive's versions of unchanged files in place, a mix of the
    two that nobody asked for."""
    git = shared.rt.git
    if git is None or not source.repo:
        return None
    repos = git.repositories(workspace=source.workspace)
    return next((r for r in repos if r.id == source.repo_prefix), None)


class ThreadStatus:
    """The one message in a file's thread that shows progress and then the report.

    It is posted when work starts and updated in place (or, if posting failed, each update
    is a new message). :meth:`throttled` updates at most once per ``interval`` seconds.
    """

    def __init__(self, shared: Shared, started: str, *, interval: float) -> None:
        self.shared = shared
        self.interval = interval
        self.ts = _say(shared.client, shared.channel, shared.thread_ts, started)
        self.last = shared.rt.clock()
        if self.ts is not None:
            shared.rt.remember_thread(shared.team, shared.channel, shared.thread_ts)
        self.ticket: Ticket | None = None

    def held(self, *, archive: bool) -> ThreadStatus:
        """Note the share as in flight in the store until :meth:`release` (see
        :mod:`handlers.inflight`): if this process dies, another says so in the thread."""
        sh = self.shared
        if sh.rt.inflight is not None:
            self.ticket = sh.rt.inflight.begin(sh, status_ts=self.ts, archive=archive)
        return self

    def counted(self, done: int, total: int) -> None:
        """How far indexing got, kept with the note (what an interruption would report)."""
        if self.ticket is not None:
            self.ticket.progress(done, total)

    def release(self) -> None:
        if self.ticket is not None:
            self.ticket.end()
            self.ticket = None

    def show(self, message: SlackMessage) -> None:
        sh = self.shared
        if self.ts:
            sh.client.chat_update(
                channel=sh.channel,
                ts=self.ts,
                text=message.text,
                blocks=list(message.blocks),
                metadata=metadata(INDEX_EVENT, file=sh.file_id),
            )
        else:
            sh.client.chat_postMessage(
                channel=sh.channel,
                thread_ts=sh.thread_ts,
                text=message.text,
                blocks=list(message.blocks),
            )

    def throttled(self, text: str) -> None:
        now = self.shared.rt.clock()
        if now - self.last < self.interval:
            return
        self.last = now
        try:
            self.show(plain(text))
        except SlackApiError as exc:
            logger.info("progress update failed: %s", exc.response.get("error"))

    def upload(self, upload: Upload | None) -> None:
        if upload is not None:
            sh = self.shared
            upload_snippet(sh.client, channel=sh.channel, thread_ts=sh.thread_ts, upload=upload)


@contextmanager
def reacting(shared: Shared, status: ThreadStatus) -> Iterator[list[bool]]:
    """:eyes: while working, then :white_check_mark: or :x:; an unexpected failure becomes
    an apology with a correlation id in the thread. Set ``outcome[0] = True`` on success."""
    sh = shared
    _react(sh.client, channel=sh.channel, ts=sh.ts, name="eyes")
    outcome = [False]
    try:
        yield outcome
    except Exception:
        cid = correlation_id()
        logger.exception(
            "indexing failed [%s] team=%s channel=%s file=%s", cid, sh.team, sh.channel, sh.file_id
        )
        try:
            status.show(plain(messages.apology(cid)))
        except Exception:  # updating failed too: a new message may still get through
            if _say(sh.client, sh.channel, sh.thread_ts, messages.apology(cid)) is None:
                logger.error("could not report failure [%s] to the thread", cid)
    finally:
        _react(sh.client, channel=sh.channel, ts=sh.ts, name="eyes", add=False)
        done = "white_check_mark" if outcome[0] else "x"
        _react(sh.client, channel=sh.channel, ts=sh.ts, name=done)


def _downloaded(
    shared: Shared,
    status: ThreadStatus,
    limit: int,
    *,
    refused: Callable[[str, str], str],
    too_big: Callable[[int, int], str],
) -> bytes | None:
    """The file's bytes, or None once the thread says why they could not be had (a size
    over ``limit`` is refused before anything is downloaded)."""
    size = int(shared.file.get("size") or 0)
    if size > limit:
        status.show(plain(refused(escape(shared.name), too_big(size, limit))))
        return None
    try:
        data = shared.rt.download(shared.file, max_bytes=limit, timeout=120.0)
        if size and not data:  # Slack said it has bytes: an empty body is a failed download
            raise DownloadError("the download came back empty")
        return data
    except DownloadError as exc:
        logger.info("download of %s failed: %s", shared.file_id, exc)
        why = escape(messages.download_failed(str(exc)))
        status.show(plain(refused(escape(shared.name), why)))
        return None


def _index_one(shared: Shared, status: ThreadStatus) -> None:
    rt, name = shared.rt, shared.name
    shown = escape(name)

    def on_progress(stage: str, done: int, total: int) -> None:
        if done < total:
            status.throttled(messages.indexing_progress(shown, stage, done, total))

    with reacting(shared, status) as outcome, ExitStack() as held:
        since = rt.engine.mark()  # a forget from now on cancels this share
        data = _downloaded(
            shared,
            status,
            rt.engine.max_file_bytes,
            refused=messages.index_refused,
            too_big=lambda size, limit: messages.too_big(name, size, limit),
        )
        if data is None:
            return
        where = shared.where()
        source = shared.source(where, path=name)
        if _taken(shared, source, status, held):
            return
        try:
            report = rt.engine.index_bytes(data, source, on_progress=on_progress, since=since)
        except SourceForgotten:
            status.show(plain(messages.forgotten_while_indexing(shown)))
            return
        if report.error:
            status.show(plain(messages.index_refused(shown, escape(_reason(report.error, name)))))
            return
        if report.skipped:
            why = escape(report.skipped)
            status.show(plain(messages.index_skipped(shown, why, len(report.removed))))
            outcome[0] = True
            return
        rendered = render_index_report(
            report,
            filename=name,
            permalink=source.permalink,
            workspace_wide=where.workspace_wide,
            shared_outside=where.shared,
        )
        status.show(rendered.message)
        status.upload(rendered.upload)
        outcome[0] = True


def _index_archive(shared: Shared, status: ThreadStatus) -> None:
    """A repository shared as an archive: read in memory, indexed file by file with a
    progress line updated every few seconds, then folded into one report."""
    rt, name = shared.rt, shared.name
    shown = escape(name)
    started = rt.clock()

    def on_file(done: int, total: int, report: FileReport) -> None:
        status.counted(done, total)
        if done < total:
            status.throttled(messages.archive_progress(shown, done, total))

    def out_of_time() -> bool:
        return rt.clock() - started > rt.archive_time_budget

    with reacting(shared, status) as outcome, ExitStack() as held:
        since = rt.engine.mark()  # a forget from now on cancels this share
        data = _downloaded(
            shared,
            status,
            rt.archive_download_bytes,
            refused=messages.archive_refused,
            too_big=messages.archive_too_big,
        )
        if data is None:
            return
        try:
            archive = read_archive(data, name, limits=rt.archive_limits)
        except ArchiveError as exc:
            logger.info(
                "archive %s refused (team=%s channel=%s): %s",
                shared.file_id,
                shared.team,
                shared.channel,
                exc,
            )
            status.show(plain(messages.archive_refused(shown, escape(str(exc)))))
            return
        if not archive.files:
            status.show(plain(messages.archive_refused(shown, messages.archive_empty())))
            return
        where = shared.where()
        template = shared.source(where, path="", repo=archive.repo)
        if _taken(shared, template, status, held):
            return
        try:
            report = rt.engine.index_repository(
                [(f.path, f.data) for f in archive.files],
                template,
                on_file=on_file,
                out_of_time=out_of_time if rt.archive_time_budget else None,
                since=since,
            )
        except SourceForgotten:
            status.show(plain(messages.forgotten_while_indexing(escape(archive.repo))))
            return
        except InputError as exc:  # over the definitions limit: refused, nothing written
            status.show(plain(messages.archive_refused(shown, escape(str(exc)))))
            return
        rendered = render_repository_report(
            report,
            repo=archive.repo,
            permalink=template.permalink,
            skipped=[(s.path, s.reason) for s in archive.skipped],
            duplicates=[(d.path, d.copies) for d in archive.duplicates],
            workspace_wide=where.workspace_wide,
            shared_outside=where.shared,
        )
        status.show(rendered.message)
        status.upload(rendered.upload)
        outcome[0] = not report.unfinished


def forget_deleted_file(rt: Runtime, *, team: str, event: Mapping[str, Any]) -> None:
    """A shared file was deleted in Slack: its code must stop answering questions.

    Nothing is posted: the file's message and thread went with it. A store outage is
    logged with a correlation id; Slack does not resend an event that was acked.
    """
    file_id = str(event.get("file_id") or "")
    if not rt.dedupe.claim(("forget", team, file_id)):
        return
    try:
        gone = rt.engine.forget_file(team, file_id)
    except GencodeError:
        logger.exception("could not forget deleted file %s [%s]", file_id, correlation_id())
        return
    logger.info("deleted file %s: forgot %d functions (team=%s)", file_id, len(gone), team)
