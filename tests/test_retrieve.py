"""Fusion: weighted reciprocal rank fusion, the same for every store."""

from __future__ import annotations

from rag import Chunk, Hit
from rag.analysis import Analyzer
from rag.embed import LocalE5Embedder, LocalUSEEmbedder
from rag.retrieve import PLAIN, Fusion, covering, fusion_for, reciprocal_rank_fusion
from rag.stores.base import ScoredChunk


def _chunk(name: str) -> Chunk:
    return Chunk(
        id=name,
        workspace="T",
        scope="*",
        source_path="m.py",
        source_key="k",
        qualname=name,
        kind="function",
        signature=f"def {name}()",
        start_line=1,
        end_line=2,
        code=f"def {name}(): ...",
        code_hash=name,
    )


def _ranked(*names: str) -> list[ScoredChunk]:
    return [ScoredChunk(_chunk(n), 1.0 / i) for i, n in enumerate(names, 1)]


# BM25 has the answer first; the vector list is noise that puts BM25's tenth first.
LEXICAL = _ranked("gold", "b", "c", "d", "e", "f", "g", "h", "i", "a")
NOISE = _ranked("a", "x", "y", "z")


def test_plain_rrf_lets_a_noisy_vector_list_push_the_answer_down() -> None:
    """Why the weights exist: a chunk both lists hold beats BM25's clear first."""
    fused = reciprocal_rank_fusion({"lexical": LEXICAL, "vector": NOISE})
    assert fused[0].chunk.id == "a"


def test_a_low_vector_weight_keeps_the_strong_lists_answer_first() -> None:
    fused = reciprocal_rank_fusion(
        {"lexical": LEXICAL, "vector": NOISE}, k=20, weights={"lexical": 1.0, "vector": 0.25}
    )
    assert [h.chunk.id for h in fused[:2]] == ["gold", "b"]
    # Chunks only the weak list found are kept, after the ones the strong list ranks.
    assert {"x", "y", "z"} <= {h.chunk.id for h in fused}
    assert fused[0].ranks == {"lexical": 1}


def test_weights_follow_the_language_of_the_question() -> None:
    fusion = Fusion(k=20, vector_english=1.0, vector_korean=0.5)
    assert fusion.weights("post a message to a channel") == {"lexical": 1.0, "vector": 1.0}
    assert fusion.weights("채널에 message 보내기") == {"lexical": 1.0, "vector": 0.5}


def test_measured_embedders_have_their_own_weights_and_others_fuse_plainly() -> None:
    """BM25 leads over USE's vectors (which read names only); e5's vectors count for more."""
    use, e5 = fusion_for(LocalUSEEmbedder.MODEL_ID), fusion_for(LocalE5Embedder.MODEL_ID)
    assert 0 < use.vector_english < 1.0 and 0 < use.vector_korean < 1.0
    assert e5.vector_english >= 1.0 and e5.vector_korean >= 1.0
    assert use.agreement > 0
    assert fusion_for("amazon.titan-embed-text-v2:0") == PLAIN


def test_a_vector_list_that_agrees_with_nothing_bm25_found_cannot_move_its_ranking() -> None:
    """On code whose names say little, the vectors guess; BM25's order must survive them."""
    gated = Fusion(k=10, vector_english=1.0, agreement=0.5)
    guessing = _ranked("x", "y", "z", "w")
    weights = gated.weights("flatten nested lists", {"lexical": LEXICAL, "vector": guessing})
    assert weights["vector"] == 0.0
    fused = reciprocal_rank_fusion({"lexical": LEXICAL, "vector": guessing}, k=10, weights=weights)
    assert [h.chunk.id for h in fused[:10]] == [s.chunk.id for s in LEXICAL]


def test_a_vector_list_that_agrees_with_bm25_counts_in_full() -> None:
    gated = Fusion(k=10, vector_english=1.0, agreement=0.5)
    agreeing = _ranked("c", "b", "q", "gold", "d", "r", "s", "e", "t", "u")  # 5 of 10 seen
    weights = gated.weights("flatten nested lists", {"lexical": LEXICAL, "vector": agreeing})
    assert weights["vector"] == 1.0
    some = _ranked("c", "q", "r", "s", "t", "u", "v", "w", "x", "y")  # 1 of 10 seen
    assert gated.weights("x", {"lexical": LEXICAL, "vector": some})["vector"] == 0.2
    # Without lists (or with agreement 0) the weight is the language's, as before.
    assert gated.weights("flatten nested lists") == {"lexical": 1.0, "vector": 1.0}


def test_a_chunk_listed_twice_by_one_retriever_counts_once() -> None:
    fused = reciprocal_rank_fusion({"lexical": _ranked("a", "a", "b")})
    assert [h.chunk.id for h in fused] == ["a", "b"]
    assert fused[0].score == 1 / 61


def _names(chunk: Chunk) -> frozenset[str]:
    return frozenset(Analyzer().terms(chunk.qualname))


QUESTION = "post a message to a channel and retry when rate limited"
TERMS = Analyzer().query_terms(QUESTION)
PHRASES = Analyzer().query_phrases(QUESTION)


def test_a_question_asking_two_things_gets_both_in_the_first_three() -> None:
    """Three handlers hold "rate limited"; chat_postMessage, fifth, holds "post a message"
    and moves up. channels_replies holds the single word "channel", no phrase: it stays."""
    names = ["RateLimitRetryHandler._can_retry", "RateLimitRetryHandler"]
    names += ["AsyncRateLimitRetryHandler", "channels_replies", "chat_postMessage"]
    hits = [Hit(_chunk(n), 0.15 - 0.01 * i, {"lexical": i + 1}) for i, n in enumerate(names)]
    covered = covering(hits, phrases=PHRASES, query_terms=TERMS, names=_names, gain=2.0)
    assert [h.chunk.id for h in covered] == [
        "RateLimitRetryHandler._can_retry",  # the first hit stays
        "chat_postMessage",
        "RateLimitRetryHandler",
        "AsyncRateLimitRetryHandler",
        "channels_replies",
    ]
    # The order changed, not the fused scores.
    assert {h.chunk.id: h.score for h in covered} == {h.chunk.id: h.score for h in hits}


def test_a_hit_holding_the_same_half_again_or_nothing_keeps_its_place() -> None:
    names = ["RateLimitRetryHandler", "RateLimitRetryHandler.post_retry", "channels_replies"]
    hits = [Hit(_chunk(n), 0.15 - 0.01 * i, {"lexical": i + 1}) for i, n in enumerate(names)]
    assert covering(hits, phrases=PHRASES, query_terms=TERMS, names=_names, gain=2.0) == hits


def test_the_measured_embedders_cover_two_part_questions() -> None:
    for model in (LocalUSEEmbedder.MODEL_ID, LocalE5Embedder.MODEL_ID):
        assert fusion_for(model).coverage > 0
    assert PLAIN.coverage == 0  # Titan: not measured here
