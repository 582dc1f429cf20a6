"""Index terms: identifiers split and kept whole, Korean split into content morphemes."""

from __future__ import annotations

import pytest

from rag.analysis import Analyzer, identifier_words, stem


@pytest.mark.parametrize(
    ("identifier", "words"),
    [
        ("get_user_by_id", ["get", "user", "by", "id"]),
        ("HTTPClient", ["http", "client"]),
        ("parse_qs", ["parse", "qs"]),
        ("S3Uploader", ["s3", "uploader"]),
        ("XMLHttpRequest", ["xml", "http", "request"]),
        ("base64_encode", ["base64", "encode"]),
    ],
)
def test_identifiers_split_into_words(identifier: str, words: list[str]) -> None:
    assert identifier_words(identifier) == words


def test_whole_identifier_is_kept_beside_its_parts() -> None:
    terms = Analyzer().terms("def get_user_by_id(user_id): ...")
    assert "get_user_by_id" in terms
    assert {"get", "user", "id"} <= set(terms)
    assert "def" not in terms  # keywords carry no meaning for search


def test_korean_particles_and_endings_are_dropped() -> None:
    terms = Analyzer().terms("메시지를 채널에 보내는 함수")
    assert "메시지" in terms
    assert "채널" in terms
    assert "함수" in terms
    assert "를" not in terms and "에" not in terms


def test_same_korean_noun_matches_with_or_without_particle() -> None:
    a = Analyzer()
    assert set(a.terms("메시지")) <= set(a.terms("메시지를 보내기"))


def test_light_stemming_joins_plural_and_ing_forms() -> None:
    assert stem("uploads") == stem("uploading") == stem("upload") == "upload"
    assert stem("retries") == "retry"
    assert stem("class") == "class"
    assert stem("status") == "status"


def test_query_terms_are_unique_and_ordered() -> None:
    assert Analyzer().query_terms("upload uploads upload file") == ["upload", "file"]
