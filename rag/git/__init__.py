"""Repositories kept in sync from git: :class:`GitSync` (see :mod:`rag.git.sync`)."""

from .errors import REASONS, GitError
from .policy import DEFAULT_BASES, GitPolicy, Remote, parse_base
from .sync import GitSync, SyncLimits, SyncOutcome, repository_id
from .transport import FetchLimits

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
    "parse_base",
    "repository_id",
]
