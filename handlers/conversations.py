"""What kind of conversation a file or a question comes from, and who else is in it.

Scope follows from it, both ways:

- code shared in a public channel of this workspace answers anywhere in the workspace;
  anywhere else it stays in its conversation;
- a question sees workspace-wide code only from a conversation of this workspace alone;
  in a DM with the bot, whose only reader is the asker, only when the asker is a full
  member: a guest (``is_restricted``, ``is_ultra_restricted``) cannot read the public
  channels that code was shared in. Elsewhere an answer's readers are the conversation's
  members, whoever asks, so the conversation decides.

A Slack Connect channel (shared with another organisation) looks like an ordinary public
channel in events (``channel_type: channel``), so the event alone cannot tell. Slack's
``conversations.info`` can: ``is_ext_shared`` (shared with another organisation),
``is_pending_ext_shared`` (an invitation is out: treated as shared already, since code
indexed now would otherwise be visible once it is accepted), ``is_org_shared`` (shared
with other workspaces of an Enterprise Grid org) and ``is_shared`` (shared in any of these
ways). Any of them makes the conversation *shared*: its code stays in it, and its
questions see only its own code, because nothing crosses workspaces. When the lookup fails,
the answer is the same (fail closed).

Lookups are cached per process for a short time (a channel can become shared at any
moment; a minute of staleness costs one API call a minute per busy channel).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)

T = TypeVar("T")

KINDS = {"channel": "public channel", "group": "private channel", "im": "DM", "mpim": "group DM"}
"""An event's ``channel_type`` → the kind recorded with the code shared there."""

SHARED_FLAGS = ("is_ext_shared", "is_pending_ext_shared", "is_org_shared", "is_shared")

SHARED_CHANNEL = "shared channel"
"""The kind of a public channel shared beyond this workspace (Slack Connect, Grid)."""


@dataclass(frozen=True)
class Conversation:
    """One conversation as far as scope is concerned."""

    id: str
    kind: str
    """``public channel``, ``private channel``, ``DM``, ``group DM``, ``shared channel``
    or ``unknown`` (the lookup failed)."""
    shared: bool = False
    """People from outside this workspace are in it, or are invited."""
    error: str = ""
    """Why ``conversations.info`` failed (then the conversation is treated as shared)."""

    @property
    def workspace_wide(self) -> bool:
        """Code shared here may answer anywhere in the workspace."""
        return self.kind == "public channel" and not self.shared and not self.error

    @property
    def sees_workspace_code(self) -> bool:
        """Questions asked here may draw on workspace-wide code."""
        return not self.shared and not self.error


def describe(channel: str, info: dict[str, Any]) -> Conversation:
    """A :class:`Conversation` from a ``conversations.info`` channel object."""
    shared = any(bool(info.get(flag)) for flag in SHARED_FLAGS)
    if info.get("is_im"):
        kind = "DM"
    elif info.get("is_mpim"):
        kind = "group DM"
    elif info.get("is_private") or info.get("is_group"):
        kind = "private channel"
    else:
        kind = SHARED_CHANNEL if shared else "public channel"
    return Conversation(channel, kind, shared=shared)


class _Recent(Generic[T]):
    """Answers from Slack kept for ``ttl`` seconds, per key (at most ``max_entries``: then
    all are dropped, which costs only lookups). Failures are never kept."""

    def __init__(self, *, ttl: float, max_entries: int) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[tuple[str, str], tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], now: float) -> T | None:
        with self._lock:
            cached = self._entries.get(key)
        return cached[1] if cached is not None and now - cached[0] < self.ttl else None

    def put(self, key: tuple[str, str], now: float, value: T) -> T:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value


class ConversationCache:
    """``conversations.info`` lookups, remembered for ``ttl`` seconds (failures are not)."""

    def __init__(self, *, ttl: float = 60.0, max_entries: int = 10_000) -> None:
        self._recent: _Recent[Conversation] = _Recent(ttl=ttl, max_entries=max_entries)

    def lookup(self, client: Any, *, team: str, channel: str, now: float) -> Conversation:
        cached = self._recent.get((team, channel), now)
        if cached is not None:
            return cached
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "error")
            logger.warning("conversations.info %s failed: %s", channel, error)
            return Conversation(channel, "unknown", error=error)
        return self._recent.put((team, channel), now, describe(channel, dict(info)))


def is_member(info: Mapping[str, Any], team: str) -> bool:
    """A full member of ``team``: of this team (or of its Enterprise Grid org's teams that
    include it), and neither a guest nor a stranger from a Slack Connect partner."""
    teams = {info.get("team_id"), *((info.get("enterprise_user") or {}).get("teams") or ())}
    if team not in teams:
        return False
    return not any(info.get(k) for k in ("is_restricted", "is_ultra_restricted", "is_stranger"))


@dataclass(frozen=True)
class Asker:
    """Who asks, as far as scope is concerned."""

    member: bool
    """A full member of the workspace (see :func:`is_member`)."""
    error: str = ""
    """Why ``users.info`` failed (then the asker counts as a guest: fail closed)."""


class MemberCache:
    """``users.info`` answers, remembered for ``ttl`` seconds (failures are not): a guest
    can be made a member, or a member a guest, at any moment."""

    def __init__(self, *, ttl: float = 60.0, max_entries: int = 10_000) -> None:
        self._recent: _Recent[Asker] = _Recent(ttl=ttl, max_entries=max_entries)

    def lookup(self, client: Any, *, team: str, user: str, now: float) -> Asker:
        cached = self._recent.get((team, user), now)
        if cached is not None:
            return cached
        try:
            info = client.users_info(user=user)["user"]
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "error")
            logger.warning("users.info %s failed: %s; counted as a guest", user, error)
            return Asker(member=False, error=error)
        return self._recent.put((team, user), now, Asker(member=is_member(dict(info), team)))
