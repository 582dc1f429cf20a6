"""Fetching over git's smart HTTP protocol with dulwich (pure Python: no git binary, which
Lambda does not have), inside the limits and the host policy.

Every request goes through :class:`_GuardedPool`: its URL is checked against the
:class:`~rag.git.policy.GitPolicy` first (a redirect to another host is refused before it
is followed), and a connection is opened only to an address that is not link-local or a
metadata service (the address a name resolves to is vetted, then used, so a DNS answer
cannot change between the check and the connection). Every response body is counted
against the byte limit and the deadline as it is read, so a huge pack or a slow server
stops the fetch instead of filling the disk or the time.

The first fetch of a repository is shallow (depth 1: the branch's head, no history).
Later fetches send the commit fetched last as a "have", so the server sends only the
objects that are new since. The local copy (a bare repository under the cache folder) is
a cache: when it is missing (a new Lambda container) the fetch is shallow again.
"""

from __future__ import annotations

import logging
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import urllib3
from dulwich.client import HTTPUnauthorized, Urllib3HttpGitClient
from dulwich.errors import GitProtocolError, HangupException, NotGitRepository
from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .errors import GitError
from .limits import FetchLimits
from .policy import GitPolicy, Remote, forbidden_address

logger = logging.getLogger(__name__)

LOCAL_REF = Ref(b"refs/heads/gencode")
"""Where the cache keeps the commit fetched last: the "have" of the next fetch."""


@dataclass
class _Guard:
    policy: GitPolicy
    limits: FetchLimits
    deadline: float = 0.0
    received: int = 0

    def start(self) -> None:
        self.deadline = time.monotonic() + self.limits.timeout
        self.received = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise GitError("timeout", f"over {self.limits.timeout:g} s")

    def counted(self, read: Callable[[int], bytes]) -> Callable[[int], bytes]:
        def bounded(n: int = -1) -> bytes:
            self.check_time()
            data = read(n)
            self.received += len(data)
            if self.received > self.limits.max_bytes:
                raise GitError("too_big", f"the fetch passed {self.limits.max_bytes:,} bytes")
            return data

        return bounded


def _vetted_host(host: str, port: int) -> str:
    """The address to connect to for ``host``: refused if any it resolves to is forbidden."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise GitError("network", host) from None
    addresses = [str(info[4][0]) for info in infos]
    bad = [a for a in addresses if forbidden_address(a)]
    if bad or not addresses:
        raise GitError("link_local", f"{host} ({bad[0] if bad else 'no address'})")
    return addresses[0]


class _VettedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        self._dns_host = _vetted_host(self._dns_host, self.port)
        return super()._new_conn()


class _VettedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        self._dns_host = _vetted_host(self._dns_host, self.port)
        return super()._new_conn()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _VettedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _VettedHTTPSConnection


class _GuardedPool(urllib3.PoolManager):
    """A pool manager that asks the policy before every request, redirects included."""

    def __init__(self, guard: _Guard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}

    def urlopen(  # type: ignore[override]
        self, method: str, url: str, redirect: bool = True, **kw: Any
    ) -> urllib3.BaseHTTPResponse:
        retries = kw.get("retries")
        redirected = isinstance(retries, urllib3.Retry) and bool(retries.history)
        self.guard.policy.check(url, redirected=redirected)
        self.guard.check_time()
        return super().urlopen(method, url, redirect=redirect, **kw)


class _Client(Urllib3HttpGitClient):
    """dulwich's HTTP client, with every response body counted by the guard."""

    def __init__(self, remote: Remote, guard: _Guard) -> None:
        creds = guard.policy.credentials(remote)
        pool = _GuardedPool(
            guard,
            timeout=urllib3.Timeout(
                connect=guard.limits.socket_timeout, read=guard.limits.socket_timeout
            ),
            retries=urllib3.Retry(total=5, connect=2, read=0, status=0, redirect=5),
            **_tls(),
        )
        super().__init__(
            remote.url,
            pool_manager=pool,
            username=creds[0] if creds else None,
            password=creds[1] if creds else None,
            quiet=True,
        )
        self._guard = guard

    def _http_request(
        self,
        url: str,
        headers: dict[str, str] | None = None,
        data: Any = None,
        raise_for_status: bool = True,
    ) -> tuple[Any, Callable[[int], bytes]]:
        resp, read = super()._http_request(url, headers, data, raise_for_status)
        return resp, self._guard.counted(read)


def _tls() -> dict[str, Any]:
    """Verify certificates against certifi's bundle where it is installed (Lambda's Python
    has no system bundle that urllib3 would find), else the system's."""
    try:
        import certifi
    except ImportError:
        return {"cert_reqs": "CERT_REQUIRED"}
    return {"cert_reqs": "CERT_REQUIRED", "ca_certs": certifi.where()}


@contextmanager
def _mapped(remote: Remote) -> Iterator[None]:
    """dulwich's and urllib3's failures as :class:`GitError` (never their text: a message
    must not carry anything the server sent back, nor a URL with credentials)."""
    where = remote.display
    try:
        yield
    except GitError:
        raise
    except HTTPUnauthorized:
        raise GitError("auth", where) from None
    except NotGitRepository:
        raise GitError("not_found", where) from None
    except GitProtocolError as exc:
        cause = exc.__cause__
        text = str(exc)
        if isinstance(cause, urllib3.exceptions.TimeoutError):
            raise GitError("timeout", f"{where} did not answer in time") from None
        if isinstance(cause, urllib3.exceptions.MaxRetryError) and isinstance(
            cause.reason, urllib3.exceptions.TimeoutError
        ):
            raise GitError("timeout", f"{where} did not answer in time") from None
        if isinstance(cause, urllib3.exceptions.HTTPError):
            logger.info("git fetch from %s failed: %s", where, type(cause).__name__)
            raise GitError("network", remote.base.host) from None
        if "unexpected http resp 403" in text:
            raise GitError("auth", where) from None
        logger.info("git fetch from %s: protocol error %s", where, text[:200])
        raise GitError("protocol", where) from None
    except HangupException:
        raise GitError("protocol", where) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        logger.info("git fetch from %s failed: %s", where, type(exc).__name__)
        raise GitError("network", remote.base.host) from None


@dataclass(frozen=True)
class RemoteHeads:
    """What the remote advertises: its branches and the default one."""

    branches: Mapping[str, str] = field(default_factory=dict)
    """Branch name → commit id (hex)."""
    default: str = ""

    def head(self, branch: str) -> str:
        commit = self.branches.get(branch)
        if commit is None:
            raise GitError("branch_missing", branch)
        return commit


def _heads(
    refs: Mapping[Ref, ObjectID | None] | Mapping[Ref, ObjectID], symrefs: Mapping[Ref, Ref]
) -> RemoteHeads:
    branches = {
        name.removeprefix(b"refs/heads/").decode("utf-8", "replace"): sha.decode("ascii")
        for name, sha in refs.items()
        if name.startswith(b"refs/heads/") and sha is not None
    }
    target = symrefs.get(Ref(b"HEAD"), b"")
    default = target.removeprefix(b"refs/heads/").decode("utf-8", "replace") if target else ""
    if not default:  # an old server without symrefs: the branch HEAD points at
        head = refs.get(Ref(b"HEAD"))
        same = sorted(n for n, sha in branches.items() if head and sha == head.decode())
        default = next((n for n in ("main", "master") if n in same), same[0] if same else "")
    return RemoteHeads(branches, default)


def ls_remote(remote: Remote, policy: GitPolicy, limits: FetchLimits) -> RemoteHeads:
    """The remote's branches (one small request): checks URL, credentials and branch
    before anything is fetched or registered."""
    guard = _Guard(policy, limits)
    guard.start()
    with _mapped(remote):
        result = _Client(remote, guard).get_refs(remote.path)
    return _heads(result.refs, result.symrefs)


def open_cache(folder: Path) -> Repo:
    """The bare repository caching ``folder``'s fetched objects (made if missing, made
    again if damaged: it holds nothing that cannot be fetched again)."""
    try:
        if (folder / "HEAD").is_file():
            return Repo(str(folder))
    except Exception:  # a damaged cache: any dulwich error means "fetch again"
        logger.warning("the git cache %s is damaged; fetching afresh", folder, exc_info=True)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Repo.init_bare(str(folder))


@dataclass(frozen=True)
class Fetched:
    repo: Repo
    commit: str
    """The branch's head, now in ``repo``."""
    received: int
    """Bytes the server sent (refs and pack): what "fetch only new objects" costs."""


def fetch(
    remote: Remote,
    branch: str,
    cache: Path,
    policy: GitPolicy,
    limits: FetchLimits,
    *,
    skip: Callable[[str], bool] = lambda commit: False,
) -> Fetched:
    """Bring ``branch``'s head into the cache at ``cache``: shallow the first time, only
    the new objects afterwards. One discovery request tells the head; ``skip(head)``
    true (already indexed) fetches nothing more."""
    guard = _Guard(policy, limits)
    guard.start()
    repo = open_cache(cache)
    wanted: list[str] = []

    def determine_wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
        head = _heads(refs, {}).head(branch)
        wanted.append(head)
        if skip(head) or ObjectID(head.encode()) in repo.object_store:
            return []
        return [ObjectID(head.encode())]

    try:
        with _mapped(remote):
            _Client(remote, guard).fetch(
                remote.path, repo, determine_wants=determine_wants, depth=1
            )
    except BaseException:
        repo.close()
        raise
    commit = wanted[-1]
    if ObjectID(commit.encode()) in repo.object_store:
        repo.refs[LOCAL_REF] = ObjectID(commit.encode())
    logger.info("fetched %s@%s: %s bytes", remote.display, commit[:12], f"{guard.received:,}")
    return Fetched(repo, commit, guard.received)
