"""Index terms: identifiers split and kept whole, Korean split into content morphemes."""

from __future__ import annotations

import mecab
import pytest

from rag.analysis import Analyzer, identifier_words, stem
from rag.glossary import KOREAN_TO_ENGLISH


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


def test_korean_questions_also_search_for_the_english_words_code_uses() -> None:
    terms = Analyzer().query_terms("채널에 파일을 업로드하는 코드를 만들어 줘")
    assert {"채널", "channel", "파일", "file", "업로드", "upload"} <= set(terms)
    assert {"create", "new", "channel"} <= set(Analyzer().query_terms("새 채널 만들기"))
    assert "retry" in Analyzer().query_terms("실패하면 재시도하기")


def test_question_filler_words_are_not_searched() -> None:
    terms = Analyzer().query_terms("How do I write a function that posts a message?")
    assert terms == ["post", "message"]


def test_english_gloss_names_the_korean_developer_terms_in_english() -> None:
    assert Analyzer().english_gloss("채널에 메시지 보내기").split() == [
        "channel",
        "message",
        "send",
        "post",
    ]


def test_english_question_has_no_gloss() -> None:
    assert Analyzer().english_gloss("post a message to a channel") == ""


def test_conjugated_verbs_find_their_english_whatever_the_ending() -> None:
    analyzer = Analyzer()
    assert analyzer.lemmas("가져와서") == ["가져오", "아서"]
    for question in ("파일 가져오기", "파일을 가져와서 저장해줘", "파일 가져온 다음"):
        assert "fetch" in analyzer.query_terms(question), question


def test_loanwords_written_in_hangul_search_for_the_english_word() -> None:
    terms = Analyzer().query_terms("채널에 캔버스 만들고 이벤트 리스너랑 페이로드 보내기")
    english = {stem(w) for w in ("canvas", "payload", "channel", "create", "listener")}
    assert english <= set(terms)


def test_every_glossary_key_is_one_or_two_morphemes_as_the_lookup_needs() -> None:
    tagger = mecab.MeCab()
    unusable = []
    for key in KOREAN_TO_ENGLISH:
        surfaces = [surface for surface, _ in tagger.pos(key)]
        if len(surfaces) > 2 or "".join(surfaces) != key:
            unusable.append(key)
    assert unusable == []


def test_the_glossary_is_data_read_from_both_tab_separated_layers() -> None:
    from rag.glossary import KOREAN_TO_ENGLISH, english_for

    assert KOREAN_TO_ENGLISH["재시도"] == ("retry",)  # glossary_domain.tsv
    assert KOREAN_TO_ENGLISH["되감"] == ("rewind", "seek")  # glossary_general.tsv
    assert english_for(["파일", "업로드"]) == ["file", "upload"]
    assert len(KOREAN_TO_ENGLISH) > 2000


def test_a_glossary_file_keeps_the_first_entry_and_names_a_bad_line() -> None:
    from rag.glossary import load

    assert load("# comment\n\n업로드\tupload\n업로드\tput\n") == {"업로드": ("upload",)}
    with pytest.raises(ValueError, match="line 2"):
        load("업로드\tupload\n다운로드 download\n")


def test_query_phrases_pair_adjacent_content_words_across_filler() -> None:
    phrases = Analyzer().query_phrases(
        "How do I post a message to a channel and retry when rate limited?"
    )
    assert {frozenset({"post", "message"}), frozenset({"rate", "limit"})} <= phrases
    assert frozenset({"post", "channel"}) not in phrases  # "message" stands between them


def test_korean_query_phrases_pair_the_english_words_of_adjacent_korean_words() -> None:
    phrases = Analyzer().query_phrases("채널에 파일을 업로드하는 코드를 만들어 줘")
    assert frozenset({"file", "upload"}) in phrases
    assert frozenset({"channel", "upload"}) not in phrases
