"""Gencode's engine: chunk Python code, summarise, embed, store, retrieve and answer.

Nothing here knows about Slack. Callers build an :class:`Engine` from backends (see
``bot.services``) and use its methods; domain objects and errors are re-exported here.
"""

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
    StoreError,
    StoreLockedError,
)
from .fences import Segment, segments
from .models import (
    WORKSPACE_WIDE,
    Answer,
    Chunk,
    CodeBlock,
    FileReport,
    Finding,
    Hit,
    IndexReport,
    Scope,
    Source,
    SourceSummary,
    StoreStats,
    Turn,
    Usage,
    Verdict,
    Verification,
)
from .prompt import is_korean
from .stores.base import Feedback

__all__ = [
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
    "NothingIndexedError",
    "ParseError",
    "Scope",
    "Segment",
    "Source",
    "SourceSummary",
    "StoreError",
    "StoreLockedError",
    "StoreStats",
    "Turn",
    "Usage",
    "Verdict",
    "Verification",
    "chunk_id",
    "embedding_text",
    "is_korean",
    "segments",
]
