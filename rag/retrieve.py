"""Hybrid retrieval: lexical and vector top-k lists fused by reciprocal rank fusion.

Fusion lives here, not in the stores, so SQLite and OpenSearch rank the same way. RRF
needs only ranks: BM25 and cosine scores live on incomparable scales, and a chunk found
by both retrievers should beat one that tops only one of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .models import Chunk, Hit
from .stores.base import ScoredChunk

RRF_K = 60


def reciprocal_rank_fusion(
    results: Mapping[str, Sequence[ScoredChunk]], *, k: int = RRF_K
) -> list[Hit]:
    """Fuse ranked lists: each chunk scores the sum of ``1 / (k + rank)`` over the lists."""
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    chunks: dict[str, Chunk] = {}
    for retriever, hits in results.items():
        for rank, scored in enumerate(hits, 1):
            cid = scored.chunk.id
            if retriever in ranks.get(cid, {}):
                continue  # a store returned the same chunk twice; count its best rank
            chunks.setdefault(cid, scored.chunk)
            scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(cid, {})[retriever] = rank
    order = sorted(scores, key=lambda cid: (-scores[cid], min(ranks[cid].values()), cid))
    return [Hit(chunks[cid], scores[cid], ranks[cid]) for cid in order]
