"""Questions: ``/gencode``, ``@Gencode`` and replies in Gencode's threads.

Every entry acks at once (Slack wants an answer within 3 s) and answers in a lazy
listener, on ``serve`` and on Lambda alike: a placeholder goes into the thread, is updated
in place while the answer streams (at most once per ``Runtime.update_interval``), and is
finally replaced by the rendered answer, its references and 👍/👎 buttons.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import InputError, NothingIndexedError, Turn, is_korean

from . import manage, messages, repos
from .pool import PoolFull
from .render import (
    Rendered,
    SlackMessage,
    escape,
    feedback_value,
    plain,
    render_answer,
    streaming_text,
)
from .runtime import (
    ANSWER_EVENT,
    NOTICE_EVENT,
    QUESTION_EVENT,
    Clock,
    Runtime,
    correlation_id,
    map_payload,
    metadata,
    question_text,
    read_thread,
    upload_snippet,
)

logger = logging.getLogger(__name__)


class StreamUpdater:
    """Collects streamed text and pushes it to Slack at most once per ``interval`` seconds.

    Works for a generator that calls ``on_text`` once (extractive) or hundreds of times
    (a model): updates happen on arrival, never on a timer thread, so nothing outlives
    the answer. A failed update is logged and skipped; the final update still happens.
    """

    def __init__(
        self, push: Callable[[str], object], *, interval: float, clock: Clock, started: float
    ) -> None:
        self.push = push
        self.interval = interval
        self.clock = clock
        self.last = started
        self.text = ""
        self.updates = 0

    def feed(self, piece: str) -> None:
        self.text += piece
        now = self.clock()
        if now - self.last < self.interval:
            return
        self.last = now
        try:
            self.push(streaming_text(self.text))
            self.updates += 1
        except SlackApiError as exc:
            logger.warning("could not update the streaming answer: %s", exc.response.get("error"))

    def restart(self, notice: str) -> None:
        """The answer failed its checks and a repaired one will stream: start over, and
        say so at once rather than leave the failed draft up."""
        self.text = ""
        self.last = self.clock()
        try:
            self.push(notice)
            self.updates += 1
        except SlackApiError as exc:
            logger.warning("could not show the repair notice: %s", exc.response.get("error"))


def _post(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    message: SlackMessage,
    meta: dict[str, Any] | None = None,
) -> str:
    kwargs: dict[str, Any] = {"channel": channel, "thread_ts": thread_ts, "text": message.text}
    if message.blocks:
        kwargs["blocks"] = list(message.blocks)
    if meta:
        kwargs["metadata"] = meta
    return str(client.chat_postMessage(**kwargs)["ts"])


def _update(
    client: WebClient,
    *,
    channel: str,
    ts: str,
    message: SlackMessage,
    meta: dict[str, Any] | None = None,
) -> None:
    kwargs: dict[str, Any] = {
        "channel": channel,
        "ts": ts,
        "text": message.text,
        "blocks": list(message.blocks),
    }
    if meta:
        kwargs["metadata"] = meta
    client.chat_update(**kwargs)


def answer_in_thread(
    rt: Runtime,
    client: WebClient,
    *,
    team: str,
    channel: str,
    thread_ts: str,
    question: str,
    user: str,
    history: Sequence[Turn] = (),
    notes: Sequence[str] = (),
) -> None:
    """Answer in the thread: at once on Lambda, else in turn on :attr:`Runtime.answers`.

    Returns as soon as the answer is queued, so the lazy listener's thread is free again.
    The placeholder goes up before the answer starts and says when it has to wait for
    others. A full queue is told in the thread too. Never raises.
    """
    answer = partial(
        _answer,
        rt,
        client,
        team=team,
        channel=channel,
        thread_ts=thread_ts,
        question=question,
        user=user,
        history=history,
        notes=notes,
    )
    if rt.answers is None:
        answer()
        return
    korean = is_korean(question)
    posted = threading.Event()
    placeholder: list[str | None] = [None]
    ahead: int | None = None

    def job() -> None:
        posted.wait()
        answer(placeholder=placeholder[0], was_queued=ahead is not None)

    try:
        ahead = rt.answers.submit(job)
    except PoolFull as full:
        logger.warning(
            "answer refused, %d waiting: team=%s channel=%s thread=%s",
            full.waiting,
            team,
            channel,
            thread_ts,
        )
        _safely(
            lambda t: _post(client, channel=channel, thread_ts=thread_ts, message=plain(t)),
            messages.answers_busy(korean=korean),
            team,
            channel,
            thread_ts,
        )
        return
    try:
        if ahead is not None:
            logger.info(
                "answer queued behind %d: team=%s channel=%s thread=%s",
                ahead,
                team,
                channel,
                thread_ts,
            )
        text = (
            messages.PLACEHOLDER if ahead is None else messages.answer_queued(ahead, korean=korean)
        )
        placeholder[0] = _post(
            client,
            channel=channel,
            thread_ts=thread_ts,
            message=SlackMessage(text=text),
            meta=metadata(ANSWER_EVENT, answer="", question=question[:1500]),
        )
    except Exception:  # the job posts (or apologises) itself
        logger.warning("could not post the placeholder in %s/%s", channel, thread_ts, exc_info=True)
    finally:
        posted.set()


def _answer(
    rt: Runtime,
    client: WebClient,
    *,
    team: str,
    channel: str,
    thread_ts: str,
    question: str,
    user: str,
    history: Sequence[Turn] = (),
    notes: Sequence[str] = (),
    placeholder: str | None = None,
    was_queued: bool = False,
) -> None:
    """Post a placeholder in the thread (unless given), stream the answer into it, then
    render it fully. Never raises: failures end as a short apology with a correlation id."""
    meta = metadata(ANSWER_EVENT, answer="", question=question[:1500])

    def say(text: str) -> None:
        msg = plain(text)
        if placeholder:
            try:
                # Not an answer: keep it out of the history of later follow-ups.
                _update(
                    client,
                    channel=channel,
                    ts=placeholder,
                    message=msg,
                    meta=metadata(NOTICE_EVENT),
                )
                return
            except SlackApiError as exc:
                logger.warning("could not update %s: %s", placeholder, exc.response.get("error"))
        _post(
            client, channel=channel, thread_ts=thread_ts, message=msg, meta=metadata(NOTICE_EVENT)
        )

    try:
        if placeholder is None:
            placeholder = _post(
                client,
                channel=channel,
                thread_ts=thread_ts,
                message=SlackMessage(text=messages.PLACEHOLDER),
                meta=meta,
            )
        elif was_queued:  # its turn now: the queued notice would read as stuck
            try:
                client.chat_update(channel=channel, ts=placeholder, text=messages.PLACEHOLDER)
            except SlackApiError as exc:
                logger.warning("could not update %s: %s", placeholder, exc.response.get("error"))
        rt.remember_thread(team, channel, thread_ts)
        meta = metadata(ANSWER_EVENT, answer=placeholder, question=question[:1500])
        ts = placeholder
        updater = StreamUpdater(
            lambda text: client.chat_update(channel=channel, ts=ts, text=text),
            interval=rt.update_interval,
            clock=rt.clock,
            started=rt.clock(),
        )
        korean = is_korean(question)
        # Slack Connect (or unknown), or a guest's DM: the team's code stays out.
        reach = rt.question_scope(client, team=team, channel=channel, user=user)
        scope = reach.scope
        if reach.cut == "conversation" and reach.error:
            notes = [*notes, messages.answered_from_this_conversation_only(reach.error)]
        elif reach.cut == "guest":
            notes = [*notes, messages.answered_for_a_guest(reach.error, korean)]
        answer = rt.engine.ask(
            question,
            scope,
            history=history,
            on_text=updater.feed,
            on_restart=lambda: updater.restart(
                messages.REPAIRING_KO if korean else messages.REPAIRING
            ),
        )
        verdict = answer.verification.verdict if answer.verification else ""
        meta = metadata(
            ANSWER_EVENT, answer=placeholder, question=question[:1500], **map_payload(answer)
        )
        rendered = render_answer(
            answer,
            feedback=feedback_value(
                question, placeholder, [h.chunk.id for h in answer.references], verdict
            ),
            notes=notes,
            korean=korean,
        )
        _deliver(
            client,
            channel=channel,
            thread_ts=thread_ts,
            ts=placeholder,
            rendered=rendered,
            meta=meta,
        )
        logger.info(
            "answered in team=%s channel=%s thread=%s: %d refs, %d stream updates, %d messages",
            team,
            channel,
            thread_ts,
            len(answer.references),
            updater.updates,
            len(rendered.messages),
        )
    except InputError:
        _safely(say, messages.empty_question(), team, channel, thread_ts)
    except NothingIndexedError:  # with the notes: why this conversation sees so little
        told = "\n\n".join([messages.nothing_indexed(is_korean(question)), *notes])
        _safely(say, told, team, channel, thread_ts)
    except Exception:
        cid = correlation_id()
        logger.exception(
            "answer failed [%s] team=%s channel=%s thread=%s", cid, team, channel, thread_ts
        )
        _safely(say, messages.apology(cid), team, channel, thread_ts)


def _deliver(
    client: WebClient,
    *,
    channel: str,
    thread_ts: str,
    ts: str,
    rendered: Rendered,
    meta: dict[str, Any],
) -> None:
    first, *rest = rendered.messages
    _update(client, channel=channel, ts=ts, message=first, meta=meta)
    for message in rest:
        _post(client, channel=channel, thread_ts=thread_ts, message=message, meta=meta)
    for upload in rendered.uploads:
        upload_snippet(client, channel=channel, thread_ts=thread_ts, upload=upload)


def _safely(say: Callable[[str], object], text: str, team: str, channel: str, thread: str) -> None:
    try:
        say(text)
    except Exception:  # Slack itself is failing; the log is all that is left
        logger.exception("could not tell team=%s channel=%s thread=%s", team, channel, thread)


# -- listeners --------------------------------------------------------------------------------


def answer_event(
    rt: Runtime,
    client: WebClient,
    *,
    team: str,
    event: Mapping[str, Any],
    context: Mapping[str, Any],
) -> None:
    """Answer a mention or a thread reply, with the thread as the conversation so far."""
    channel = str(event["channel"])
    ts = str(event["ts"])
    thread_ts = str(event.get("thread_ts") or ts)
    if not rt.dedupe.claim(("ask", team, channel, ts)):
        return  # the same message also arrived as another event type, or again
    question = question_text(str(event.get("text", "")), context.get("bot_user_id"))
    history: tuple[Turn, ...] = ()
    notes: list[str] = []
    if thread_ts != ts:
        try:
            view = read_thread(
                rt, client, channel=channel, thread_ts=thread_ts, before_ts=ts, context=context
            )
        except Exception:
            cid = correlation_id()
            logger.exception(
                "reading thread failed [%s] channel=%s thread=%s", cid, channel, thread_ts
            )
            _safely(
                lambda t: _post(client, channel=channel, thread_ts=thread_ts, message=plain(t)),
                messages.apology(cid),
                team,
                channel,
                thread_ts,
            )
            return
        if (
            not view.bot_present
            and event.get("channel_type") != "im"
            and not _mentioned(event, context)
        ):
            return  # not our thread: stay out of it
        history = view.turns
        if view.trimmed:
            notes.append(messages.thread_trimmed(len(view.turns), view.messages))
    if not question:
        _safely(
            lambda t: _post(client, channel=channel, thread_ts=thread_ts, message=plain(t)),
            messages.empty_question(),
            team,
            channel,
            thread_ts,
        )
        return
    answer_in_thread(
        rt,
        client,
        team=team,
        channel=channel,
        thread_ts=thread_ts,
        question=question,
        user=str(event.get("user") or ""),
        history=history,
        notes=notes,
    )


def _mentioned(event: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    bot = context.get("bot_user_id")
    return bool(bot) and f"<@{bot}" in str(event.get("text", ""))


def register(app: App, rt: Runtime) -> None:
    def ack_command(ack: Ack, command: dict[str, Any]) -> None:
        parsed = manage.parse(command.get("text", ""))
        if parsed.verb == "help":
            ack(response_type="ephemeral", text=messages.usage(parsed.korean))
        elif parsed.verb == "repo":  # checked against the host policy: no connection
            ack(response_type="ephemeral", text=repos.ack_text(rt, parsed.argument, parsed.korean))
        else:
            ack()

    def answer_command(command: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command.get("text", "").strip()
        parsed = manage.parse(text)
        if parsed.verb == "help":
            return
        if parsed.verb:
            manage.run(rt, client, respond, command, parsed)
            return
        team, channel, user = command["team_id"], command["channel_id"], command["user_id"]
        question = question_text(text, None)
        try:
            echo = client.chat_postMessage(
                channel=channel,
                text=messages.echo_request(user, escape(question)),
                metadata=metadata(QUESTION_EVENT, question=question[:1500]),
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in ("not_in_channel", "channel_not_found", "is_archived"):
                respond(text=messages.not_in_channel(), response_type="ephemeral")
                return
            cid = correlation_id()
            logger.exception("echo failed [%s] team=%s channel=%s", cid, team, channel)
            respond(text=messages.apology(cid), response_type="ephemeral")
            return
        answer_in_thread(
            rt,
            client,
            team=team,
            channel=channel,
            thread_ts=str(echo["ts"]),
            question=question,
            user=user,
        )

    def ack_event(ack: Ack) -> None:
        ack()

    def answer_mention(
        body: dict[str, Any], event: dict[str, Any], client: WebClient, context: dict[str, Any]
    ) -> None:
        if event.get("bot_id") or event.get("subtype") == "bot_message":
            return
        has_files = bool(event.get("files"))
        if has_files and not question_text(str(event.get("text", "")), context.get("bot_user_id")):
            return  # a file shared with a mention: indexing answers it
        answer_event(rt, client, team=str(body.get("team_id", "")), event=event, context=context)

    app.command("/gencode")(ack=ack_command, lazy=[answer_command])
    app.event("app_mention")(ack=ack_event, lazy=[answer_mention])
