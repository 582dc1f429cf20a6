"""``/gencode list``, ``/gencode forget NAME`` and ``/gencode help``: what Gencode knows here.

``list`` shows, only to the asker, what a question in this conversation can draw on: each
repository or file, where it came from, who shared it, when, and how many functions.
``forget`` removes a file or repository *shared in this conversation*, after a
confirmation button, and only for the person who shared it or a workspace admin; code
that is workspace-wide because it was shared in a public channel can therefore only be
forgotten in that channel. Help and refusals follow the asker's language.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from rag import WORKSPACE_WIDE, GencodeError, Repository, Scope, SourceSummary, is_korean

from . import messages, viewers
from . import repos as git_repos
from .render import Block, context, escape, section, sections
from .runtime import Runtime, correlation_id
from .viewers import Audience

logger = logging.getLogger(__name__)

LIST_WORDS = {"list", "ls", "목록"}
FORGET_WORDS = {"forget", "잊어", "삭제"}
HELP_WORDS = {"", "help", "-h", "--help", "?", "도움말"}
REPO_WORDS = {"repo", "repository", "저장소"}
ADD_WORDS = {"add", "추가"}
FORGET_CONFIRM = "gencode_forget_confirm"
FORGET_CANCEL = "gencode_forget_cancel"
LIST_SHOWN = 40
MAX_NAME = 500
"""Longer names match nothing (and would not fit a button's 2,000-character value)."""


@dataclass(frozen=True)
class Command:
    verb: str
    """``list``, ``forget``, ``help``, ``repo`` (add a git repository), or ``""`` for a question."""
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
    if first in REPO_WORDS:
        sub, _, argument = rest.partition(" ")
        if not rest or sub.lower() in ADD_WORDS:
            return Command("repo", argument.strip(), korean)
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


def _origin(item: Shared, channel: str, korean: bool) -> str:
    s = item.latest
    if s.channel == channel:
        return messages.origin_here(korean)
    if s.scope == WORKSPACE_WIDE and s.channel:
        return messages.origin_public_channel(s.channel, korean)
    if s.channel:
        return messages.origin_conversation(s.channel, korean)
    return messages.origin_cli(korean, workspace_wide=s.scope == WORKSPACE_WIDE)


def list_blocks(
    items: Sequence[Shared],
    *,
    channel: str,
    korean: bool,
    synced: Mapping[str, Repository] | None = None,
) -> list[Block]:
    """``synced``: repositories kept in sync from git, by id; each shows where it syncs
    from and how it stands under its line (one with no file indexed yet, a line of its own)."""
    synced = dict(synced or {})
    if not items and not synced:
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
        git = synced.pop(s.repo_prefix, None) if item.repo else None
        if git is not None:
            lines.append(git_repos.sync_lines(git, korean))
    for item in items[LIST_SHOWN:]:
        synced.pop(item.latest.repo_prefix, None)
    lines += git_repos.pending_lines(list(synced.values()), korean)
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
    """What ``name`` means among the files shared in this very conversation: a repository
    (``shop``), one of its files by its repository path (``shop/util.py``), or a single
    file (``util.py``), which never reaches a same-named file inside a repository."""
    mine = [s for s in rt.engine.sources(Scope.of(team, channel)) if s.channel == channel]
    return [s for s in mine if name in (s.repo, s.display)]


def _units(found: Sequence[SourceSummary], name: str) -> list[str]:
    """What to forget: a repository named as a whole is one unit (so an indexing of it that
    is under way stops too, and writes nothing more); anything else file by file."""
    return list(dict.fromkeys(s.repo_prefix if s.repo == name else s.key for s in found))


def may_change(
    client: WebClient,
    user: str,
    team: str,
    found: Sequence[SourceSummary],
    synced: Sequence[Repository] = (),
) -> bool:
    """Whether ``user`` may forget or replace ``found`` (and the repositories ``synced``
    from git): they shared or added all of it, or they are an admin of this team. Sharing
    again checks the same rule as forgetting."""
    mine = all(s.indexed_by == user for s in found) and all(r.added_by == user for r in synced)
    return mine or _is_admin(client, user, team)


def version_of(found: Sequence[SourceSummary]) -> str:
    """A stamp of exactly what a forget button was shown for: which files, how many
    functions, when they last changed and who shared them. Sharing the code again changes
    it, so an old button (or a replayed click) never forgets the newer version."""
    parts = sorted(f"{s.key}\x1f{s.functions}\x1f{s.indexed_at!r}\x1f{s.indexed_by}" for s in found)
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:16]


def run(
    rt: Runtime, client: WebClient, respond: Respond, command: dict[str, Any], parsed: Command
) -> None:
    """Answer a management command, only to the asker."""
    team, channel, user = command["team_id"], command["channel_id"], command["user_id"]
    korean = parsed.korean
    try:
        if parsed.verb == "list":
            scope = rt.question_scope(client, team=team, channel=channel, user=user).scope
            items = grouped(rt.engine.sources(scope))
            blocks = list_blocks(
                items, channel=channel, korean=korean, synced=git_repos.by_unit(rt, scope)
            )
            respond(
                response_type="ephemeral",
                text=messages.list_header(korean),
                blocks=blocks,
            )
        elif parsed.verb == "forget":
            _ask_to_forget(rt, client, respond, team, channel, user, parsed.argument, korean)
        elif parsed.verb == "repo":
            git_repos.add(rt, client, respond, command, parsed.argument, korean)
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
    synced = git_repos.registered_here(rt, team, channel, name) if len(name) <= MAX_NAME else []
    if not found and not synced:
        shown = escape(name if len(name) <= MAX_NAME else name[:MAX_NAME] + "…")
        respond(response_type="ephemeral", text=messages.forget_unknown(shown, korean))
        return
    if not may_change(client, user, team, found, synced):
        sharers = sorted(
            {s.indexed_by for s in found if s.indexed_by}
            | {r.added_by for r in synced if r.added_by}
        )
        respond(
            response_type="ephemeral",
            text=messages.forget_not_allowed(escape(name), sharers, korean),
        )
        return
    functions = sum(s.functions for s in found)
    value = json.dumps(
        {"name": name, "korean": korean, "version": version_of(found), "once": uuid.uuid4().hex},
        ensure_ascii=False,
    )
    question = messages.forget_confirm(escape(name), len(found), functions, korean)
    for r in synced:
        question += messages.forget_repo_too(escape(r.display), korean)
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
    # Each button works once (Slack accepts a replayed click for 5 minutes): the first
    # click of either button claims it, in the store every process and container shares.
    once = str(value.get("once", ""))
    if once and not rt.dedupe.claim(("forget-button", team, once)):
        respond(replace_original=True, text=messages.forget_button_used(escape(name), korean))
        return
    if action.get("action_id") == FORGET_CANCEL:
        respond(replace_original=True, text=messages.forget_cancelled(escape(name), korean))
        return
    try:
        found = _matching(rt, team, channel, name)
        synced = git_repos.registered_here(rt, team, channel, name)
        if not found and not synced:
            respond(replace_original=True, text=messages.forget_unknown(escape(name), korean))
            return
        if not may_change(client, user, team, found, synced):
            sharers = sorted(
                {s.indexed_by for s in found if s.indexed_by}
                | {r.added_by for r in synced if r.added_by}
            )
            respond(
                replace_original=True,
                text=messages.forget_not_allowed(escape(name), sharers, korean),
            )
            return
        if value.get("version") != version_of(found):
            respond(replace_original=True, text=messages.forget_changed(escape(name), korean))
            return
        gone = rt.engine.forget_units(_units(found, name) + [r.id for r in synced])
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
