"""A loopback Slack Web API for tests, in the style of Bolt's own mock server.

It records every call (method, parameters, headers), keeps the messages the bot posts so
``conversations.replies`` can serve them back, enforces Slack's message limits (so a
renderer that breaks them fails loudly), serves shared files' bytes only to the bearer
token, and accepts ``files_upload_v2``'s three-step upload. Port 0, one per test.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

TOKEN = "xoxb-test-token-0123456789"
TEAM = "T1"
BOT_USER = "UBOT"
BOT_ID = "BBOT"

JSON_FIELDS = {"blocks", "metadata", "files", "attachments", "view"}


def _valid_rich_text(block: dict[str, Any]) -> bool:
    """A rich_text block as Slack's schema has it: sub-elements of a known type, each
    holding ``text`` elements whose ``text`` is a string."""
    kinds = {"rich_text_section", "rich_text_preformatted", "rich_text_quote", "rich_text_list"}
    for element in block.get("elements") or [None]:
        if not isinstance(element, dict) or element.get("type") not in kinds:
            return False
        for leaf in element.get("elements") or [None]:
            if not isinstance(leaf, dict) or not isinstance(leaf.get("text", ""), str):
                return False
    return True


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes = b""


@dataclass
class SlackAPI:
    token: str = TOKEN
    team: str = TEAM
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    reactions: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    file_bytes: dict[str, bytes] = field(default_factory=dict)
    file_behaviour: dict[str, str] = field(default_factory=dict)
    """file id → ``403``, ``500``, ``html`` or ``redirect:URL``."""
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing_channels: set[str] = field(default_factory=set)
    """Channels ``conversations.info`` answers ``channel_not_found`` for."""
    uploads: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    """API method → the ``error`` it returns (``ok: false``) from now on."""
    not_in_channel: set[str] = field(default_factory=set)
    socket_url: str = ""
    """What ``apps.connections.open`` hands out (a loopback Socket Mode server)."""
    admins: set[str] = field(default_factory=set)
    """Users ``users.info`` reports as workspace admins."""
    user_teams: dict[str, str] = field(default_factory=dict)
    """Users of another organisation (Slack Connect) → their own team id."""
    guests: set[str] = field(default_factory=set)
    """Users ``users.info`` reports as guests (``is_restricted``)."""
    memberships: dict[str, list[str]] = field(default_factory=dict)
    """User → the conversations ``users.conversations`` lists for them."""
    delays: dict[str, float] = field(default_factory=dict)
    """API method → seconds it takes to answer (a slow Slack)."""

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._ts = itertools.count(100)
        self._ids = itertools.count(1)
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                api._handle(self, "GET")

            def do_POST(self) -> None:
                api._handle(self, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SlackAPI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    # -- seeding -----------------------------------------------------------------------------

    def next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def add_channel(
        self,
        channel: str,
        *,
        private: bool = False,
        im: bool = False,
        mpim: bool = False,
        ext_shared: bool = False,
        pending_ext_shared: bool = False,
        org_shared: bool = False,
    ) -> None:
        """A conversation as ``conversations.info`` describes it, sharing flags included.

        Slack sets ``is_shared`` whenever a conversation is shared in any way, and lists
        the teams in ``shared_team_ids`` (or ``pending_connected_team_ids`` while an
        invitation is out)."""
        shared = ext_shared or org_shared
        self.channels[channel] = {
            "id": channel,
            "is_channel": not (private or im or mpim),
            "is_group": private and not mpim,
            "is_private": private or im or mpim,
            "is_im": im,
            "is_mpim": mpim,
            "is_shared": shared,
            "is_ext_shared": ext_shared,
            "is_org_shared": org_shared,
            "is_pending_ext_shared": pending_ext_shared,
            "context_team_id": self.team,
            "shared_team_ids": [self.team, "T9OTHER"] if shared else [self.team],
            "pending_connected_team_ids": ["T9OTHER"] if pending_ext_shared else [],
        }

    def channel_info(self, channel: str) -> dict[str, Any] | None:
        """What ``conversations.info`` serves: a seeded channel, or one of this workspace
        alone whose kind follows Slack's id prefixes (C public, G private, D DM)."""
        if channel in self.missing_channels or not channel:
            return None
        if channel not in self.channels:
            self.add_channel(channel, private=channel.startswith("G"), im=channel.startswith("D"))
        return self.channels[channel]

    def add_file(
        self,
        name: str,
        content: bytes,
        *,
        file_id: str | None = None,
        filetype: str = "",
        url: str | None = None,
        size: int | None = None,
    ) -> dict[str, Any]:
        fid = file_id or f"F{next(self._ids):04d}"
        info = {
            "id": fid,
            "name": name,
            "title": name,
            "filetype": filetype or ("python" if name.endswith(".py") else "text"),
            "size": len(content) if size is None else size,
            "url_private": f"{self.url}/files-pri/{self.team}-{fid}/{name}",
            "url_private_download": url
            or f"{self.url}/files-pri/{self.team}-{fid}/download/{name}",
            "permalink": f"https://test.slack.com/files/{BOT_USER}/{fid}/{name}",
        }
        self.files[fid] = info
        self.file_bytes[fid] = content
        return dict(info)

    def add_message(
        self,
        channel: str,
        text: str,
        *,
        user: str = "U1",
        thread_ts: str | None = None,
        **extra: Any,
    ) -> str:
        ts = self.next_ts()
        msg = {"type": "message", "ts": ts, "user": user, "text": text, **extra}
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(msg)
        return ts

    # -- assertions --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; calls were: {[c.method for c in self.calls]}")
            time.sleep(0.02)

    def wait_calls(self, method: str, n: int = 1, timeout: float = 10.0) -> list[Call]:
        return self.wait_for(
            lambda: len(self.calls_to(method)) >= n and self.calls_to(method), timeout
        )  # type: ignore[no-any-return]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        with self._lock:
            return sorted(
                (
                    m
                    for m in self.messages.get(channel, [])
                    if m["ts"] == ts or m.get("thread_ts") == ts
                ),
                key=lambda m: m["ts"],
            )

    def message(self, channel: str, ts: str) -> dict[str, Any]:
        with self._lock:
            return next(m for m in self.messages.get(channel, []) if m["ts"] == ts)

    def bot_messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages.get(channel, []) if m.get("bot_id") == BOT_ID]

    # -- HTTP --------------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, verb: str) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in h.headers.items()}
        params: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = headers.get("content-type", "")
        if body and "json" in ctype:
            params.update(json.loads(body))
        elif body and "x-www-form-urlencoded" in ctype:
            params.update(parse_qsl(body.decode()))
        for key in JSON_FIELDS & params.keys():
            if isinstance(params[key], str):
                params[key] = json.loads(params[key])
        path = parts.path
        if path.startswith("/api/"):
            method = path[len("/api/") :]
            with self._lock:
                self.calls.append(Call(method, params, headers, body))
            # Socket Mode's connection call takes the app-level token (xapp-…), the rest the bot's.
            wanted = "Bearer xapp-" if method == "apps.connections.open" else f"Bearer {self.token}"
            auth = headers.get("authorization", "")
            if not (auth.startswith(wanted) if wanted.endswith("-") else auth == wanted):
                result: dict[str, Any] = {"ok": False, "error": "invalid_auth"}
            elif method in self.failures:
                result = {"ok": False, "error": self.failures[method]}
            elif method in self.delays:
                time.sleep(self.delays[method])
                result = self._api(method, params)
            else:
                result = self._api(method, params)
            self._send(h, 200, json.dumps(result).encode(), "application/json")
        elif path.startswith("/files-pri/"):
            with self._lock:
                self.calls.append(Call("download", params, headers, body))
            self._download(h, path, headers)
        elif path.startswith("/upload/"):
            with self._lock:
                self.calls.append(Call("upload", params, headers, body))
                self.uploads[path.rsplit("/", 1)[-1]] = body
            self._send(h, 200, f"OK - {len(body)}".encode(), "text/plain")
        elif path.startswith("/response/"):
            with self._lock:
                self.calls.append(Call("response_url", params, headers, body))
            self._send(h, 200, b"ok", "text/plain")
        else:
            with self._lock:
                self.calls.append(Call(f"{verb} {path}", params, headers, body))
            self._send(h, 200, b"foreign content\n", "text/plain")

    @staticmethod
    def _send(
        h: BaseHTTPRequestHandler, status: int, body: bytes, ctype: str, **extra: str
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(body)

    def _download(self, h: BaseHTTPRequestHandler, path: str, headers: dict[str, str]) -> None:
        fid = path.split("/")[2].split("-", 1)[-1]
        behaviour = self.file_behaviour.get(fid, "")
        if behaviour.startswith("redirect:"):
            self._send(h, 302, b"", "text/plain", Location=behaviour[len("redirect:") :])
            return
        if headers.get("authorization") != f"Bearer {self.token}" or behaviour == "html":
            # What Slack really does for a bad token: a 200 login page.
            self._send(h, 200, b"<!DOCTYPE html><html>sign in</html>", "text/html; charset=utf-8")
            return
        if behaviour in ("403", "404", "500"):
            self._send(h, int(behaviour), b"nope", "text/plain")
            return
        if fid not in self.file_bytes:
            self._send(h, 404, b"not found", "text/plain")
            return
        self._send(h, 200, self.file_bytes[fid], "application/octet-stream")

    # -- Web API methods ---------------------------------------------------------------------

    def _check_limits(self, params: dict[str, Any]) -> str | None:
        text = params.get("text") or ""
        if len(text) > 40_000:
            return "msg_too_long"
        blocks = params.get("blocks") or []
        if len(blocks) > 50:
            return "invalid_blocks"
        for b in blocks:
            t = (b.get("text") or {}).get("text", "")
            if b.get("type") == "section" and len(t) > 3000:
                return "invalid_blocks"
            if b.get("type") == "rich_text" and not _valid_rich_text(b):
                return "invalid_blocks"
        if len(json.dumps(blocks)) > 13_000:
            return "msg_blocks_too_long"
        if not text and not blocks:
            return "no_text"
        return None

    def _share_uploads(self, channel: str, thread_ts: str | None, ids: list[str]) -> None:
        """What Slack posts once an upload completes: a message by the uploader with the files."""
        shared = []
        for fid in ids:
            info = self.files.setdefault(fid, {"id": fid})
            name = info.get("name") or fid
            with self._lock:
                content = self.uploads.get(fid, b"")
            self.file_bytes[fid] = content
            info.update(
                size=len(content),
                filetype="python" if name.endswith(".py") else "text",
                url_private_download=f"{self.url}/files-pri/{self.team}-{fid}/download/{name}",
            )
            shared.append(dict(info))
        msg: dict[str, Any] = {
            "type": "message",
            "ts": self.next_ts(),
            "user": BOT_USER,
            "bot_id": BOT_ID,
            "text": "",
            "upload": True,
            "files": shared,
        }
        if thread_ts:
            msg["thread_ts"] = thread_ts
        with self._lock:
            self.messages.setdefault(channel, []).append(msg)

    def _api(self, method: str, p: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "gencode",
                "team_id": self.team,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            channel = p["channel"]
            if channel in self.not_in_channel:
                return {"ok": False, "error": "not_in_channel"}
            if err := self._check_limits(p):
                return {"ok": False, "error": err}
            ts = self.next_ts()
            msg = {
                "type": "message",
                "ts": ts,
                "user": BOT_USER,
                "bot_id": BOT_ID,
                "text": p.get("text", ""),
                "blocks": p.get("blocks") or [],
            }
            if p.get("thread_ts"):
                msg["thread_ts"] = p["thread_ts"]
            if p.get("metadata"):
                msg["metadata"] = p["metadata"]
            with self._lock:
                self.messages.setdefault(channel, []).append(msg)
            return {"ok": True, "channel": channel, "ts": ts, "message": msg}
        if method == "chat.update":
            if err := self._check_limits(p):
                return {"ok": False, "error": err}
            with self._lock:
                for m in self.messages.get(p["channel"], []):
                    if m["ts"] == p["ts"]:
                        m["text"] = p.get("text", "")
                        m["blocks"] = p.get("blocks") or []
                        if p.get("metadata"):
                            m["metadata"] = p["metadata"]
                        return {"ok": True, "channel": p["channel"], "ts": p["ts"]}
            return {"ok": False, "error": "message_not_found"}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self.next_ts()}
        if method in ("reactions.add", "reactions.remove"):
            key = (p["channel"], p["timestamp"])
            with self._lock:
                names = self.reactions.setdefault(key, [])
                if method == "reactions.add":
                    if p["name"] in names:
                        return {"ok": False, "error": "already_reacted"}
                    names.append(p["name"])
                else:
                    if p["name"] not in names:
                        return {"ok": False, "error": "no_reaction"}
                    names.remove(p["name"])
            return {"ok": True}
        if method == "files.info":
            info = self.files.get(p.get("file", ""))
            return {"ok": True, "file": info} if info else {"ok": False, "error": "file_not_found"}
        if method == "conversations.info":
            with self._lock:
                info = self.channel_info(str(p.get("channel", "")))
            return (
                {"ok": True, "channel": info}
                if info
                else {"ok": False, "error": "channel_not_found"}
            )
        if method == "conversations.replies":
            msgs = self.thread(p["channel"], p["ts"])
            if not msgs:
                return {"ok": False, "error": "thread_not_found"}
            start = int(p.get("cursor") or 0)
            limit = int(p.get("limit") or 1000)
            page = msgs[start : start + limit]
            if str(p.get("include_all_metadata", "")).lower() not in ("1", "true"):
                page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
            more = start + limit < len(msgs)
            return {
                "ok": True,
                "messages": page,
                "has_more": more,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        if method == "files.getUploadURLExternal":
            fid = f"FUP{next(self._ids):04d}"
            self.files[fid] = {"id": fid, "name": p.get("filename"), "title": p.get("filename")}
            return {"ok": True, "upload_url": f"{self.url}/upload/{fid}", "file_id": fid}
        if method == "files.completeUploadExternal":
            files = p.get("files") or []
            for f in files:
                if f.get("title"):
                    self.files.setdefault(f["id"], {"id": f["id"]})["title"] = f["title"]
            if p.get("channel_id"):
                self._share_uploads(p["channel_id"], p.get("thread_ts"), [f["id"] for f in files])
            return {"ok": True, "files": [self.files.get(f["id"], f) for f in files]}
        if method == "users.info":
            user = str(p.get("user", ""))
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "team_id": self.user_teams.get(user, self.team),
                    "is_admin": user in self.admins,
                    "is_restricted": user in self.guests,
                },
            }
        if method == "users.conversations":
            ids = self.memberships.get(str(p.get("user", "")), [])
            start = int(p.get("cursor") or 0)
            limit = int(p.get("limit") or 100)
            more = start + limit < len(ids)
            return {
                "ok": True,
                "channels": [{"id": c} for c in ids[start : start + limit]],
                "response_metadata": {"next_cursor": str(start + limit) if more else ""},
            }
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V1", **(p.get("view") or {})}}
        if method == "apps.connections.open":
            if not self.socket_url:
                return {"ok": False, "error": "not_allowed_token_type"}
            return {"ok": True, "url": self.socket_url}
        return {"ok": False, "error": "unknown_method"}
