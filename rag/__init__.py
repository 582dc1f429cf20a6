"""Gencode's engine: chunk Python code, summarise, embed, store, retrieve and answer.

Nothing here knows about Slack. Callers build an :class:`Engine` from backends (see
``bot.services``) and use its methods; domain objects and errors are re-exported here.
"""

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
from .models import (
    WORKSPACE_WIDE,
    Answer,
    Chunk,
    CodeBlock,
    FileReport,
    Hit,
    IndexReport,
    Scope,
    Source,
    StoreStats,
    Turn,
    Usage,
)
from .stores.base import Feedback

__all__ = [
    "WORKSPACE_WIDE",
    "Answer",
    "Chunk",
    "CodeBlock",
    "ConfigError",
    "EmbedderMismatchError",
    "Engine",
    "Feedback",
    "FileReport",
    "GencodeError",
    "Hit",
    "IndexReport",
    "InputError",
    "LLMError",
    "NothingIndexedError",
    "ParseError",
    "Scope",
    "Source",
    "StoreError",
    "StoreLockedError",
    "StoreStats",
    "Turn",
    "Usage",
    "chunk_id",
    "embedding_text",
]
