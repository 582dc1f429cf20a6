"""Shares in flight, noted in the store, so that a killed process leaves none hanging.

While a share is indexed its thread shows :eyes: and "indexed 65 / 800 files…". If the
process is killed (``kill -9``, the kernel's out-of-memory killer, a Lambda timeout),
nothing would ever update them again. So every share, from the moment it is queued, is
noted in the shared store with its thread, its progress and the process that holds it,
and the note goes when the share ends. A process marks the shares whose process is gone
as *interrupted*: the thread's progress line says so and that sharing again goes on where
it stopped (files already indexed cost nothing), and :eyes: becomes :x:. It looks when it
starts (``serve``, ``socket``) and before each share it indexes (Lambda included).

A note's process is gone when

* it ran on this host and its process id is no longer running, or is this process's id
  with another boot id (a container restarted): checked only where processes share a
  host (``serve``, ``socket``; on Lambda every container has the same ids);
* or its heartbeat is older than :data:`LEASE`: each process renews its notes every
  :data:`HEARTBEAT` seconds (a thread in ``serve``/``socket``; progress on Lambda), so a
  live share on another host or container is never marked.

A claim in the store makes sure one process marks each share, once.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from rag import Engine, GencodeError

from . import messages
from .render import escape, plain

if TYPE_CHECKING:
    from .files import Shared

logger = logging.getLogger(__name__)

PREFIX = "share\x1f"
LEASE = 600.0
"""Seconds without a heartbeat after which a share counts as orphaned."""
HEARTBEAT = 60.0
"""Seconds between renewals of a process's notes (well inside the lease)."""
KEEP = 7 * 86_400.0
"""How long a note is kept at all: a share orphaned longer ago is not marked any more."""
SWEEP_EVERY = 60.0
"""Seconds between two looks for orphaned shares before shares (one store read each)."""


@dataclass(frozen=True)
class Owner:
    """The process holding a note."""

    host: str
    pid: int
    boot: str


_me: Owner | None = None


def me() -> Owner:
    """This process (one boot id per process, whatever number of apps it runs)."""
    global _me
    if _me is None or _me.pid != os.getpid():
        _me = Owner(socket.gethostname(), os.getpid(), uuid.uuid4().hex)
    return _me


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # not ours to signal: running
        return True
    return True


@dataclass(frozen=True)
class ShareNote:
    """What a thread needs to be told that its share was interrupted (stored as JSON)."""

    team: str
    channel: str
    ts: str
    """The share's message: its reactions."""
    thread_ts: str
    status_ts: str
    """The progress message to update ("" if it could not be posted)."""
    name: str
    archive: bool
    korean: bool
    host: str
    pid: int
    boot: str
    beat: float
    done: int = 0
    total: int = 0

    @property
    def owner(self) -> Owner:
        return Owner(self.host, self.pid, self.boot)

    @classmethod
    def parse(cls, raw: str) -> ShareNote | None:
        try:
            return cls(**json.loads(raw))
        except (ValueError, TypeError):
            return None


class Ticket:
    """One share's note, held while the share is queued and indexed; :meth:`end` drops it."""

    def __init__(self, flight: InFlight, key: str, note: ShareNote) -> None:
        self.flight = flight
        self.key = key
        self.note = note
        self._written = note.beat

    def progress(self, done: int, total: int) -> None:
        """Keep the count the thread shows (at most every few seconds); it is also the
        heartbeat of a process without a heartbeat thread (Lambda)."""
        now = self.flight.clock()
        self.note = replace(self.note, done=done, total=total)
        if now - self._written >= self.flight.write_every:
            self._written = now
            self.flight.write(self.key, replace(self.note, beat=now))

    def end(self) -> None:
        self.flight.end(self.key)


class InFlight:
    """The shares this process holds, and the look for those no process holds any more."""

    def __init__(
        self,
        engine: Engine,
        *,
        same_host: bool,
        heartbeat: float | None,
        lease: float = LEASE,
        write_every: float = 3.0,
        clock: Any = time.time,
    ) -> None:
        self.engine = engine
        self.same_host = same_host
        self.heartbeat = heartbeat
        self.lease = lease
        self.write_every = write_every
        self.clock = clock
        self._open: dict[str, Ticket] = {}
        self._lock = threading.Lock()
        self._beating: threading.Thread | None = None
        self._last_sweep = float("-inf")

    # -- this process's shares ----------------------------------------------------------------

    def begin(self, shared: Shared, *, status_ts: str | None, archive: bool) -> Ticket:
        owner = me()
        key = PREFIX + "\x1f".join((shared.team, shared.channel, shared.ts, shared.file_id))
        note = ShareNote(
            team=shared.team,
            channel=shared.channel,
            ts=shared.ts,
            thread_ts=shared.thread_ts,
            status_ts=status_ts or "",
            name=shared.name,
            archive=archive,
            korean=shared.korean,
            host=owner.host,
            pid=owner.pid,
            boot=owner.boot,
            beat=self.clock(),
        )
        ticket = Ticket(self, key, note)
        self.write(key, note)
        with self._lock:
            self._open[key] = ticket
            if self.heartbeat and (self._beating is None or not self._beating.is_alive()):
                self._beating = threading.Thread(
                    target=self._beat, name="gencode-heartbeat", daemon=True
                )
                self._beating.start()
        return ticket

    def write(self, key: str, note: ShareNote) -> None:
        try:
            self.engine.remember(key, ttl=KEEP, value=json.dumps(asdict(note)))
        except GencodeError:
            logger.warning("could not note share %s as in flight", key, exc_info=True)

    def end(self, key: str) -> None:
        # Under the lock the heartbeat writes with, so that it never writes a note back
        # after it was dropped (a finished share would later count as interrupted).
        with self._lock:
            self._open.pop(key, None)
            try:
                self.engine.drop_note(key)
            except GencodeError:
                logger.warning("could not drop the note of share %s", key, exc_info=True)

    def _beat(self) -> None:
        """Renew this process's notes until it holds none (the thread then ends)."""
        assert self.heartbeat
        while True:
            time.sleep(self.heartbeat)
            with self._lock:
                if not self._open:
                    self._beating = None
                    return
                now = self.clock()
                for ticket in self._open.values():
                    self.write(ticket.key, replace(ticket.note, beat=now))

    # -- other processes' shares --------------------------------------------------------------

    def orphaned(self, note: ShareNote, now: float) -> bool:
        owner, mine = note.owner, me()
        if owner == mine:
            return False
        if self.same_host and owner.host == mine.host:
            if owner.pid == mine.pid or not _running(owner.pid):
                return True
        return now - note.beat > self.lease

    def sweep_soon(self, client: Any) -> int:
        """:meth:`sweep`, at most once every :data:`SWEEP_EVERY` seconds (before shares)."""
        now = self.clock()
        if now - self._last_sweep < SWEEP_EVERY:
            return 0
        return self.sweep(client)

    def sweep(self, client: Any) -> int:
        """Mark every orphaned share interrupted in its thread; returns how many."""
        self._last_sweep = now = self.clock()
        try:
            notes = self.engine.recall(PREFIX)
        except GencodeError:
            logger.warning("could not look for interrupted shares", exc_info=True)
            return 0
        marked = 0
        for key, raw in notes.items():
            note = ShareNote.parse(raw)
            if note is not None and not self.orphaned(note, now):
                continue
            try:
                if not self.engine.claim_once("interrupted\x1f" + key, ttl=KEEP):
                    continue  # another process is marking it
                if note is not None:
                    _mark(client, note)
                    marked += 1
                self.engine.drop_note(key)
            except GencodeError:
                logger.warning("could not mark share %s interrupted", key, exc_info=True)
            except Exception:  # Slack unreachable, a bug: never stop a start-up or a share
                logger.exception("could not tell share %s it was interrupted", key)
        if marked:
            logger.info("marked %d interrupted shares", marked)
        return marked


def _mark(client: Any, note: ShareNote) -> None:
    """Tell the share's thread it was interrupted, and swap :eyes: for :x:."""
    text = messages.share_interrupted(
        escape(note.name), note.done, note.total, archive=note.archive, korean=note.korean
    )
    message = plain(text)
    logger.info(
        "share %s in %s/%s was interrupted (process %s:%d gone)",
        note.name,
        note.team,
        note.channel,
        note.host,
        note.pid,
    )
    try:
        if note.status_ts:
            client.chat_update(
                channel=note.channel,
                ts=note.status_ts,
                text=message.text,
                blocks=list(message.blocks),
            )
        else:
            client.chat_postMessage(
                channel=note.channel,
                thread_ts=note.thread_ts,
                text=message.text,
                blocks=list(message.blocks),
            )
    except SlackApiError as exc:
        logger.warning(
            "could not mark share %s interrupted: %s", note.name, exc.response.get("error")
        )
    for name, add in (("eyes", False), ("x", True)):
        try:
            if add:
                client.reactions_add(channel=note.channel, timestamp=note.ts, name=name)
            else:
                client.reactions_remove(channel=note.channel, timestamp=note.ts, name=name)
        except SlackApiError as exc:  # no_reaction (it was still queued), already_reacted
            logger.info(
                "reaction %s on %s/%s: %s", name, note.channel, note.ts, exc.response.get("error")
            )
