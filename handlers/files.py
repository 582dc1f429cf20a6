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
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import (
    WORKSPACE_WIDE,
    ArchiveError,
    FileReport,
    GencodeError,
    Source,
    is_archive,
    read_archive,
)

from . import messages
from .conversations import KINDS, Conversation
from .download import DownloadError
from .render import (
    SlackMessage,
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
    return name.endswith((".py", ".ipynb")) or (not name and file.get("filetype") == "python")


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
        name = str(file.get("name") or file.get("title") or file_id)
        if is_archive(name):
            _index_archive(
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
            )
            continue
        if not is_python(file):
            if is_direct():
                _say(client, channel, thread_ts, messages.not_python(escape(name)))
            else:
                logger.info("ignored non-Python file %s in %s", file_id, channel)
            continue
        _index_one(
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
        )


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


def _index_one(
    rt: Runtime,
    client: WebClient,
    *,
    team: str,
    channel: str,
    ts: str,
    thread_ts: str,
    user: str,
    file: Mapping[str, Any],
    name: str,
    channel_type: str | None,
) -> None:
    file_id = str(file.get("id", ""))
    shown = escape(name)
    _react(client, channel=channel, ts=ts, name="eyes")
    progress = _say(client, channel, thread_ts, messages.indexing_started(shown))
    if progress is not None:
        rt.remember_thread(team, channel, thread_ts)

    def show(message: SlackMessage) -> None:
        if progress:
            client.chat_update(
                channel=channel,
                ts=progress,
                text=message.text,
                blocks=list(message.blocks),
                metadata=metadata(INDEX_EVENT, file=file_id),
            )
        else:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=message.text, blocks=list(message.blocks)
            )

    last = rt.clock()

    def on_progress(stage: str, done: int, total: int) -> None:
        nonlocal last
        now = rt.clock()
        if now - last < rt.update_interval or done >= total:
            return
        last = now
        try:
            show(plain(messages.indexing_progress(shown, stage, done, total)))
        except SlackApiError as exc:
            logger.info("progress update failed: %s", exc.response.get("error"))

    ok = False
    try:
        size = int(file.get("size") or 0)
        limit = rt.engine.max_file_bytes
        if size > limit:
            show(plain(messages.index_refused(shown, messages.too_big(name, size, limit))))
            return
        try:
            data = rt.download(file, max_bytes=limit)
        except DownloadError as exc:
            logger.info("download of %s failed: %s", file_id, exc)
            show(plain(messages.index_refused(shown, escape(messages.download_failed(str(exc))))))
            return
        where = _where(rt, client, team=team, channel=channel, channel_type=channel_type)
        public = where.workspace_wide
        source = Source(
            path=name,
            workspace=team,
            scope=WORKSPACE_WIDE if public else channel,
            file_id=file_id,
            permalink=str(file.get("permalink") or ""),
            channel=channel,
            channel_kind=where.kind,
            indexed_by=user,
        )
        report = rt.engine.index_bytes(data, source, on_progress=on_progress)
        if report.error:
            show(plain(messages.index_refused(shown, escape(_reason(report.error, name)))))
            return
        if report.skipped:
            show(plain(messages.index_skipped(shown, escape(report.skipped))))
            ok = True
            return
        rendered = render_index_report(
            report,
            filename=name,
            permalink=source.permalink,
            workspace_wide=public,
            shared_outside=where.shared,
        )
        show(rendered.message)
        if rendered.upload is not None:
            upload_snippet(client, channel=channel, thread_ts=thread_ts, upload=rendered.upload)
        ok = True
    except Exception:
        cid = correlation_id()
        logger.exception(
            "indexing failed [%s] team=%s channel=%s file=%s", cid, team, channel, file_id
        )
        try:
            show(plain(messages.apology(cid)))
        except Exception:  # updating failed too: a new message may still get through
            if _say(client, channel, thread_ts, messages.apology(cid)) is None:
                logger.error("could not report failure [%s] to the thread", cid)
    finally:
        _react(client, channel=channel, ts=ts, name="eyes", add=False)
        _react(client, channel=channel, ts=ts, name="white_check_mark" if ok else "x")


def _where(
    rt: Runtime, client: WebClient, *, team: str, channel: str, channel_type: str | None
) -> Conversation:
    if channel_type in KINDS and channel_type != "channel":
        return Conversation(channel, KINDS[channel_type])  # stays here whatever else
    # a Slack Connect channel arrives as "channel": only the lookup can tell
    return rt.conversation(client, team=team, channel=channel)


def _index_archive(
    rt: Runtime,
    client: WebClient,
    *,
    team: str,
    channel: str,
    ts: str,
    thread_ts: str,
    user: str,
    file: Mapping[str, Any],
    name: str,
    channel_type: str | None,
) -> None:
    """A repository shared as an archive: read in memory, indexed file by file with a
    progress line updated every few seconds, then folded into one report."""
    file_id = str(file.get("id", ""))
    shown = escape(name)
    _react(client, channel=channel, ts=ts, name="eyes")
    progress = _say(client, channel, thread_ts, messages.archive_started(shown))
    if progress is not None:
        rt.remember_thread(team, channel, thread_ts)

    def show(message: SlackMessage) -> None:
        if progress:
            client.chat_update(
                channel=channel,
                ts=progress,
                text=message.text,
                blocks=list(message.blocks),
                metadata=metadata(INDEX_EVENT, file=file_id),
            )
        else:
            client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=message.text, blocks=list(message.blocks)
            )

    started = last = rt.clock()

    def on_file(done: int, total: int, report: FileReport) -> None:
        nonlocal last
        now = rt.clock()
        if now - last < rt.archive_update_interval or done >= total:
            return
        last = now
        try:
            show(plain(messages.archive_progress(shown, done, total)))
        except SlackApiError as exc:
            logger.info("progress update failed: %s", exc.response.get("error"))

    def out_of_time() -> bool:
        budget = rt.archive_time_budget
        return bool(budget) and rt.clock() - started > budget

    ok = False
    try:
        size = int(file.get("size") or 0)
        limit = rt.archive_download_bytes
        if size > limit:
            show(plain(messages.archive_refused(shown, messages.archive_too_big(size, limit))))
            return
        try:
            data = rt.download(file, max_bytes=limit, timeout=120.0)
        except DownloadError as exc:
            logger.info("download of %s failed: %s", file_id, exc)
            show(plain(messages.archive_refused(shown, escape(messages.download_failed(str(exc))))))
            return
        try:
            archive = read_archive(data, name, limits=rt.archive_limits)
        except ArchiveError as exc:
            logger.info("archive %s refused (team=%s channel=%s): %s", file_id, team, channel, exc)
            show(plain(messages.archive_refused(shown, escape(str(exc)))))
            return
        if not archive.files:
            show(plain(messages.archive_refused(shown, messages.archive_empty())))
            return
        where = _where(rt, client, team=team, channel=channel, channel_type=channel_type)
        template = Source(
            path="",
            workspace=team,
            scope=WORKSPACE_WIDE if where.workspace_wide else channel,
            file_id=file_id,
            permalink=str(file.get("permalink") or ""),
            channel=channel,
            channel_kind=where.kind,
            indexed_by=user,
            repo=archive.repo,
        )
        report = rt.engine.index_repository(
            [(f.path, f.data) for f in archive.files],
            template,
            on_file=on_file,
            out_of_time=out_of_time if rt.archive_time_budget else None,
        )
        rendered = render_repository_report(
            report,
            repo=archive.repo,
            permalink=template.permalink,
            skipped=[(s.path, s.reason) for s in archive.skipped],
            workspace_wide=where.workspace_wide,
            shared_outside=where.shared,
        )
        show(rendered.message)
        if rendered.upload is not None:
            upload_snippet(client, channel=channel, thread_ts=thread_ts, upload=rendered.upload)
        ok = not report.unfinished
    except Exception:
        cid = correlation_id()
        logger.exception(
            "indexing archive failed [%s] team=%s channel=%s file=%s", cid, team, channel, file_id
        )
        try:
            show(plain(messages.apology(cid)))
        except Exception:
            if _say(client, channel, thread_ts, messages.apology(cid)) is None:
                logger.error("could not report failure [%s] to the thread", cid)
    finally:
        _react(client, channel=channel, ts=ts, name="eyes", add=False)
        _react(client, channel=channel, ts=ts, name="white_check_mark" if ok else "x")


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
