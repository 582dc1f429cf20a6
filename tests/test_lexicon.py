"""The corpus lexicon: Korean words no glossary knows find the team's own English names.

A shop's code speaks of refunds, coupons and seats; the hand glossaries are developer
vocabulary and know none of them. The lexicon learns the identifier words of whatever is
indexed, keeps them current in both stores, and maps a Korean word of a question to the
nearest of them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from opensearchpy import OpenSearch

from rag import Engine, Scope, Source
from rag.generate import ExtractiveGenerator
from rag.lexicon import code_words
from rag.stores.opensearch import OpenSearchStore
from rag.stores.sqlite import SQLiteStore
from tests.conftest import CountingEmbedder, CountingSummarizer

SHOP = b"""
def issue_refund(order_id, amount):
    ledger = open_ledger()
    ledger.credit(order_id, amount)
    return ledger.total


def apply_coupon(basket, voucher_code):
    rate = lookup_rate(voucher_code)
    return basket.subtotal * (1 - rate)


def reserve_seat(flight_number, passenger):
    cabin = find_cabin(flight_number)
    return cabin.hold(passenger)
"""

TEAM = Scope.of("T1")


@pytest.fixture(params=["sqlite", "opensearch"])
def shop_engine(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    embedder: CountingEmbedder,
    summarizer: CountingSummarizer,
) -> Iterator[Engine]:
    if request.param == "sqlite":
        store: SQLiteStore | OpenSearchStore = SQLiteStore(tmp_path / "index.sqlite3")
    else:
        url = request.getfixturevalue("opensearch_url")
        store = OpenSearchStore(OpenSearch(hosts=[url]), index="lexicon-test")
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    yield engine
    store.close()


def top(engine: Engine, question: str, scope: Scope = TEAM) -> list[str]:
    return [h.chunk.qualname for h in engine.retrieve(question, scope, k=3, mode="lexical")]


def test_identifier_words_are_the_vocabulary() -> None:
    words = code_words("def issue_refund(self, orderID, n):\n    return HTTPClient.get(url)")
    assert {"issue", "refund", "order", "http", "client", "get", "url"} <= words
    # Abbreviations, stop words and Python keywords are not vocabulary.
    assert not {"n", "id", "self", "def", "return"} & words


def test_a_korean_word_no_glossary_knows_finds_the_teams_english_name(
    shop_engine: Engine,
) -> None:
    assert shop_engine.analyzer.unglossed("환불 처리 코드") == ["환불"]
    shop_engine.index_bytes(SHOP, Source("shop.py", workspace="T1"))

    assert "refund" in shop_engine.lexical_query("환불 처리 코드", TEAM)
    assert top(shop_engine, "환불 처리 코드")[0] == "issue_refund"
    assert top(shop_engine, "쿠폰 적용")[0] == "apply_coupon"
    assert top(shop_engine, "좌석 예약")[0] == "reserve_seat"


def test_the_lexicon_follows_reindexing_and_deletion(shop_engine: Engine) -> None:
    store = shop_engine.store
    shop_engine.index_bytes(SHOP, Source("shop.py", workspace="T1", file_id="F1"))
    assert {"refund", "coupon", "seat"} <= store.vocabulary(TEAM)

    without_refunds = SHOP.split(b"\n\n\ndef apply_coupon")[0].replace(b"refund", b"rebate")
    shop_engine.index_bytes(without_refunds, Source("shop.py", workspace="T1", file_id="F1"))
    vocabulary = store.vocabulary(TEAM)
    assert "rebate" in vocabulary
    assert not {"refund", "coupon", "seat"} & vocabulary
    assert "refund" not in shop_engine.lexical_query("환불 처리", TEAM)

    shop_engine.forget_file("T1", "F1")
    assert store.vocabulary(TEAM) == set()
    assert shop_engine.lexical_query("환불 처리", TEAM) == "환불 처리"


def test_the_lexicon_is_scoped_like_retrieval(shop_engine: Engine) -> None:
    shop_engine.index_bytes(SHOP, Source("shop.py", workspace="T1", scope="G-private"))
    assert shop_engine.store.vocabulary(Scope.of("T1", "C-general")) == set()
    assert shop_engine.store.vocabulary(Scope.of("T2")) == set()
    assert "refund" in shop_engine.store.vocabulary(Scope.of("T1", "G-private"))
    assert shop_engine.lexical_query("환불", Scope.of("T1", "C-general")) == "환불"


def test_word_vectors_are_made_once_and_kept_in_the_store(
    shop_engine: Engine, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> None:
    shop_engine.index_bytes(SHOP, Source("shop.py", workspace="T1"))
    kept = shop_engine.store.word_vectors(["refund", "coupon", "nonexistent"])
    assert set(kept) == {"refund", "coupon"}
    assert kept["refund"].shape == (embedder.dim,)

    # A new process (a fresh engine on the same store) reads them instead of embedding.
    fresh = Engine(
        store=shop_engine.store,
        embedder=embedder,
        summarizer=summarizer,
        generator=ExtractiveGenerator(),
    )
    calls: list[str] = []
    real = embedder.embed_query

    def counting(text: str):  # type: ignore[no-untyped-def]
        calls.append(text)
        return real(text)

    embedder.embed_query = counting  # type: ignore[method-assign]
    assert "refund" in fresh.lexical_query("환불", TEAM)
    assert calls == ["환불"]  # only the question's word was embedded


def test_an_older_store_counts_its_chunks_when_it_migrates(
    tmp_path: Path, embedder: CountingEmbedder, summarizer: CountingSummarizer
) -> None:
    path = tmp_path / "index.sqlite3"
    store = SQLiteStore(path)
    engine = Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    )
    engine.index_bytes(SHOP, Source("shop.py", workspace="T1"))
    store.close()
    # Make it a schema-7 file: the lexicon tables (8) and the notes' values (9) did not
    # exist then.
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TABLE lexicon; DROP TABLE word_vectors; ALTER TABLE claims DROP COLUMN value;"
        "UPDATE meta SET value = '7' WHERE key = 'schema_version';"
    )
    db.close()

    reopened = SQLiteStore(path)
    try:
        assert {"refund", "coupon", "seat"} <= reopened.vocabulary(TEAM)
    finally:
        reopened.close()


def test_a_question_embeds_only_a_few_missing_words_at_a_time(
    tmp_path: Path,
    embedder: CountingEmbedder,
    summarizer: CountingSummarizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A store whose words have no vectors yet (written before the lexicon existed) must
    not make one question embed its whole vocabulary; later questions learn the rest."""
    path = tmp_path / "index.sqlite3"
    store = SQLiteStore(path)
    Engine(
        store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
    ).index_bytes(SHOP, Source("shop.py", workspace="T1"))
    store.close()
    db = sqlite3.connect(path)
    db.execute("DELETE FROM word_vectors")
    db.commit()
    db.close()

    monkeypatch.setattr("rag.lexicon.LEARN_PER_QUESTION", 3)
    store = SQLiteStore(path)
    try:
        engine = Engine(
            store=store, embedder=embedder, summarizer=summarizer, generator=ExtractiveGenerator()
        )
        words = sorted(store.vocabulary(TEAM))
        assert len(words) > 3
        engine.lexical_query("환불", TEAM)
        assert len(store.word_vectors(words)) == 3
    finally:
        store.close()
