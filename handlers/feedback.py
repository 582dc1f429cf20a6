"""👍/👎 under an answer: recorded with the question, the answer and its references.

The buttons carry the question, the answer's first message ``ts`` and the reference
chunk ids (see :func:`handlers.render.feedback_value`); the answer text is read back from
the thread, since a long answer spans several messages. The click is acknowledged
quietly: an ephemeral "thanks" that only the clicker sees.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.web import WebClient

from rag import Feedback

from . import messages
from .render import FEEDBACK_UP, unescape
from .runtime import Runtime, _is_ours, _ts, correlation_id

logger = logging.getLogger(__name__)

FEEDBACK_ACTION = re.compile(r"^gencode_feedback_(up|down)$")


def _answer_text(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    first: str,
    last: dict[str, Any],
    context: dict[str, Any],
) -> str:
    try:
        replies = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
        parts = [
            str(m.get("text", ""))
            for m in replies.get("messages") or []
            if _is_ours(m, context) and _ts({"ts": first}) <= _ts(m) <= _ts(last)
        ]
        if parts:
            return unescape("\n".join(parts))
    except Exception as exc:  # the clicked message alone is still worth recording
        logger.info("could not read the answer's thread: %s", exc)
    return unescape(str(last.get("text", "")))


def record_click(
    rt: Runtime, body: dict[str, Any], client: WebClient, context: dict[str, Any]
) -> None:
    action = body["actions"][0]
    channel = str((body.get("channel") or {}).get("id", ""))
    user = str((body.get("user") or {}).get("id", ""))
    team = str((body.get("team") or {}).get("id", "") or body.get("team_id", ""))
    message = body.get("message") or {}
    thread_ts = str(message.get("thread_ts") or message.get("ts") or "")
    try:
        value = json.loads(action.get("value") or "{}")
        answer = _answer_text(
            client,
            channel=channel,
            thread_ts=thread_ts,
            first=str(value.get("a") or message.get("ts", "")),
            last=message,
            context=context,
        )
        rt.engine.record_feedback(
            Feedback(
                workspace=team,
                conversation=channel,
                user=user,
                vote=1 if action.get("action_id") == FEEDBACK_UP else -1,
                question=str(value.get("q", "")),
                answer=answer,
                reference_ids=tuple(str(r) for r in value.get("r", [])),
                verdict=str(value.get("v", "")),
            )
        )
        text = messages.FEEDBACK_THANKS
    except Exception:
        cid = correlation_id()
        logger.exception("feedback failed [%s] team=%s channel=%s", cid, team, channel)
        text = messages.apology(cid)
    try:
        client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread_ts, text=text)
    except Exception as exc:
        logger.info("could not acknowledge feedback: %s", exc)


def register(app: App, rt: Runtime) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    def record(body: dict[str, Any], client: WebClient, context: dict[str, Any]) -> None:
        record_click(rt, body, client, context)

    app.action(FEEDBACK_ACTION)(ack=ack_click, lazy=[record])
