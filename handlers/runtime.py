"""What every listener shares: the engine, the bot token for downloads, dedupe, knobs.

Listeners are plain functions of Bolt's arguments (``ack``, ``body``, ``client``,
``context``); :class:`Runtime` is the one object they close over. It is built once by
``bot.app.build_app``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from rag import Answer, ArchiveLimits, Engine, GencodeError, Scope, Turn

if TYPE_CHECKING:
    from rag import GitSync

from .conversations import Asker, Conversation, ConversationCache, MemberCache
from .download import DownloadError, download
from .inflight import InFlight
from .pool import AnswerPool
from .render import Upload, escape, unescape

logger = logging.getLogger(__name__)

Clock = Callable[[], float]


class Deduper:
    """Remembers keys for ``ttl`` seconds; :meth:`claim` is true only the first time.

    Slack retries events (``X-Slack-Retry-Num``) even after a fast ack, sends one upload
    as two events, and a mention in a thread as two more. Claims keep each piece of
    work to one run per process. On Lambda, each warm container has its own memory, so a
    retry that lands on another container is stopped by the semantic keys only there.
    """

    def __init__(
        self,
        *,
        ttl: float = 3600.0,
        max_keys: int = 50_000,
        clock: Clock = time.monotonic,
        shared: Callable[[str], bool] | None = None,
    ):
        self.ttl = ttl
        self.max_keys = max_keys
        self.clock = clock
        self.shared = shared
        """A claim in the shared store (``Engine.claim_once``): stops a retry that reaches
        another process or Lambda container, which this process's memory cannot see."""
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, key: Hashable) -> bool:
        now = self.clock()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at < self.ttl and len(self._seen) < self.max_keys:
                    break
                self._seen.pop(oldest)
            if key in self._seen:
                return False
            self._seen[key] = now
        if self.shared is None:
            return True
        try:
            return self.shared("\x1f".join(map(str, key if isinstance(key, tuple) else (key,))))
        except GencodeError:
            logger.warning("shared dedupe unavailable; relying on this process's memory")
            return True


def correlation_id() -> str:
    """Short id shown to the user in an apology and logged with the stack trace."""
    return uuid.uuid4().hex[:10]


@dataclass(frozen=True)
class Reach:
    """What a question may draw on, and why it was cut to its conversation's own code."""

    scope: Scope
    cut: Literal["", "conversation", "guest"] = ""
    """``conversation``: shared beyond this workspace, or it could not be looked up;
    ``guest``: a DM with someone who is not a full member of this workspace."""
    error: str = ""
    """The Slack error that made the lookup fail (the cut then fails closed)."""


@dataclass
class Runtime:
    engine: Engine
    token: str = field(repr=False)
    """The bot token, sent only to Slack's hosts when downloading shared files."""
    api_url: str = ""
    """``SLACK_API_URL`` when set: its origin counts as Slack for downloads."""
    dedupe: Deduper = field(default_factory=Deduper)
    update_interval: float = 1.0
    """Seconds between in-place updates of a streaming answer or an indexing progress line."""
    history_turns: int = 3
    thread_page_size: int = 200
    thread_max_pages: int = 5
    history_chars: int = 4000
    clock: Clock = time.monotonic
    thread_memory: float = 90 * 86_400.0
    """How long a thread Gencode posted in keeps being answered (seconds since the last post)."""
    conversations: ConversationCache = field(default_factory=ConversationCache)
    """``conversations.info`` answers, kept a minute: is a channel shared outside the team?"""
    members: MemberCache = field(default_factory=MemberCache)
    """``users.info`` answers, kept a minute: is the asker a full member or a guest?"""
    archive_limits: ArchiveLimits = field(default_factory=ArchiveLimits)
    archive_download_bytes: int = 50_000_000
    archive_time_budget: float = 0.0
    """Seconds one archive may take (0: no limit); see ``GENCODE_ARCHIVE_TIME_BUDGET``."""
    archive_update_interval: float = 3.0
    """Seconds between progress updates of an archive's thread message."""

    answers: AnswerPool | None = None
    """Where answers wait their turn (``serve``, Socket Mode). ``None`` answers inline: on
    Lambda each lazy invocation is its own request, and nothing may run past its return."""
    indexing: AnswerPool | None = None
    """Where shares wait their turn to be indexed (``serve``, Socket Mode), apart from the
    answers; ``None`` indexes inline (Lambda)."""
    inflight: InFlight | None = None
    """Shares being indexed, noted in the store; a killed process's are marked interrupted."""

    git: GitSync | None = None
    """Repositories kept in sync from git (``/gencode repo add``); None: not offered."""
    git_later: Callable[[str, int], None] | None = None
    """Run a repository's sync again in the background (an unfinished first index goes
    on): ``serve`` submits it to a pool, Lambda invokes itself."""

    def conversation(self, client: Any, *, team: str, channel: str) -> Conversation:
        """Kind and sharing of ``channel`` (see :mod:`handlers.conversations`); never raises
        for a Slack error: a failed lookup comes back with ``error`` set, and fails closed."""
        return self.conversations.lookup(client, team=team, channel=channel, now=self.clock())

    def asker(self, client: Any, *, team: str, user: str) -> Asker:
        """Whether ``user`` is a full member of ``team``; never raises: a failed lookup
        comes back with ``error`` set, as a guest (fail closed)."""
        return self.members.lookup(client, team=team, user=user, now=self.clock())

    def question_scope(self, client: Any, *, team: str, channel: str, user: str) -> Reach:
        """What ``user``'s question in ``channel`` may draw on: the conversation's own code,
        and the workspace-wide code too when the conversation is of this workspace alone
        and, for a DM, the asker is a full member (see :mod:`handlers.conversations`).
        Only a DM costs a ``users.info``."""
        where = self.conversation(client, team=team, channel=channel)
        if not where.sees_workspace_code:
            return Reach(Scope.only(team, channel), cut="conversation", error=where.error)
        if where.kind == "DM":
            asker = self.asker(client, team=team, user=user)
            if not asker.member:
                return Reach(Scope.only(team, channel), cut="guest", error=asker.error)
        return Reach(Scope.of(team, channel))

    def download(self, file: Mapping[str, Any], *, max_bytes: int, timeout: float = 30.0) -> bytes:
        """A file's bytes from its ``url_private_download``, the token going to Slack only."""
        return download(
            str(file.get("url_private_download") or ""),
            token=self.token,
            api_url=self.api_url,
            max_bytes=max_bytes,
            timeout=timeout,
        )

    @staticmethod
    def _thread_key(team: str, channel: str, thread_ts: str) -> str:
        return f"thread\x1f{team}\x1f{channel}\x1f{thread_ts}"

    def remember_thread(self, team: str, channel: str, thread_ts: str) -> None:
        """Note, in the shared store, a thread Gencode posted in: replies there are for us."""
        try:
            self.engine.remember(self._thread_key(team, channel, thread_ts), ttl=self.thread_memory)
        except GencodeError:
            logger.warning("could not note thread %s/%s as ours", channel, thread_ts, exc_info=True)

    def knows_thread(self, team: str, channel: str, thread_ts: str) -> bool:
        """Whether Gencode posted in this thread. Checked before the ack, so that a reply in
        anyone else's thread costs no API call, no lazy invocation and never an apology."""
        try:
            return self.engine.remembers(self._thread_key(team, channel, thread_ts))
        except GencodeError:
            logger.warning("could not look up thread %s/%s; reading it", channel, thread_ts)
            return True


# -- small event helpers ---------------------------------------------------------------------


def upload_snippet(client: Any, *, channel: str, thread_ts: str, upload: Upload) -> None:
    """Post ``upload`` as a file snippet in the thread (long code, long function lists)."""
    client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        content=upload.content,
        filename=upload.filename,
        title=upload.title,
        snippet_type=upload.snippet_type,
    )


def is_from_bot(event: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    """True for messages written by any bot, this one included."""
    return bool(
        event.get("bot_id")
        or event.get("subtype") == "bot_message"
        or (event.get("user") and event.get("user") == context.get("bot_user_id"))
    )


def mentions_bot(text: str, bot_user_id: str | None) -> bool:
    return bool(bot_user_id) and f"<@{bot_user_id}" in text


def strip_mentions(text: str, bot_user_id: str | None) -> str:
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split()) if "\n" not in text else text.strip()


def question_text(text: str, bot_user_id: str | None) -> str:
    """What a person typed, as plain text: mentions of the bot removed, entities decoded."""
    text = strip_mentions(text, bot_user_id)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2 (\1)", text)
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return unescape(text).strip()


# -- threads ----------------------------------------------------------------------------------

ANSWER_EVENT = "gencode_answer"
QUESTION_EVENT = "gencode_question"
INDEX_EVENT = "gencode_index"
NOTICE_EVENT = "gencode_notice"


def metadata(event_type: str, **payload: str) -> dict[str, Any]:
    return {"event_type": event_type, "event_payload": payload}


MAX_MAP_KEYS = 24
"""Code map entries an answer's metadata remembers for follow-ups (about 1 KB)."""


def map_payload(answer: Answer) -> dict[str, str]:
    """``{"map": "kind:id kind:id …"}``: the code map the answer's model saw, in rank
    order, for a follow-up in the thread to start from; empty when there was none."""
    keys = [e.key for e in answer.code_map[:MAX_MAP_KEYS]]
    return {"map": " ".join(keys)} if keys else {}


def map_keys_of(payload: Mapping[str, Any]) -> tuple[str, ...]:
    """The keys :func:`map_payload` wrote; anything malformed is ignored."""
    raw = payload.get("map")
    if not isinstance(raw, str):
        return ()
    return tuple(k for k in raw.split()[:MAX_MAP_KEYS] if re.fullmatch(r"[a-z]+:[0-9a-f]{1,64}", k))


@dataclass(frozen=True)
class ThreadView:
    bot_present: bool
    turns: tuple[Turn, ...]
    messages: int
    trimmed: bool
    """True when older exchanges (or messages past the read limit) were left out."""


def _is_ours(message: Mapping[str, Any], context: Mapping[str, Any]) -> bool:
    return bool(
        (message.get("user") and message.get("user") == context.get("bot_user_id"))
        or (message.get("bot_id") and message.get("bot_id") == context.get("bot_id"))
    )


def _thread_messages(
    rt: Runtime, client: Any, *, channel: str, thread_ts: str
) -> tuple[list[Mapping[str, Any]], bool]:
    """The thread's messages via ``conversations.replies``, at most ``thread_max_pages``
    pages; and whether more were left unread."""
    msgs: list[Mapping[str, Any]] = []
    cursor = None
    more = False
    for _ in range(rt.thread_max_pages):
        kwargs: dict[str, Any] = {
            "channel": channel,
            "ts": thread_ts,
            "limit": rt.thread_page_size,
            "include_all_metadata": True,
        }
        if cursor:
            kwargs["cursor"] = cursor
        resp = client.conversations_replies(**kwargs)
        msgs.extend(resp.get("messages") or [])
        cursor = (resp.get("response_metadata") or {}).get("next_cursor")
        more = bool(resp.get("has_more")) and bool(cursor)
        if not more:
            break
    return msgs, more


def bot_in_thread(
    rt: Runtime, client: Any, *, channel: str, thread_ts: str, context: Mapping[str, Any]
) -> bool:
    """Whether Gencode posted in the thread: its messages only, no history, no snippets."""
    msgs, _ = _thread_messages(rt, client, channel=channel, thread_ts=thread_ts)
    return any(_is_ours(m, context) for m in msgs)


def read_thread(
    rt: Runtime,
    client: Any,
    *,
    channel: str,
    thread_ts: str,
    before_ts: str,
    context: Mapping[str, Any],
) -> ThreadView:
    """The thread's earlier exchanges, oldest first, via ``conversations.replies``.

    A question and its answer are recognised by the metadata our messages carry
    (``gencode_question`` on a ``/gencode`` echo, ``gencode_answer`` on answers), and a
    person's message followed by our answer. At most ``thread_max_pages`` pages are read.
    """
    msgs, more = _thread_messages(rt, client, channel=channel, thread_ts=thread_ts)
    bot_present = any(_is_ours(m, context) for m in msgs)
    earlier = [m for m in msgs if _ts(m) < _ts({"ts": before_ts})]
    # An answer's parts are its messages' text and, deferred, the snippets uploaded with it:
    # those are fetched only for the turns kept, not for every answer of a long thread.
    drafts: list[tuple[str, list[str | list[Mapping[str, Any]]], tuple[str, ...]]] = []
    question: str | None = None
    answer_parts: list[str | list[Mapping[str, Any]]] = []
    answer_id: str | None = None
    answer_map: tuple[str, ...] = ()

    def close() -> None:
        nonlocal question, answer_parts, answer_id, answer_map
        if question is not None and answer_parts:
            drafts.append((question, answer_parts, answer_map))
            question = None
        answer_parts, answer_id, answer_map = [], None, ()

    bot_user = context.get("bot_user_id")
    for m in earlier:
        meta = m.get("metadata") or {}
        kind = meta.get("event_type")
        payload = meta.get("event_payload") or {}
        if _is_ours(m, context):
            if kind == QUESTION_EVENT:
                close()
                question = str(payload.get("question", ""))
            elif kind == ANSWER_EVENT:
                if answer_id is not None and payload.get("answer") != answer_id:
                    close()
                answer_id = str(payload.get("answer", ""))
                answer_map = answer_map or map_keys_of(payload)
                if question is None and payload.get("question"):
                    question = str(payload["question"])
                answer_parts.append(str(m.get("text", "")))
            elif answer_id is not None and m.get("files"):
                answer_parts.append(list(m["files"]))  # long code, uploaded with the answer
            continue
        if m.get("bot_id") or m.get("subtype") == "bot_message":
            continue  # other bots never steer the conversation
        close()
        text = question_text(str(m.get("text", "")), bot_user)
        if text:
            question = text
    close()
    turns = tuple(
        Turn(
            question=asked[: rt.history_chars],
            answer=unescape(
                "\n".join(
                    part if isinstance(part, str) else "\n".join(_snippets(rt, part))
                    for part in parts
                )
            )[: rt.history_chars],
            code_map=keys,
        )
        for asked, parts, keys in drafts[-rt.history_turns :]
    )
    return ThreadView(
        bot_present=bot_present,
        turns=turns,
        messages=len(msgs),
        trimmed=more or len(drafts) > rt.history_turns,
    )


SNIPPET_MAX_BYTES = 200_000


def _snippets(rt: Runtime, files: Sequence[Mapping[str, Any]]) -> list[str]:
    """Code that went up as snippets with an answer, fenced, for the follow-up's history.

    Without it a follow-up ("now make it async") would not see the code it refers to
    whenever that code was too long for a message. Best effort: a snippet that cannot be
    fetched is left out and logged; the answer's text still goes in.
    """
    out = []
    for f in files:
        if f.get("filetype") not in ("python", "text"):
            continue
        try:
            data = rt.download(f, max_bytes=SNIPPET_MAX_BYTES, timeout=10.0)
        except DownloadError as exc:
            logger.warning("snippet %s left out of the thread history: %s", f.get("id"), exc)
            continue
        language = "python" if f.get("filetype") == "python" else ""
        code = data.decode("utf-8", errors="replace").rstrip()
        out.append(escape(f"```{language}\n{code}\n```"))
    return out


def _ts(message: Mapping[str, Any]) -> tuple[int, int]:
    raw = str(message.get("ts", "0"))
    sec, _, frac = raw.partition(".")
    return int(sec or 0), int(frac or 0)
