"""``/gencode list``, ``/gencode forget NAME`` and ``/gencode help``: what Gencode knows here.

``list`` shows, only to the asker, what a question in this conversation can draw on: each
repository or file, where it came from, who shared it, when, and how many functions.
``forget`` removes a file or repository *shared in this conversation*, after a
confirmation button, and only for the person who shared it or a workspace admin; code
that is workspace-wide because it was shared in a public channel can therefore only be
forgotten in that channel. Help and refusals follow the asker's language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import WORKSPACE_WIDE, GencodeError, Scope, SourceSummary, is_korean

from . import messages, viewers
from .render import Block, context, escape, section, sections
from .runtime import Runtime, correlation_id
from .viewers import Audience

logger = logging.getLogger(__name__)

LIST_WORDS = {"list", "ls", "목록"}
FORGET_WORDS = {"forget", "잊어", "삭제"}
HELP_WORDS = {"", "help", "-h", "--help", "?", "도움말"}
FORGET_CONFIRM = "gencode_forget_confirm"
FORGET_CANCEL = "gencode_forget_cancel"
LIST_SHOWN = 40
MAX_NAME = 500
"""Longer names match nothing (and would not fit a button's 2,000-character value)."""


@dataclass(frozen=True)
class Command:
    verb: str
    """``list``, ``forget``, ``help``, or ``""`` for a question."""
    argument: str
    korean: bool


def parse(text: str) -> Command:
    """Which management command ``/gencode TEXT`` is, if any."""
    words = text.strip().split(maxsplit=1)
    first = words[0].lower() if words else ""
    rest = words[1].strip() if len(words) > 1 else ""
    korean = is_korean(text)
    if first in HELP_WORDS and not rest:
        return Command("help", "", korean)
    if first in LIST_WORDS and not rest:
        return Command("list", "", korean)
    if first in FORGET_WORDS:
        return Command("forget", rest.strip("`'\""), korean)
    return Command("", text, korean)


@dataclass(frozen=True)
class Shared:
    """One line of the list: a repository (its files together) or a single file."""

    name: str
    repo: bool
    sources: tuple[SourceSummary, ...]

    @property
    def functions(self) -> int:
        return sum(s.functions for s in self.sources)

    @property
    def latest(self) -> SourceSummary:
        return max(self.sources, key=lambda s: s.indexed_at)


def grouped(sources: Sequence[SourceSummary]) -> list[Shared]:
    """Files of one repository shared in one place make one line; single files their own."""
    groups: dict[tuple[str, str, str, str], list[SourceSummary]] = {}
    for s in sources:
        key = (s.channel, s.scope, s.repo, "" if s.repo else s.path)
        groups.setdefault(key, []).append(s)
    out = [
        Shared(name=repo or path, repo=bool(repo), sources=tuple(items))
        for (_, _, repo, path), items in groups.items()
    ]
    return sorted(out, key=lambda g: (-g.latest.indexed_at, g.name))


def _scope(rt: Runtime, client: WebClient, team: str, channel: str) -> Scope:
    where = rt.conversation(client, team=team, channel=channel)
    return Scope.of(team, channel) if where.sees_workspace_code else Scope.only(team, channel)


def _origin(item: Shared, channel: str, korean: bool) -> str:
    s = item.latest
    if s.channel == channel:
        return messages.origin_here(korean)
    if s.scope == WORKSPACE_WIDE and s.channel:
        return messages.origin_public_channel(s.channel, korean)
    if s.channel:
        return messages.origin_conversation(s.channel, korean)
    return messages.origin_cli(korean, workspace_wide=s.scope == WORKSPACE_WIDE)


def list_blocks(items: Sequence[Shared], *, channel: str, korean: bool) -> list[Block]:
    if not items:
        return [section(messages.list_empty(korean))]
    lines = []
    for item in items[:LIST_SHOWN]:
        s = item.latest
        lines.append(
            messages.list_line(
                name=escape(item.name),
                repo=item.repo,
                files=len(item.sources),
                functions=item.functions,
                origin=_origin(item, channel, korean),
                who=s.indexed_by,
                when=int(s.indexed_at),
                korean=korean,
            )
        )
    blocks: list[Block] = [section(messages.list_header(korean))]
    blocks += sections("\n".join(lines))  # split under Slack's 3,000 characters a section
    repos = sum(1 for i in items if i.repo)
    files = sum(len(i.sources) for i in items)
    functions = sum(i.functions for i in items)
    blocks.append(
        context(messages.list_totals(repos, files, functions, len(items) - LIST_SHOWN, korean))
    )
    return blocks


def _is_admin(client: WebClient, user: str, team: str) -> bool:
    """An admin or owner *of this team*: in a Slack Connect channel, users.info reports the
    partner organisation's admins as admins too (of their own workspace)."""
    try:
        info = client.users_info(user=user)["user"]
    except SlackApiError as exc:
        logger.warning("users.info %s failed: %s", user, exc.response.get("error"))
        return False
    teams = {info.get("team_id"), *((info.get("enterprise_user") or {}).get("teams") or ())}
    if team not in teams:
        return False
    return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))


def _matching(rt: Runtime, team: str, channel: str, name: str) -> list[SourceSummary]:
    """What ``name`` means among the files shared in this very conversation."""
    mine = [s for s in rt.engine.sources(Scope.of(team, channel)) if s.channel == channel]
    return [s for s in mine if name in (s.repo, s.path, s.display)]


def _may_forget(client: WebClient, user: str, team: str, found: Sequence[SourceSummary]) -> bool:
    return all(s.indexed_by == user for s in found) or _is_admin(client, user, team)


def run(
    rt: Runtime, client: WebClient, respond: Respond, command: dict[str, Any], parsed: Command
) -> None:
    """Answer a management command, only to the asker."""
    team, channel, user = command["team_id"], command["channel_id"], command["user_id"]
    korean = parsed.korean
    try:
        if parsed.verb == "list":
            items = grouped(rt.engine.sources(_scope(rt, client, team, channel)))
            blocks = list_blocks(items, channel=channel, korean=korean)
            respond(
                response_type="ephemeral",
                text=messages.list_header(korean),
                blocks=blocks,
            )
        elif parsed.verb == "forget":
            _ask_to_forget(rt, client, respond, team, channel, user, parsed.argument, korean)
    except GencodeError:
        cid = correlation_id()
        logger.exception(
            "/gencode %s failed [%s] team=%s channel=%s", parsed.verb, cid, team, channel
        )
        respond(response_type="ephemeral", text=messages.apology(cid))


def _ask_to_forget(
    rt: Runtime,
    client: WebClient,
    respond: Respond,
    team: str,
    channel: str,
    user: str,
    name: str,
    korean: bool,
) -> None:
    if not name:
        respond(response_type="ephemeral", text=messages.forget_usage(korean))
        return
    found = _matching(rt, team, channel, name) if len(name) <= MAX_NAME else []
    if not found:
        shown = escape(name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…")
        respond(response_type="ephemeral", text=messages.forget_unknown(shown, korean))
        return
    if not _may_forget(client, user, team, found):
        sharers = sorted({s.indexed_by for s in found if s.indexed_by})
        respond(
            response_type="ephemeral",
            text=messages.forget_not_allowed(escape(name), sharers, korean),
        )
        return
    functions = sum(s.functions for s in found)
    value = json.dumps({"name": name, "korean": korean}, ensure_ascii=False)
    question = messages.forget_confirm(escape(name), len(found), functions, korean)
    respond(
        response_type="ephemeral",
        text=question,
        blocks=[
            section(question),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "style": "danger",
                        "action_id": FORGET_CONFIRM,
                        "text": {"type": "plain_text", "text": messages.forget_button(korean)},
                        "value": value,
                    },
                    {
                        "type": "button",
                        "action_id": FORGET_CANCEL,
                        "text": {"type": "plain_text", "text": messages.cancel_button(korean)},
                        "value": value,
                    },
                ],
            },
        ],
    )


def confirmed(rt: Runtime, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
    """The confirmation button: checked again (the index may have changed), then forgotten."""
    action = body["actions"][0]
    try:
        value = json.loads(action.get("value") or "{}")
    except json.JSONDecodeError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    name, korean = str(value.get("name", "")), bool(value.get("korean"))
    channel = str((body.get("channel") or {}).get("id", ""))
    user = str((body.get("user") or {}).get("id", ""))
    team = str((body.get("team") or {}).get("id", "") or body.get("team_id", ""))
    if action.get("action_id") == FORGET_CANCEL:
        respond(replace_original=True, text=messages.forget_cancelled(escape(name), korean))
        return
    try:
        found = _matching(rt, team, channel, name)
        if not found:
            respond(replace_original=True, text=messages.forget_unknown(escape(name), korean))
            return
        if not _may_forget(client, user, team, found):
            sharers = sorted({s.indexed_by for s in found if s.indexed_by})
            respond(
                replace_original=True,
                text=messages.forget_not_allowed(escape(name), sharers, korean),
            )
            return
        gone = rt.engine.forget_sources([s.key for s in found])
    except GencodeError:
        cid = correlation_id()
        logger.exception("forget failed [%s] team=%s channel=%s", cid, team, channel)
        respond(replace_original=True, text=messages.apology(cid))
        return
    logger.info(
        "forgot %s in %s at %s's request: %d files, %d functions",
        name,
        channel,
        user,
        len(found),
        gone,
    )
    respond(replace_original=True, text=messages.forgotten(escape(name), len(found), gone, korean))


def home_view(
    rt: Runtime, team: str, user: str, audience: Audience | None = None
) -> dict[str, Any]:
    """The App Home tab: the code this viewer may see (the workspace-wide code for a member;
    for a guest or an outsider, what their conversations allow: :mod:`handlers.viewers`),
    and what this user shared anywhere."""
    audience = audience or Audience(Scope.of(team), member=True)
    everyone = grouped(rt.engine.sources(audience.scope))
    own = grouped(rt.engine.sources(Scope.of(team), shared_by=user))
    header = messages.home_workspace_header() if audience.member else messages.home_visible_header()
    blocks: list[Block] = [section(messages.USAGE), section(header)]
    if audience.error:
        blocks.append(context(messages.home_not_all_checked(escape(audience.error))))
    blocks += list_blocks(everyone, channel="", korean=False)[1:]
    blocks.append(section(messages.home_own_header()))
    blocks += list_blocks(own, channel="", korean=False)[1:]
    return {"type": "home", "blocks": blocks[:100]}


def publish_home(rt: Runtime, client: WebClient, team: str, user: str) -> None:
    try:
        view = home_view(rt, team, user, viewers.audience(rt, client, team=team, user=user))
        client.views_publish(user_id=user, view=view)
    except (GencodeError, SlackApiError):
        logger.exception("could not publish the App Home of %s [%s]", user, correlation_id())


def register(app: App, rt: Runtime) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def click(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        confirmed(rt, body, client, respond)

    def home(body: dict[str, Any], event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab") == "home":
            publish_home(rt, client, str(body.get("team_id", "")), str(event.get("user", "")))

    for action_id in (FORGET_CONFIRM, FORGET_CANCEL):
        app.action(action_id)(ack=ack_only, lazy=[click])
    app.event("app_home_opened")(ack=ack_only, lazy=[home])
