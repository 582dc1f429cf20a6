"""Repositories kept in sync from git: :class:`GitSync` (see :mod:`rag.git.sync`).

The policy, errors and limits load at once; :class:`GitSync` (and dulwich with it) on
first use, so that reading the configuration costs no git client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import REASONS, GitError, describe
from .limits import FetchLimits, SyncLimits
from .policy import DEFAULT_BASES, GitPolicy, Remote, parse_base

if TYPE_CHECKING:
    from .sync import GitSync, SyncOutcome, repository_id

__all__ = [
    "DEFAULT_BASES",
    "REASONS",
    "FetchLimits",
    "GitError",
    "GitPolicy",
    "GitSync",
    "Remote",
    "SyncLimits",
    "SyncOutcome",
    "describe",
    "parse_base",
    "repository_id",
]

_LAZY = {"GitSync", "SyncOutcome", "repository_id"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import sync

        return getattr(sync, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
