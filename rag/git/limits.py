"""How much one fetch and one sync may take (``bot.config`` fills them from the archive
limits, which fit repositories too)."""

from __future__ import annotations

from dataclasses import dataclass

from ..archive import ArchiveLimits


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 200_000_000
    """Bytes the server may send for one fetch (refs and pack)."""
    timeout: float = 300.0
    """Seconds one fetch may take in all."""
    socket_timeout: float = 30.0
    """Seconds a connection may take to open, or to send the next bytes."""


@dataclass(frozen=True)
class SyncLimits:
    fetch: FetchLimits = FetchLimits()
    files: ArchiveLimits = ArchiveLimits()
    """Entries of a commit, bytes of one file, ``.gitignore`` patterns: as for archives."""
    time_budget: float = 0.0
    """Seconds of indexing before a sync stops between files (0: none); the next goes on."""
