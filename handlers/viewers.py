"""Who is looking at the App Home, and what the code list may show them.

A full member of this workspace sees the workspace-wide code there, as before. A guest
(``is_restricted``, ``is_ultra_restricted``) or someone from another organisation (a
Slack Connect partner: ``users.info`` names another team) sees only what the
conversations they are in allow, by the rule questions follow
(:mod:`handlers.conversations`): each conversation's own code, and the workspace-wide code
only if one of them, not a DM, is a conversation of this workspace alone. What they
shared themselves is listed either way.

It fails closed: when ``users.info`` fails the viewer counts as a guest, and when their
conversations cannot be listed none are assumed (the App Home then says so).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import Scope

from .runtime import Runtime

logger = logging.getLogger(__name__)

CONVERSATION_TYPES = "public_channel,private_channel,mpim,im"
PAGE_SIZE = 200
MAX_PAGES = 5
"""Conversations looked at for one viewer (1,000); past them, their code is not listed."""


@dataclass(frozen=True)
class Audience:
    """What the App Home's code list may show one viewer."""

    scope: Scope
    member: bool
    """A full member: the workspace-wide list, as every question of the workspace sees."""
    error: str = ""
    """Why the viewer's conversations could not all be checked (the list may be short)."""


def audience(rt: Runtime, client: WebClient, *, team: str, user: str) -> Audience:
    """The scope of the App Home's code list for ``user`` (see the module's docstring)."""
    asker = rt.asker(client, team=team, user=user)
    if asker.member:
        return Audience(Scope.of(team), member=True)
    channels, error = _conversations(client, user)
    error = error or asker.error
    wide = False
    for channel in channels:  # their DMs never open it: see handlers.conversations
        where = rt.conversation(client, team=team, channel=channel)
        wide = wide or (where.sees_workspace_code and where.kind != "DM")
    logger.info(
        "App Home for guest or outside user %s (team=%s): %d conversations, workspace-wide=%s",
        user,
        team,
        len(channels),
        wide,
    )
    scope = Scope(workspace=team, conversations=frozenset(channels), workspace_wide=wide)
    return Audience(scope, member=False, error=error)


def _conversations(client: WebClient, user: str) -> tuple[list[str], str]:
    """The conversations ``user`` is in that the bot can see, and an error if cut short."""
    channels: list[str] = []
    cursor = ""
    for _ in range(MAX_PAGES):
        try:
            page = client.users_conversations(
                user=user,
                types=CONVERSATION_TYPES,
                exclude_archived=True,
                limit=PAGE_SIZE,
                cursor=cursor or None,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "error")
            logger.warning("users.conversations %s failed: %s", user, error)
            return channels, error
        channels += [str(c["id"]) for c in page.get("channels") or [] if c.get("id")]
        cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
        if not cursor:
            return channels, ""
    return channels, "too_many_conversations"
