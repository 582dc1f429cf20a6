"""Chunk stores: where indexed code lives. See :class:`rag.stores.base.ChunkStore`."""

from .base import ChunkStore, ScoredChunk

__all__ = ["ChunkStore", "ScoredChunk"]
