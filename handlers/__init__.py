"""Gencode's Slack listeners, on top of :mod:`rag`'s public API only.

:func:`register` attaches every listener to a Bolt app. Each one acks at once and does
its work in a lazy listener, so ``serve``, Socket Mode and Lambda behave alike.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.web import WebClient

from . import ask, feedback, files, manage, messages
from .runtime import Runtime, bot_in_thread, is_from_bot, mentions_bot

__all__ = ["Runtime", "register"]

logger = logging.getLogger(__name__)


def _wants(event: dict[str, Any], context: dict[str, Any], rt: Runtime, team: str) -> str:
    """Which work a ``message`` event needs: ``index``, ``ask``, ``edit`` or ``""`` (none).

    Cheap checks only (no Slack API calls, one store lookup for thread replies): this runs
    before the 3-second ack.
    """
    subtype = event.get("subtype")
    bot = context.get("bot_user_id")
    if subtype == "message_changed":
        msg = event.get("message") or {}
        before = event.get("previous_message") or {}
        if is_from_bot(msg, context) or msg.get("text") == before.get("text"):
            return ""  # unfurls and our own chat.update calls
        in_thread = msg.get("thread_ts") and msg.get("thread_ts") != msg.get("ts")
        return "edit" if in_thread or event.get("channel_type") == "im" else ""
    if is_from_bot(event, context):
        return ""
    if subtype == "file_share":
        return "index"
    if subtype not in (None, "thread_broadcast"):
        return ""  # deletions, joins, topic changes…: nothing to do, nothing indexed is lost
    if mentions_bot(str(event.get("text", "")), bot):
        return ""  # app_mention answers it
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != event.get("ts"):
        known = rt.knows_thread(team, str(event.get("channel", "")), str(thread_ts))
        return "ask" if known else ""
    return "ask" if event.get("channel_type") == "im" else ""


def register(app: App, rt: Runtime) -> None:
    ask.register(app, rt)
    feedback.register(app, rt)
    manage.register(app, rt)

    def ack_only(ack: Ack) -> None:
        ack()

    def wants_work(body: dict[str, Any], context: dict[str, Any]) -> bool:
        return bool(_wants(body.get("event") or {}, context, rt, str(body.get("team_id", ""))))

    def handle_message(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        event = body.get("event") or {}
        team = str(body.get("team_id", ""))
        work = _wants(event, context, rt, team)
        if work == "index":
            files.index_shared_files(rt, client, team=team, event=event, context=context)
        elif work == "ask":
            ask.answer_event(rt, client, team=team, event=event, context=context)
        elif work == "edit":
            _edited(client, event, context)

    def _edited(client: WebClient, event: dict[str, Any], context: dict[str, Any]) -> None:
        msg = event.get("message") or {}
        channel = str(event.get("channel", ""))
        thread_ts = str(msg.get("thread_ts") or msg.get("ts") or "")
        if not rt.dedupe.claim(("edit", channel, msg.get("ts"), msg.get("text"))):
            return
        ours = bot_in_thread(rt, client, channel=channel, thread_ts=thread_ts, context=context)
        if ours and msg.get("user"):
            client.chat_postEphemeral(
                channel=channel,
                user=str(msg["user"]),
                thread_ts=thread_ts,
                text=messages.edit_not_reanswered(),
            )

    app.event("message", matchers=[wants_work])(ack=ack_only, lazy=[handle_message])
    # Every other message subtype, and file_shared (the message event carries the same
    # upload): ack, so that Slack does not retry an unhandled event.
    app.event("message")(ack_only)
    app.event("file_shared")(ack_only)

    def forget(body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        files.forget_deleted_file(rt, team=str(body.get("team_id", "")), event=event)

    app.event("file_deleted")(ack=ack_only, lazy=[forget])

    def ignore(ack: Ack, body: dict[str, Any]) -> None:
        logger.debug(
            "ignored event %s of type %s (team=%s)",
            body.get("event_id"),
            (body.get("event") or {}).get("type"),
            body.get("team_id"),
        )
        ack()

    # Last, so that it only catches what nothing above handles: an event type the app is
    # subscribed to (or will be) but does not use. Bolt would answer 404 and Slack retry it.
    app.event(re.compile(r".*"))(ignore)

    # The same for a click Gencode has no listener for (a link button also sends one):
    # without an ack, Slack shows the clicker a warning triangle.
    app.action(re.compile(r".*"))(ack_only)

    def unknown_command(ack: Ack, command: dict[str, Any]) -> None:
        logger.debug("ignored command %s (team=%s)", command.get("command"), command.get("team_id"))
        ack(response_type="ephemeral", text=messages.unknown_command(str(command.get("command"))))

    app.command(re.compile(r".*"))(unknown_command)
