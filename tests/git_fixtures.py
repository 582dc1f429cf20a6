"""Fixtures for repositories kept in sync: the loopback git server and a sync over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rag import Engine
from rag.git import GitPolicy, GitSync, SyncLimits
from tests.git_server import TOKEN, GitServer, Listener


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    server = GitServer(tmp_path / "git").start()
    yield server
    server.stop()


@pytest.fixture
def listener() -> Iterator[Listener]:
    sock = Listener()
    yield sock
    sock.close()


@pytest.fixture
def make_sync(tmp_path: Path, git_server: GitServer) -> Callable[..., GitSync]:
    """A :class:`GitSync` over an engine, allowed to fetch from the loopback git server
    with its token (more hosts, another token, limits: as keyword arguments)."""

    def make(
        engine: Engine,
        *,
        hosts: tuple[str, ...] = (),
        token: str = TOKEN,
        limits: SyncLimits | None = None,
        cache: Path | None = None,
        **kwargs: Any,
    ) -> GitSync:
        return GitSync(
            engine,
            GitPolicy.with_hosts([git_server.base, *hosts], token=token),
            cache=cache or tmp_path / "git-cache",
            limits=limits or SyncLimits(),
            **kwargs,
        )

    return make
