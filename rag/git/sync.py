"""Repositories kept in sync from git: register one by URL, index it, re-index what changed.

:class:`GitSync` is the whole capability, Slack-free; the CLI, ``gencode serve``'s
webhook route and schedule, Lambda and the Slack handlers all call it.

How a sync works:

1. The branch's head is fetched (:mod:`rag.git.transport`): shallow the first time, only
   the new objects afterwards.
2. The commit's files (:mod:`rag.git.tree`: ``.py``/``.ipynb``, ``.gitignore`` and the
   folder rules) are compared by blob id with the files indexed before (the manifest kept
   with the registration). Only added and changed files are read and indexed; unchanged
   functions of a changed file cost no model call (summaries are reused by code hash);
   files gone from the commit leave the index. Comparing with what was indexed, not with
   the commit's parent, makes a force-push or a rewritten history end correct too.
3. The registration records the commit, the time, and any failure.

Concurrency: a sync holds a lease in the store while it runs, so two pushes never run two
syncs of one repository at once, in one process or many (Lambda containers). A request
that finds the lease taken only bumps a counter; the holder sees it when it ends and syncs
again from the branch's head, so the latest commit wins and any number of pushes cost at
most one more pass. A forget during a sync stops it (the store's tombstone,
``Engine.forget_units``) and nothing of the repository comes back.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from ..engine import Engine
from ..errors import GencodeError, SourceForgotten, TooManyDefinitions
from ..models import WORKSPACE_WIDE, FileReport, IndexReport, Repository, Scope, Source
from ..stores.base import ChunkStore
from .errors import GitError
from .limits import SyncLimits
from .policy import GitPolicy, Remote
from .transport import fetch, ls_remote
from .tree import snapshot

logger = logging.getLogger(__name__)

Status = Literal["indexed", "up_to_date", "unfinished", "failed", "forgotten"]
FileProgress = Callable[[int, int, FileReport], None]

LEASE_SECONDS = 900.0
"""How long a sync's lease lasts without news; it is renewed while files are indexed, so
only a sync that died (killed, a Lambda timeout) lets it run out."""


@dataclass(frozen=True)
class SyncOutcome:
    """What one sync did, for the thread, the CLI and the logs."""

    repository: Repository
    status: Status
    report: IndexReport | None = None
    skipped: tuple[tuple[str, str], ...] = ()
    previous: str = ""
    """The commit indexed before."""
    commit: str = ""
    """The branch's head that was synced."""
    error: GitError | None = None
    received: int = 0
    """Bytes fetched from the server."""
    unchanged: int = 0
    """Files whose blob did not change: not read at all."""
    passes: int = 1
    """Syncs run back to back because more requests came in meanwhile."""


@dataclass
class _Held:
    """The lease of one run: who holds it and the request count it has seen."""

    owner: str
    seen: int
    renewed: float


def repository_id(*, workspace: str, scope: str, channel: str, name: str) -> str:
    return Source("", workspace=workspace, scope=scope, channel=channel, repo=name).repo_prefix


@dataclass
class GitSync:
    engine: Engine
    policy: GitPolicy
    cache: Path
    """Folder of the local caches of fetched objects (one bare repository each)."""
    limits: SyncLimits = field(default_factory=SyncLimits)
    lease_seconds: float = LEASE_SECONDS
    clock: Callable[[], float] = time.time
    monotonic: Callable[[], float] = time.monotonic
    """What the time budget is measured with (tests step it)."""
    process: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    @property
    def store(self) -> ChunkStore:
        return self.engine.store

    # -- registrations --------------------------------------------------------------------------

    def remote(self, url: str) -> Remote:
        """``url`` checked against the policy: a refusal raises before any connection."""
        return self.policy.remote(url)

    def add(
        self,
        url: str,
        *,
        branch: str = "",
        workspace: str,
        scope: str = WORKSPACE_WIDE,
        channel: str = "",
        channel_kind: str = "",
        added_by: str = "",
        thread_ts: str = "",
        korean: bool = False,
    ) -> Repository:
        """Register a repository (indexing it is :meth:`sync`'s job).

        The URL is checked against the policy before any connection; then one request
        to the remote checks that it exists, that the credentials may read it and that the
        branch (the remote's default when not given) is there. Adding the same URL and
        branch again where it is registered returns the registration as it is.
        """
        remote = self.remote(url)
        heads = ls_remote(remote, self.policy, self.limits.fetch)
        if not heads.branches:
            raise GitError("empty", branch or "(default)")
        branch = branch.strip() or heads.default
        if not branch:
            raise GitError("branch_missing", "(the remote names no default branch)")
        heads.head(branch)
        repo_id = repository_id(workspace=workspace, scope=scope, channel=channel, name=remote.name)
        registered = self.store.repository(repo_id)
        if registered is not None:
            return self._same(registered, remote, branch)
        scope_obj = Scope.of(workspace, channel, scope)
        others = {
            s.indexed_by
            for s in self.store.sources(scope_obj, prefix=repo_id)
            if s.indexed_by and s.indexed_by != added_by
        }
        if others:
            logger.info("%s is taken here by %s", remote.name, ", ".join(sorted(others)))
            raise GitError("name_shared", remote.name)
        repo = Repository(
            id=repo_id,
            url=remote.url,
            branch=branch,
            name=remote.name,
            workspace=workspace,
            scope=scope,
            channel=channel,
            channel_kind=channel_kind,
            added_by=added_by,
            added_at=self.clock(),
            thread_ts=thread_ts,
            korean=korean,
        )
        if not self.store.add_repository(repo):  # added meanwhile, in another process
            registered = self.store.repository(repo_id)
            if registered is not None:
                return self._same(registered, remote, branch)
        logger.info(
            "registered %s (%s) as %s in workspace=%s scope=%s channel=%s",
            remote.display,
            branch,
            remote.name,
            workspace,
            scope,
            channel,
        )
        return repo

    def _same(self, registered: Repository, remote: Remote, branch: str) -> Repository:
        """Adding what is registered returns it; the same name for another one is refused."""
        if self.remote(registered.url).key == remote.key and registered.branch == branch:
            return registered
        raise GitError("name_synced", f"{registered.display} ({registered.branch})")

    def repositories(
        self, *, workspace: str | None = None, scope: Scope | None = None
    ) -> list[Repository]:
        """Registrations, of one workspace, or those a conversation's ``scope`` may see."""
        if scope is not None:
            visible = set(scope.visible_scopes)
            return [r for r in self.store.repositories(scope.workspace) if r.scope in visible]
        return self.store.repositories(workspace)

    def repository(self, repo_id: str) -> Repository | None:
        return self.store.repository(repo_id)

    def note_thread(self, repo_id: str, thread_ts: str) -> None:
        """Where the repository was added in Slack: its failures are told there."""
        self.store.update_repository(repo_id, lambda r: replace(r, thread_ts=thread_ts))

    def pushed(self, urls: Iterable[str], branch: str) -> list[Repository]:
        """The registrations a push to ``branch`` of the repository at any of ``urls``
        concerns (a webhook names its clone, HTML and SSH URLs; spelling is normalised)."""
        keys = set()
        for url in urls:
            try:
                keys.add(self.remote(url).key)
            except GitError:
                continue  # an SSH URL, or a host nobody may fetch from
        if not keys:
            return []
        out = []
        for repo in self.store.repositories():
            try:
                key = self.remote(repo.url).key
            except GitError:
                continue
            if key in keys and repo.branch == branch:
                out.append(repo)
        return out

    # -- syncing ------------------------------------------------------------------------------

    def request(self, repo_id: str) -> bool:
        """Note that ``repo_id`` should be synced (a push, the schedule): a sync running now
        will run once more when it ends. False if it is not registered (any more)."""
        bumped = self.store.update_repository(
            repo_id, lambda r: replace(r, requested=r.requested + 1)
        )
        return bumped is not None

    def sync(self, repo_id: str, *, on_file: FileProgress | None = None) -> SyncOutcome | None:
        """Request a sync and run it here, unless one runs elsewhere (then None: that one
        will pick this request up)."""
        if not self.request(repo_id):
            return None
        return self.run(repo_id, on_file=on_file)

    def run(self, repo_id: str, *, on_file: FileProgress | None = None) -> SyncOutcome | None:
        """Sync ``repo_id`` if nobody else is: hold the lease, sync, and again while
        requests arrived meanwhile. None when another run holds the lease."""
        held = self._acquire(repo_id)
        if held is None:
            logger.info("sync of %s is running elsewhere; it will pick up this request", repo_id)
            return None
        passes = 0
        outcome: SyncOutcome | None = None
        try:
            while True:
                passes += 1
                # The mark comes before the registration is read: a forget deletes the
                # registration before it leaves its tombstone, so a registration read
                # here means any forget of it is newer than the mark, and stops the sync.
                since = self.engine.mark()
                repo = self.store.repository(repo_id)
                if repo is None or repo.lease != held.owner:
                    return outcome  # forgotten, or the lease was lost to a newer run
                outcome = replace(self._once(repo, held, on_file, since), passes=passes)
                if outcome.status in ("forgotten", "unfinished"):
                    return outcome
                if self._release_if_idle(repo_id, held):
                    return outcome
                logger.info("more pushes to %s arrived during the sync: syncing again", repo_id)
        finally:
            self._release(repo_id, held)

    def _acquire(self, repo_id: str) -> _Held | None:
        owner = f"{self.process}:{uuid.uuid4().hex[:8]}"
        got: list[int] = []

        def take(r: Repository) -> Repository | None:
            now = self.clock()
            if r.lease and r.lease_until > now and r.lease != owner:
                return None
            got.append(r.requested)
            return replace(r, lease=owner, lease_until=now + self.lease_seconds)

        self.store.update_repository(repo_id, take)
        return _Held(owner, got[0], self.clock()) if got else None

    def _release_if_idle(self, repo_id: str, held: _Held) -> bool:
        """Let go of the lease if no request came since ``held.seen``; else keep it and
        note the new count (the caller syncs again)."""
        released: list[bool] = []

        def settle(r: Repository) -> Repository | None:
            if r.lease != held.owner:
                released.append(True)  # lost: nothing left to settle
                return None
            if r.requested == held.seen:
                released.append(True)
                return replace(r, lease="", lease_until=0.0)
            held.seen = r.requested
            released.append(False)
            return replace(r, lease_until=self.clock() + self.lease_seconds)

        if self.store.update_repository(repo_id, settle) is None:
            return True
        return released[0] if released else True

    def _release(self, repo_id: str, held: _Held) -> None:
        try:
            self.store.update_repository(
                repo_id,
                lambda r: replace(r, lease="", lease_until=0.0) if r.lease == held.owner else None,
            )
        except GencodeError:
            logger.warning("could not release the sync lease of %s", repo_id, exc_info=True)

    def _renew(self, repo_id: str, held: _Held) -> None:
        """Keep the lease while files are indexed (every third of its length)."""
        now = self.clock()
        if now - held.renewed < self.lease_seconds / 3:
            return
        held.renewed = now
        kept = self.store.update_repository(
            repo_id,
            lambda r: (
                replace(r, lease_until=now + self.lease_seconds) if r.lease == held.owner else None
            ),
        )
        if kept is None or kept.lease != held.owner:
            raise SourceForgotten(f"{repo_id!r} is no longer this sync's to run")

    def _cache_of(self, repo: Repository) -> Path:
        digest = hashlib.sha256(f"{repo.id}\x1f{repo.url}".encode()).hexdigest()[:24]
        return self.cache / digest

    def _once(
        self, repo: Repository, held: _Held, on_file: FileProgress | None, since: float
    ) -> SyncOutcome:
        started = self.monotonic()
        manifest: dict[str, str] = {}
        done: dict[str, str] = {}
        try:
            remote = self.remote(repo.url)
            manifest = self.store.repository_manifest(repo.id)
            fetched = fetch(
                remote,
                repo.branch,
                self._cache_of(repo),
                self.policy,
                self.limits.fetch,
                skip=lambda head: head == repo.commit,
            )
            try:
                if fetched.commit == repo.commit:
                    return self._finish(repo, held, "up_to_date", fetched.commit, manifest)
                snap = snapshot(fetched.repo, fetched.commit, self.limits.files)
                changed = [f for f in snap.files if manifest.get(f.path) != f.blob]
                kept = {f.path for f in snap.files if manifest.get(f.path) == f.blob}
                blobs = {f.path: f.blob for f in snap.files}

                def progress(n: int, total: int, report: FileReport) -> None:
                    done[report.path] = blobs[report.path]
                    self._renew(repo.id, held)
                    if on_file is not None:
                        on_file(n, total, report)

                budget = self.limits.time_budget
                report = self.engine.index_repository(
                    [(f.path, _reader(snap.read, f.blob)) for f in changed],
                    repo.template,
                    on_file=progress,
                    out_of_time=(lambda: self.monotonic() - started > budget) if budget else None,
                    since=since,
                    keep=kept,
                    permalink=lambda path: remote.file_link(fetched.commit, path),
                )
            finally:
                fetched.repo.close()
        except SourceForgotten:
            logger.info("%s was forgotten during its sync: stopped", repo.id)
            return SyncOutcome(repo, "forgotten", previous=repo.commit)
        except GitError as exc:
            self._save_partial(repo, held, manifest, done)
            return self._failed(repo, held, exc)
        except TooManyDefinitions:  # nothing of it was written: the repository's own size
            limit = self.engine.max_definitions_per_share
            return self._failed(
                repo,
                held,
                GitError("too_big", f"GENCODE_MAX_DEFINITIONS_PER_SHARE = {limit:,}"),
            )
        except GencodeError as exc:  # the store or a model failed: not the repository's fault
            self._save_partial(repo, held, manifest, done)
            logger.warning("sync of %s failed: %s", repo.id, exc)
            return self._failed(repo, held, GitError("indexing", str(exc)))
        except Exception:
            self._save_partial(repo, held, manifest, done)
            logger.exception("sync of %s failed", repo.id)
            return self._failed(repo, held, GitError("indexing", "an internal error (see the log)"))
        if report.unfinished:
            after = {**manifest, **done}
            status: Status = "unfinished"
        else:
            after = {f.path: f.blob for f in snap.files}
            status = "indexed"
        outcome = self._finish(repo, held, status, fetched.commit, after)
        return replace(
            outcome,
            report=report,
            skipped=snap.skipped,
            received=fetched.received,
            unchanged=len(kept),
        )

    def _finish(
        self,
        repo: Repository,
        held: _Held,
        status: Status,
        commit: str,
        manifest: Mapping[str, str],
    ) -> SyncOutcome:
        now = self.clock()

        def record(r: Repository) -> Repository | None:
            if r.lease != held.owner:
                return None
            return replace(
                r,
                commit=commit if status != "unfinished" else r.commit,
                synced_at=now,
                error="",
                error_detail="",
                error_at=0.0,
                error_told="",
            )

        after = self.store.update_repository(repo.id, record, manifest=dict(manifest))
        if after is None:
            return SyncOutcome(repo, "forgotten", previous=repo.commit)
        logger.info("synced %s to %s: %s", repo.id, commit[:12], status)
        return SyncOutcome(after, status, previous=repo.commit, commit=commit)

    def _save_partial(
        self, repo: Repository, held: _Held, manifest: Mapping[str, str], done: Mapping[str, str]
    ) -> None:
        """Files indexed before a failure stay indexed; the next sync need not read them."""
        if not done:
            return
        try:
            self.store.update_repository(
                repo.id,
                lambda r: r if r.lease == held.owner else None,
                manifest={**manifest, **done},
            )
        except GencodeError:
            logger.warning("could not save the files synced before a failure", exc_info=True)

    def _failed(self, repo: Repository, held: _Held, error: GitError) -> SyncOutcome:
        now = self.clock()
        logger.info("sync of %s failed: %s (%s)", repo.id, error.code, error.detail)

        def record(r: Repository) -> Repository | None:
            return replace(r, error=error.code, error_detail=error.detail, error_at=now)

        try:
            after = self.store.update_repository(repo.id, record) or repo
        except GencodeError:
            logger.warning("could not record the failure of %s", repo.id, exc_info=True)
            after = repo
        return SyncOutcome(after, "failed", previous=repo.commit, error=error)

    def tell_once(self, repo_id: str) -> Repository | None:
        """The registration, if its current failure was not told yet (and mark it told):
        a failing sync is told once in its thread, not on every retry."""
        told: list[Repository] = []

        def mark(r: Repository) -> Repository | None:
            key = f"{r.error}:{r.error_detail}"
            if not r.error or r.error_told == key:
                return None
            told.append(r)
            return replace(r, error_told=key)

        self.store.update_repository(repo_id, mark)
        return told[0] if told else None


def _reader(read: Callable[[str], bytes], blob: str) -> Callable[[], bytes]:
    return lambda: read(blob)
