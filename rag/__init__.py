"""Gencode's engine: chunk Python code, summarise, embed, store, retrieve and answer.

Nothing here knows about Slack. Callers build an :class:`Engine` from backends (see
``bot.services``) and use its methods; domain objects and errors are re-exported here.
"""

from typing import TYPE_CHECKING, Any

from .archive import Archive, ArchiveError, ArchiveLimits, is_archive, read_archive
from .discover import INDEXED_SUFFIXES
from .engine import Engine, NothingIndexedError, chunk_id, embedding_text
from .errors import (
    ConfigError,
    EmbedderMismatchError,
    GencodeError,
    InputError,
    LLMError,
    ParseError,
    SourceForgotten,
    StoreError,
    StoreLockedError,
)
from .fences import Segment, segments
from .git.errors import REASONS as GIT_REASONS
from .git.errors import GitError
from .models import (
    WORKSPACE_WIDE,
    Answer,
    Chunk,
    CodeBlock,
    FileReport,
    Finding,
    Hit,
    IndexReport,
    Repository,
    Scope,
    Source,
    SourceSummary,
    StoreStats,
    Turn,
    Usage,
    Verdict,
    Verification,
    counted,
    printable,
)
from .prompt import is_korean
from .stores.base import Feedback

if TYPE_CHECKING:  # loaded on first use: they bring dulwich, a git client, with them
    from .git.sync import GitSync, SyncOutcome

__all__ = [
    "GIT_REASONS",
    "GitError",
    "GitSync",
    "SyncOutcome",
    "INDEXED_SUFFIXES",
    "Archive",
    "ArchiveError",
    "ArchiveLimits",
    "is_archive",
    "read_archive",
    "WORKSPACE_WIDE",
    "Answer",
    "Chunk",
    "CodeBlock",
    "ConfigError",
    "EmbedderMismatchError",
    "Engine",
    "Feedback",
    "FileReport",
    "Finding",
    "GencodeError",
    "Hit",
    "IndexReport",
    "InputError",
    "LLMError",
    "Repository",
    "NothingIndexedError",
    "ParseError",
    "Scope",
    "Segment",
    "Source",
    "SourceForgotten",
    "SourceSummary",
    "StoreError",
    "StoreLockedError",
    "StoreStats",
    "Turn",
    "Usage",
    "Verdict",
    "Verification",
    "chunk_id",
    "counted",
    "embedding_text",
    "is_korean",
    "printable",
    "segments",
]


def __getattr__(name: str) -> Any:
    if name in ("GitSync", "SyncOutcome"):
        from .git import sync

        return getattr(sync, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
